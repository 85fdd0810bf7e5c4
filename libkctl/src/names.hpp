// SPDX-License-Identifier: LGPL-2.1-or-later
// The one table of names: transports, operations and info keys, in the order of their
// enums. kctl::to_string() and parse_transport() (types.cpp) and the info parser
// (text.cpp) read them; kctl derives its command-line choices from to_string().
#ifndef KCTL_SRC_NAMES_HPP
#define KCTL_SRC_NAMES_HPP

#include <kctl/kctl.hpp>

#include <array>
#include <string_view>

namespace kctl::detail {

inline constexpr std::array<std::string_view, 7> transport_names = {
    "mmap", "ioctl", "sysfs", "proc", "netlink", "uring", "auto"};

inline constexpr std::array<std::string_view, 7> operation_names = {
    "get-msg", "set-msg", "add", "sum", "reset", "info", "watch"};

/// The keys of /proc/kdemo/kdemoN/info, in the order of info_field and of the file.
inline constexpr std::array<std::string_view, info_field_count> info_keys = {
    "driver",   "version",     "abi",        "device", "msg_max",   "msg_len",
    "sum",      "count",       "generation", "opens",  "ioctl_ops", "sysfs_ops",
    "proc_ops", "netlink_ops", "uring_ops",  "random"};

static_assert(transport_names.size() == static_cast<std::size_t>(transport_kind::automatic) + 1);
static_assert(operation_names.size() == std::size(all_operations));

}  // namespace kctl::detail

#endif
