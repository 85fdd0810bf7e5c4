// SPDX-License-Identifier: LGPL-2.1-or-later
#include "resolve.hpp"

#include <cerrno>

#include "text.hpp"

namespace kctl::detail {

int classify_device_name(std::string_view text, device_ref& out) {
    if (text.empty())
        return EINVAL;
    if (text.find('/') != std::string_view::npos) {
        out = {device_ref::kind::path, std::string(text)};
        return 0;
    }
    if (text.find_first_not_of("0123456789") == std::string_view::npos) {
        std::uint64_t n = 0;
        if (parse_u64(text, n) != 0)
            return EINVAL;
        out = {device_ref::kind::name, "kdemo" + std::to_string(n)};
        return 0;
    }
    out = {device_ref::kind::name, std::string(text)};
    return 0;
}

bool is_sysfs_path(std::string_view path) noexcept {
    return path == "/sys" || path.starts_with("/sys/");
}

}  // namespace kctl::detail
