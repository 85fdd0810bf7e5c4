// SPDX-License-Identifier: LGPL-2.1-or-later
// Part of libkctl. Include <kctl/kctl.hpp>, not this file.
#ifndef KCTL_DISCOVERY_HPP
#define KCTL_DISCOVERY_HPP

#ifndef KCTL_INSIDE_KCTL_HPP
#error "Only <kctl/kctl.hpp> can be included directly."
#endif

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kctl {

namespace detail {
struct entry_data;
struct make;
}  // namespace detail

/// What the caller may do through one transport.
struct access_mode {
    bool read = false;
    bool write = false;
};

/// One kdemo device as found by libudev, with what the calling process may do with it.
/// Permissions are checked (faccessat with AT_EACCESS on the node and on each sysfs and proc
/// file an operation uses), not guessed from the user id.
class KCTL_API device_entry {
  public:
    device_entry();

    const std::string& name() const noexcept;     ///< "kdemo0"
    const std::string& node() const noexcept;     ///< "/dev/kdemo0" ("" if udev knows none)
    const std::string& syspath() const noexcept;  ///< "/sys/devices/virtual/kdemo/kdemo0"
    const std::string& procdir() const noexcept;  ///< "/proc/kdemo/kdemo0"
    unsigned major_number() const noexcept;
    unsigned minor_number() const noexcept;

    /// 0 if the caller can use `kind` for `op`, else why not: EOPNOTSUPP (the transport does
    /// not offer it), EACCES/EPERM (no permission), ENOENT (file missing).
    int check(transport_kind kind, operation op) const noexcept;
    /// Whether some read (write) operation is usable through `kind`.
    access_mode access(transport_kind kind) const noexcept;

    const detail::entry_data& data() const noexcept { return *data_; }

  private:
    // Only the library makes entries (detail::make): inline and not exported, so it is no
    // part of the ABI.
    friend struct detail::make;
    KCTL_LOCAL explicit device_entry(std::shared_ptr<const detail::entry_data> data) noexcept
        : data_(std::move(data)) {}

    std::shared_ptr<const detail::entry_data> data_;
};

/// All kdemo devices (udev subsystem "kdemo"), sorted by name. Empty if none.
KCTL_API std::vector<device_entry> list_devices();

/// Finds one device from any of its names: "0", "kdemo0", "/dev/kdemo0", a "/dev/kdemo/NAME"
/// symlink, "/sys/class/kdemo/kdemo0" or "/sys/devices/virtual/kdemo/kdemo0". An empty name
/// means default_device_name(). Throws kctl::error with ENODEV if there is no such device.
KCTL_API device_entry find_device(std::string_view name = {});

/// $KCTL_DEVICE if set and not empty, else "kdemo0".
KCTL_API std::string default_device_name();

/// $KCTL_TRANSPORT if set and not empty, else transport_kind::automatic. Throws
/// kctl::error(EINVAL) for an unknown name.
KCTL_API transport_kind default_transport();

}  // namespace kctl

#endif
