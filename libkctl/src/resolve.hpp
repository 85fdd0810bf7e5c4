// SPDX-License-Identifier: LGPL-2.1-or-later
// Device names: the pure part of resolving what the user typed.
#ifndef KCTL_SRC_RESOLVE_HPP
#define KCTL_SRC_RESOLVE_HPP

#include <string>
#include <string_view>

namespace kctl::detail {

struct device_ref {
    enum class kind : unsigned char {
        name,  // a sysfs name in subsystem kdemo: "kdemo0"
        path,  // a file: a node, a /dev/kdemo/NAME symlink, or a /sys directory
    };
    kind what = kind::name;
    std::string value;
};

/// "0" -> name kdemo0; "kdemo0" -> name kdemo0; anything with a '/' -> path.
/// Returns 0, or EINVAL for an empty text or a number out of range.
int classify_device_name(std::string_view text, device_ref& out);

/// Whether a resolved real path names a sysfs directory ("/sys/...").
bool is_sysfs_path(std::string_view path) noexcept;

}  // namespace kctl::detail

#endif
