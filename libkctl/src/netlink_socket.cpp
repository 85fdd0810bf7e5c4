// SPDX-License-Identifier: LGPL-2.1-or-later
// One generic netlink socket talking to the family "kdemo": see netlink_socket.hpp.
#include "netlink_socket.hpp"

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <ctime>

namespace kctl::detail {

namespace {

/// What CTRL_CMD_GETFAMILY tells: the family id and the monitor group's id.
struct family_reply {
    std::uint16_t id = 0;
    std::uint32_t group = 0;
    const char* name = nullptr;  // of the group being parsed
    std::uint32_t gid = 0;
};

int group_attr(const nlattr* attr, void* data) {
    auto* r = static_cast<family_reply*>(data);
    if (mnl_attr_get_type(attr) == CTRL_ATTR_MCAST_GRP_NAME)
        r->name = mnl_attr_get_str(attr);
    else if (mnl_attr_get_type(attr) == CTRL_ATTR_MCAST_GRP_ID)
        r->gid = mnl_attr_get_u32(attr);
    return MNL_CB_OK;
}

int groups_attr(const nlattr* grp, void* data) {
    auto* r = static_cast<family_reply*>(data);
    r->name = nullptr;
    r->gid = 0;
    mnl_attr_parse_nested(grp, group_attr, r);
    if (r->name && std::strcmp(r->name, KDEMO_MCGRP_MONITOR) == 0)
        r->group = r->gid;
    return MNL_CB_OK;
}

int family_attr(const nlattr* attr, void* data) {
    auto* r = static_cast<family_reply*>(data);
    if (mnl_attr_get_type(attr) == CTRL_ATTR_FAMILY_ID)
        r->id = mnl_attr_get_u16(attr);
    else if (mnl_attr_get_type(attr) == CTRL_ATTR_MCAST_GROUPS)
        mnl_attr_parse_nested(attr, groups_attr, r);
    return MNL_CB_OK;
}

}  // namespace

int parse_attrs(const nlmsghdr* nlh, nl_attrs& out) noexcept {
    out = {};
    const auto cb = [](const nlattr* attr, void* data) -> int {
        auto* o = static_cast<nl_attrs*>(data);
        const int type = mnl_attr_get_type(attr);
        if (type > 0 && type <= KDEMO_A_MAX)
            o->a[static_cast<std::size_t>(type)] = attr;
        return MNL_CB_OK;
    };
    return mnl_attr_parse(nlh, sizeof(genlmsghdr), cb, &out) == MNL_CB_ERROR ? EPROTO : 0;
}

nl_socket::nl_socket() : send_(nl_recv_size), recv_(nl_recv_size) {}

nl_socket::~nl_socket() = default;

int nl_socket::open() noexcept {
    if (sock_)
        return 0;
    std::unique_ptr<mnl_socket, closer> s(mnl_socket_open2(NETLINK_GENERIC, SOCK_CLOEXEC));
    if (!s)
        return errno;
    if (mnl_socket_bind(s.get(), 0, MNL_SOCKET_AUTOPID) < 0)
        return errno;
    int on = 1;
    mnl_socket_setsockopt(s.get(), NETLINK_EXT_ACK, &on, sizeof on);
    mnl_socket_setsockopt(s.get(), NETLINK_CAP_ACK, &on, sizeof on);
    portid_ = mnl_socket_get_portid(s.get());
    seq_ = static_cast<unsigned>(std::time(nullptr));
    sock_ = std::move(s);
    return 0;
}

int nl_socket::fd() const noexcept {
    return sock_ ? mnl_socket_get_fd(sock_.get()) : -1;
}

int nl_socket::resolve() noexcept {
    if (family_)
        return 0;
    if (const int err = open(); err != 0)
        return err;
    const unsigned seq = ++seq_;
    nlmsghdr* nlh = header(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, seq, 0);
    mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, KDEMO_FAMILY_NAME);
    family_reply r;
    const int err = transact(nlh, seq, [&r](const nlmsghdr* reply) {
        mnl_attr_parse(reply, sizeof(genlmsghdr), family_attr, &r);
        return 0;
    });
    if (err == ENOENT || err == EINVAL)
        return ENOENT;  // no such family: the module is not loaded, or lacks netlink
    if (err != 0)
        return err;
    if (r.id == 0)
        return EPROTO;
    family_ = r.id;
    monitor_ = r.group;
    return 0;
}

nlmsghdr* nl_socket::request(std::uint8_t cmd, std::uint16_t flags, unsigned& seq) {
    seq = ++seq_;
    return header(family_, cmd, KDEMO_FAMILY_VERSION, seq, flags);
}

int nl_socket::transact(nlmsghdr* nlh, unsigned seq,
                        const std::function<int(const nlmsghdr*)>& on_reply) {
    if (mnl_socket_sendto(sock_.get(), nlh, nlh->nlmsg_len) < 0)
        return errno;
    const bool want_ack = nlh->nlmsg_flags & (NLM_F_ACK | NLM_F_DUMP);
    const bool dump = nlh->nlmsg_flags & NLM_F_DUMP;
    for (;;) {
        const ssize_t n = mnl_socket_recvfrom(sock_.get(), recv_.data(), recv_.size());
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        auto* msg = reinterpret_cast<const nlmsghdr*>(recv_.data());
        int len = static_cast<int>(n);
        bool replied = false;
        for (; mnl_nlmsg_ok(msg, len); msg = mnl_nlmsg_next(msg, &len)) {
            if (msg->nlmsg_seq != seq || msg->nlmsg_pid != portid_)
                continue;  // an event, or a late answer to an abandoned request
            if (msg->nlmsg_type == NLMSG_ERROR) {
                const auto* e = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(msg));
                return -e->error;
            }
            if (msg->nlmsg_type == NLMSG_DONE)
                return 0;
            if (const int err = on_reply(msg); err != 0)
                return err;
            replied = true;
        }
        if (replied && !want_ack && !dump)
            return 0;
    }
}

nlmsghdr* nl_socket::header(std::uint16_t type, std::uint8_t cmd, std::uint8_t version,
                            unsigned seq, std::uint16_t flags) {
    nlmsghdr* nlh = mnl_nlmsg_put_header(send_.data());
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = static_cast<std::uint16_t>(NLM_F_REQUEST | flags);
    nlh->nlmsg_seq = seq;
    auto* g = static_cast<genlmsghdr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(genlmsghdr)));
    g->cmd = cmd;
    g->version = version;
    return nlh;
}

}  // namespace kctl::detail
