// SPDX-License-Identifier: LGPL-2.1-or-later
// Names of the files the sysfs and proc transports use (SPEC.md), and which of them each
// operation needs: shared by the transports and the permission probe.
#ifndef KCTL_SRC_FILES_HPP
#define KCTL_SRC_FILES_HPP

#include <kctl/kctl.hpp>

#include <fcntl.h>

#include <span>

namespace kctl::detail {

/// A file an operation needs and how: R_OK or W_OK. An empty name means the device node.
struct need {
    const char* file;
    int mode;
};

namespace sysfs_file {
inline constexpr const char* message = "message";
inline constexpr const char* sum = "sum";
inline constexpr const char* count = "count";
inline constexpr const char* add = "add";
inline constexpr const char* reset = "reset";
inline constexpr const char* generation = "generation";
inline constexpr const char* msg_max = "msg_max";
inline constexpr const char* random = "random";
inline constexpr const char* opens = "stats/opens";
inline constexpr const char* ioctl_ops = "stats/ioctl_ops";
inline constexpr const char* sysfs_ops = "stats/sysfs_ops";
inline constexpr const char* proc_ops = "stats/proc_ops";
inline constexpr const char* netlink_ops = "stats/netlink_ops";
inline constexpr const char* uring_ops = "stats/uring_ops";
}  // namespace sysfs_file

namespace proc_file {
inline constexpr const char* message = "message";
inline constexpr const char* sum = "sum";  // read: the sum; write: values to add
inline constexpr const char* count = "count";
inline constexpr const char* reset = "reset";
inline constexpr const char* info = "info";
}  // namespace proc_file

/// What `op` through `kind` touches (empty if the transport does not offer it).
std::span<const need> needs(transport_kind kind, operation op) noexcept;

}  // namespace kctl::detail

#endif
