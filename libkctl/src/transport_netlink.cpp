// SPDX-License-Identifier: LGPL-2.1-or-later
// The netlink transport: the generic netlink family "kdemo" (driver/netlink/kdemo.yaml), with
// libmnl, as ethtool does: a thin layer over the socket calls that builds and walks messages
// in a caller's buffer, with no object model and no allocation per message. One socket is
// kept open per transport and the family id is resolved once, on first use. The watcher has
// a socket of its own, subscribed to the `monitor` group; each event carries the new state.
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/kdemo_netlink.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <functional>
#include <memory>
#include <vector>

#include "info_data.hpp"
#include "netlink_socket.hpp"
#include "transport.hpp"

namespace kctl::detail {

namespace {

static_assert(KDEMO_MSG_NL_MAX == netlink_msg_max);

/// The monitor group's events for one device, on a socket of its own. rearm() drains what
/// arrived and keeps the newest state; the events leave the kernel in generation order and
/// each says what changed since the previous one, so the state is complete unless a message
/// was too long to travel or the socket overflowed (ENOBUFS): then the watcher reads it.
class monitor_watch final : public watch_source {
  public:
    explicit monitor_watch(unsigned index) noexcept : index_(index) {}

    int start() noexcept {
        if (const int err = sock_.resolve(); err != 0)
            return err;
        int group = static_cast<int>(sock_.monitor_group());
        if (group == 0)
            return EOPNOTSUPP;
        if (mnl_socket_setsockopt(sock_.get(), NETLINK_ADD_MEMBERSHIP, &group, sizeof group) < 0)
            return errno;
        return 0;
    }

    int fd() const noexcept override { return sock_.fd(); }
    short events() const noexcept override { return POLLIN; }
    bool changed(short revents, int& err) const noexcept override {
        if (revents & (POLLIN | POLLERR))  // POLLERR: ENOBUFS, read by rearm()
            return true;
        err = (revents & POLLNVAL) ? EBADF : ENODEV;
        return false;
    }

    int rearm(std::uint64_t& generation) noexcept override {
        for (;;) {
            const ssize_t n = ::recv(sock_.fd(), buf_.data(), buf_.size(), MSG_DONTWAIT);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                if (errno == ENOBUFS) {  // events were lost: the state must be read
                    complete_ = false;
                    lost_ = true;
                    continue;
                }
                if (errno == EAGAIN || errno == EWOULDBLOCK)
                    break;
                return errno;
            }
            auto* msg = reinterpret_cast<const nlmsghdr*>(buf_.data());
            int len = static_cast<int>(n);
            for (; mnl_nlmsg_ok(msg, len); msg = mnl_nlmsg_next(msg, &len))
                take(msg);
        }
        generation = lost_ ? UINT64_MAX : have_.generation;
        return 0;
    }

    bool carried(state& s) noexcept override {
        if (lost_) {
            lost_ = false;
            return false;
        }
        if (have_.generation <= s.generation)
            return false;
        s.generation = have_.generation;
        s.sum = have_.sum;
        s.count = have_.count;
        if (msg_changed_ && !complete_)
            return false;  // the message changed but did not travel: the caller reads it
        if (msg_changed_)
            s.message = std::move(message_);
        msg_changed_ = false;
        return true;
    }

  private:
    void take(const nlmsghdr* msg) noexcept {
        if (msg->nlmsg_type != sock_.family())
            return;
        const auto* g = static_cast<const genlmsghdr*>(mnl_nlmsg_get_payload(msg));
        nl_attrs a;
        if (g->cmd != KDEMO_CMD_CHANGE_NTF || parse_attrs(msg, a) != 0 || !a[KDEMO_A_DEV_INDEX] ||
            mnl_attr_get_u32(a[KDEMO_A_DEV_INDEX]) != index_)
            return;
        const std::uint64_t gen = a.u64(KDEMO_A_GENERATION);
        if (gen <= have_.generation)
            return;
        have_.generation = gen;
        have_.sum = static_cast<std::int64_t>(a.u64(KDEMO_A_SUM));
        have_.count = a.u64(KDEMO_A_COUNT);
        const std::uint32_t changed = a[KDEMO_A_CHANGED] ? mnl_attr_get_u32(a[KDEMO_A_CHANGED])
                                                         : std::uint32_t{KDEMO_CHANGE_MSG};
        if (changed & KDEMO_CHANGE_MSG) {
            msg_changed_ = true;
            if (const nlattr* m = a[KDEMO_A_MSG]) {
                message_.assign(static_cast<const char*>(mnl_attr_get_payload(m)),
                                mnl_attr_get_payload_len(m));
                complete_ = true;
            } else {
                complete_ = false;
            }
        }
    }

    unsigned index_;
    nl_socket sock_;
    std::vector<char> buf_ = std::vector<char>(nl_recv_size);
    state have_;                // the newest event's scalars
    std::string message_;       // the newest message that travelled
    bool msg_changed_ = false;  // since the last carried()
    bool complete_ = true;      // message_ is the current message
    bool lost_ = false;         // ENOBUFS since the last carried()
};

class netlink_transport final : public transport {
  public:
    explicit netlink_transport(unsigned index) noexcept
        : transport(transport_kind::netlink), index_(index) {}

    int get_msg(std::string& out) override {
        const int err = call(KDEMO_CMD_GET_MSG, 0, nullptr, [&out](const nl_attrs& a) {
            const nlattr* m = a[KDEMO_A_MSG];
            if (!m)
                return EPROTO;
            out.assign(static_cast<const char*>(mnl_attr_get_payload(m)),
                       mnl_attr_get_payload_len(m));
            return 0;
        });
        // EMSGSIZE: the message is longer than an attribute carries, netlink's size limit.
        return err == EMSGSIZE ? EFBIG : err;
    }

    int set_msg(std::string_view message) override {
        if (message.size() > netlink_msg_max)
            return EFBIG;
        return call(KDEMO_CMD_SET_MSG, NLM_F_ACK, [message](nlmsghdr* nlh) {
            mnl_attr_put(nlh, KDEMO_A_MSG, message.size(), message.data());
        });
    }

    int add(std::span<const std::int64_t> values) override {
        if (values.empty())
            return EINVAL;
        if (values.size() > KDEMO_BATCH_MAX)
            return E2BIG;
        return call(KDEMO_CMD_ADD, NLM_F_ACK, [values](nlmsghdr* nlh) {
            for (const std::int64_t v : values)
                mnl_attr_put_u64(nlh, KDEMO_A_VALUE, static_cast<std::uint64_t>(v));
        });
    }

    int sum(sum_result& out) noexcept override {
        return call(KDEMO_CMD_GET_SUM, 0, nullptr, [&out](const nl_attrs& a) {
            if (!a[KDEMO_A_GENERATION])
                return EPROTO;
            out = {static_cast<std::int64_t>(a.u64(KDEMO_A_SUM)), a.u64(KDEMO_A_COUNT),
                   a.u64(KDEMO_A_GENERATION)};
            return 0;
        });
    }

    int reset() override { return call(KDEMO_CMD_RESET, NLM_F_ACK, nullptr); }

    int info(info_data& out) override {
        return call(KDEMO_CMD_GET_INFO, 0, nullptr, [&out](const nl_attrs& a) {
            const auto str = [&a](int type) {
                const nlattr* x = a[type];
                return x ? std::string(mnl_attr_get_str(x)) : std::string();
            };
            out.set(info_field::driver, str(KDEMO_A_DRIVER));
            out.set(info_field::version, str(KDEMO_A_VERSION));
            out.set(info_field::device, str(KDEMO_A_DEV_NAME));
            out.set(info_field::abi, a[KDEMO_A_ABI] ? mnl_attr_get_u32(a[KDEMO_A_ABI]) : 0U);
            out.set(info_field::msg_max, a.u64(KDEMO_A_MSG_MAX));
            out.set(info_field::msg_len, a.u64(KDEMO_A_MSG_LEN));
            out.set(info_field::sum, a.u64(KDEMO_A_SUM));
            out.set(info_field::count, a.u64(KDEMO_A_COUNT));
            out.set(info_field::generation, a.u64(KDEMO_A_GENERATION));
            out.set(info_field::opens, a.u64(KDEMO_A_OPENS));
            out.set(info_field::ioctl_ops, a.u64(KDEMO_A_IOCTL_OPS));
            out.set(info_field::sysfs_ops, a.u64(KDEMO_A_SYSFS_OPS));
            out.set(info_field::proc_ops, a.u64(KDEMO_A_PROC_OPS));
            out.set(info_field::netlink_ops, a.u64(KDEMO_A_NETLINK_OPS));
            out.set(info_field::uring_ops, a.u64(KDEMO_A_URING_OPS));
            out.set(info_field::random, a.u64(KDEMO_A_RANDOM));
            return 0;
        });
    }

    int watch(std::unique_ptr<watch_source>& out) override {
        auto w = std::make_unique<monitor_watch>(index_);
        if (const int err = w->start(); err != 0)
            return err;
        out = std::move(w);
        return 0;
    }

  private:
    using builder = std::function<void(nlmsghdr*)>;
    using parser = std::function<int(const nl_attrs&)>;

    int call(std::uint8_t cmd, std::uint16_t flags, const builder& build,
             const parser& parse = nullptr) noexcept {
        try {
            if (const int err = sock_.resolve(); err != 0)
                return err;
            unsigned seq = 0;
            nlmsghdr* nlh = sock_.request(cmd, flags, seq);
            mnl_attr_put_u32(nlh, KDEMO_A_DEV_INDEX, index_);
            if (build)
                build(nlh);
            return sock_.transact(nlh, seq, [&parse](const nlmsghdr* reply) {
                if (!parse)
                    return 0;
                nl_attrs a;
                if (const int err = parse_attrs(reply, a); err != 0)
                    return err;
                return parse(a);
            });
        } catch (const std::bad_alloc&) {
            return ENOMEM;
        }
    }

    unsigned index_;
    nl_socket sock_;
};

}  // namespace

std::unique_ptr<transport> make_netlink_transport(unsigned index) {
    return std::make_unique<netlink_transport>(index);
}

}  // namespace kctl::detail
