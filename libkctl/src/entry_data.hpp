// SPDX-License-Identifier: LGPL-2.1-or-later
// What kctl::device_entry holds.
#ifndef KCTL_SRC_ENTRY_DATA_HPP
#define KCTL_SRC_ENTRY_DATA_HPP

#include <functional>
#include <string>

#include "chooser.hpp"

namespace kctl::detail {

struct entry_data {
    std::string name;     // kdemo0
    std::string node;     // /dev/kdemo0, or "" if udev knows no node
    std::string syspath;  // /sys/devices/virtual/kdemo/kdemo0
    std::string procdir;  // /proc/kdemo/kdemo0
    unsigned major = 0;
    unsigned minor = 0;
    usability usable;  // filled by probe()
};

/// faccessat(AT_FDCWD, path, mode, AT_EACCESS): 0 or errno. Replaceable in tests.
using access_fn = std::function<int(const std::string& path, int mode)>;
int effective_access(const std::string& path, int mode);

/// Whether the caller has CAP_NET_ADMIN in its effective set (capget()): netlink's
/// mutations need it.
bool has_net_admin() noexcept;

/// Fills e.usable: which transport the caller can use for which operation, from the
/// capability table, the permissions of the node and of each file the operation needs, and
/// (netlink mutations) `net_admin`.
void probe(entry_data& e, const access_fn& access = effective_access,
           bool net_admin = has_net_admin());

/// The open(2) access mode the ioctl transport uses, given what the probe found:
/// O_RDWR, else O_RDONLY (reads work, mutations get EBADF from the kernel), else O_WRONLY.
int node_open_mode(const usability& u) noexcept;

}  // namespace kctl::detail

#endif
