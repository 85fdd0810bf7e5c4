// SPDX-License-Identifier: LGPL-2.1-or-later
// Which transports the caller may use: checked with faccessat(AT_EACCESS) on every file an
// operation needs, without opening anything (opening the node would count in `opens`).
// Netlink has no files: its reads are open to everyone, its mutations need CAP_NET_ADMIN
// (GENL_ADMIN_PERM), which capget() tells without asking the kernel's family.
#include <fcntl.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "entry_data.hpp"
#include "files.hpp"

namespace kctl::detail {

namespace {

namespace sf = sysfs_file;
namespace pf = proc_file;

constexpr need node_r[] = {{"", R_OK}};
constexpr need node_w[] = {{"", W_OK}};
constexpr need sysfs_get_msg[] = {{sf::message, R_OK}};
constexpr need sysfs_set_msg[] = {{sf::message, W_OK}};
constexpr need sysfs_add[] = {{sf::add, W_OK}};
constexpr need sysfs_sum[] = {{sf::sum, R_OK}, {sf::count, R_OK}, {sf::generation, R_OK}};
constexpr need sysfs_reset[] = {{sf::reset, W_OK}};
constexpr need sysfs_info[] = {
    {sf::sum, R_OK},      {sf::count, R_OK},       {sf::generation, R_OK}, {sf::msg_max, R_OK},
    {sf::random, R_OK},   {sf::opens, R_OK},       {sf::ioctl_ops, R_OK},  {sf::sysfs_ops, R_OK},
    {sf::proc_ops, R_OK}, {sf::netlink_ops, R_OK}, {sf::uring_ops, R_OK}};
constexpr need sysfs_watch[] = {{sf::generation, R_OK}};
constexpr need proc_get_msg[] = {{pf::message, R_OK}};
constexpr need proc_set_msg[] = {{pf::message, W_OK}};
constexpr need proc_add[] = {{pf::sum, W_OK}};
constexpr need proc_info[] = {{pf::info, R_OK}};  // sum reads info too: one consistent read
constexpr need proc_reset[] = {{pf::reset, W_OK}};

}  // namespace

std::span<const need> needs(transport_kind kind, operation op) noexcept {
    if (capability(kind, op) == support::none)
        return {};
    switch (kind) {
        case transport_kind::mmap:
            return node_r;
        case transport_kind::ioctl:
        case transport_kind::uring:
            return is_mutation(op) ? std::span<const need>(node_w) : node_r;
        case transport_kind::sysfs: {
            constexpr std::span<const need> by_op[] = {sysfs_get_msg, sysfs_set_msg, sysfs_add,
                                                       sysfs_sum,     sysfs_reset,   sysfs_info,
                                                       sysfs_watch};
            return by_op[index(op)];
        }
        case transport_kind::proc: {
            constexpr std::span<const need> by_op[] = {
                proc_get_msg, proc_set_msg, proc_add, proc_info, proc_reset, proc_info, {}};
            return by_op[index(op)];
        }
        case transport_kind::netlink:
        case transport_kind::automatic:
            break;
    }
    return {};
}

bool has_net_admin() noexcept {
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3]{};
    if (::syscall(SYS_capget, &hdr, data) != 0)
        return false;
    return (data[CAP_NET_ADMIN / 32].effective >> (CAP_NET_ADMIN % 32)) & 1U;
}

int effective_access(const std::string& path, int mode) {
    return ::faccessat(AT_FDCWD, path.c_str(), mode, AT_EACCESS) == 0 ? 0 : errno;
}

void probe(entry_data& e, const access_fn& access, bool net_admin) {
    for (const transport_kind k : concrete_transports) {
        const std::string& dir = k == transport_kind::sysfs ? e.syspath : e.procdir;
        for (const operation op : all_operations) {
            int& err = e.usable.at(k, op);
            err = capability(k, op) == support::none ? EOPNOTSUPP : 0;
            if (k == transport_kind::netlink && err == 0 && is_mutation(op) && !net_admin)
                err = EPERM;
            for (const need& n : needs(k, op)) {
                const bool is_node = *n.file == '\0';
                if (is_node && e.node.empty())
                    err = ENOENT;
                else
                    err = access(is_node ? e.node : dir + "/" + n.file, n.mode);
                if (err != 0)
                    break;
            }
        }
    }
}

int node_open_mode(const usability& u) noexcept {
    const bool r = u.at(transport_kind::ioctl, operation::sum) == 0;
    const bool w = u.at(transport_kind::ioctl, operation::set_msg) == 0;
    if (r && w)
        return O_RDWR;
    if (!r && w)
        return O_WRONLY;
    return O_RDONLY;
}

}  // namespace kctl::detail
