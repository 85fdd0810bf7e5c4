// SPDX-License-Identifier: LGPL-2.1-or-later
// The bench's own netlink rows, on a bare socket of family "kdemo" without libkctl: the
// netlink floor (a request for a command the family lacks) and the listing of every device,
// by one dump or by one get-dev request per device.
#include <linux/genetlink.h>
#include <linux/kdemo_netlink.h>

#include <cerrno>
#include <memory>
#include <vector>

#include "bench_cases.hpp"
#include "netlink_socket.hpp"

namespace kctl::detail::bench {

namespace {

/// A command number family kdemo never assigns (docs/NETLINK.md): genetlink refuses it with
/// EOPNOTSUPP before any handler of ours runs, as the null ioctl is refused with ENOTTY.
constexpr std::uint8_t null_cmd = 0xFF;
static_assert(KDEMO_CMD_MAX < null_cmd);

/// An operation on its own socket (the socket stays put when the operation is moved).
struct nl_op : op_base {
    int setup() { return sock->resolve(); }
    std::unique_ptr<nl_socket> sock = std::make_unique<nl_socket>();
};

/// sendto(), genetlink's family and command lookup, the error ack, recvfrom().
struct null_netlink_op : nl_op {
    int operator()() noexcept {
        unsigned seq = 0;
        nlmsghdr* nlh = sock->request(null_cmd, 0, seq);
        const int err = sock->transact(nlh, seq, [](const nlmsghdr*) { return EPROTO; });
        return err == EOPNOTSUPP ? 0 : err != 0 ? err : EPROTO;
    }
};

/// The device indexes one reply of GET_DEV names, parsed as a client would.
int take_device(const nlmsghdr* reply, std::vector<unsigned>& out) {
    nl_attrs a;
    if (const int err = parse_attrs(reply, a); err != 0)
        return err;
    if (!a[KDEMO_A_DEV_INDEX] || !a[KDEMO_A_DEV_NAME])
        return EPROTO;
    out.push_back(mnl_attr_get_u32(a[KDEMO_A_DEV_INDEX]));
    return 0;
}

/// GET_DEV with NLM_F_DUMP: every device, in as few reads as the kernel packs them in.
int dump_devices(nl_socket& sock, std::vector<unsigned>& out) {
    out.clear();
    unsigned seq = 0;
    nlmsghdr* nlh = sock.request(KDEMO_CMD_GET_DEV, NLM_F_DUMP, seq);
    return sock.transact(nlh, seq, [&out](const nlmsghdr* r) { return take_device(r, out); });
}

/// Lists the devices: one dump, or one GET_DEV per device the setup's dump found.
struct list_op : nl_op {
    explicit list_op(bool one_dump) : dump(one_dump) {}
    int setup() {
        if (const int err = nl_op::setup(); err != 0)
            return err;
        if (const int err = dump_devices(*sock, indexes); err != 0)
            return err;
        seen.reserve(indexes.size());
        return indexes.empty() ? ENODEV : 0;
    }
    int operator()() noexcept {
        try {
            if (dump) {
                const int err = dump_devices(*sock, seen);
                return err != 0 ? err : seen.size() == indexes.size() ? 0 : ESTALE;
            }
            seen.clear();
            for (const unsigned index : indexes) {
                unsigned seq = 0;
                nlmsghdr* nlh = sock->request(KDEMO_CMD_GET_DEV, 0, seq);
                mnl_attr_put_u32(nlh, KDEMO_A_DEV_INDEX, index);
                const int err = sock->transact(
                    nlh, seq, [this](const nlmsghdr* r) { return take_device(r, seen); });
                if (err != 0)
                    return err;
            }
            return 0;
        } catch (const std::bad_alloc&) {
            return ENOMEM;
        }
    }
    bool dump;
    std::vector<unsigned> indexes;  // what the setup's dump found
    std::vector<unsigned> seen;     // what the last listing found
};

}  // namespace

std::unique_ptr<runner> make_netlink_runner(const kctl::bench::row& r) {
    if (r.floor == kctl::bench::floor_kind::netlink_null)
        return make_loop(null_netlink_op{});
    if (r.variant == kctl::bench::variant::dump || r.variant == kctl::bench::variant::get_each)
        return make_loop(list_op(r.variant == kctl::bench::variant::dump));
    return nullptr;
}

}  // namespace kctl::detail::bench
