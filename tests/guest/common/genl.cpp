#include "common/genl.hpp"

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace kt {

namespace {

constexpr size_t kBufSize = 256 * 1024;

[[noreturn]] void fail(int err, const char* what) {
    throw std::system_error(err, std::generic_category(), what);
}

GenlMsg parse(const nlmsghdr* nlh) {
    GenlMsg m;
    const auto* g = static_cast<const genlmsghdr*>(mnl_nlmsg_get_payload(nlh));
    m.cmd = g->cmd;
    mnl_attr_parse(
        nlh, sizeof(genlmsghdr),
        [](const nlattr* a, void* data) -> int {
            static_cast<GenlMsg*>(data)->attrs[mnl_attr_get_type(a)] = std::string(
                static_cast<const char*>(mnl_attr_get_payload(a)), mnl_attr_get_payload_len(a));
            return MNL_CB_OK;
        },
        &m);
    return m;
}

}  // namespace

uint64_t GenlMsg::u64(int type) const {
    uint64_t v = 0;
    auto it = attrs.find(type);
    if (it != attrs.end() && it->second.size() == sizeof v)
        std::memcpy(&v, it->second.data(), sizeof v);
    return v;
}

uint32_t GenlMsg::u32(int type) const {
    uint32_t v = 0;
    auto it = attrs.find(type);
    if (it != attrs.end() && it->second.size() == sizeof v)
        std::memcpy(&v, it->second.data(), sizeof v);
    return v;
}

std::string GenlMsg::str(int type) const {
    auto it = attrs.find(type);
    if (it == attrs.end())
        return {};
    std::string s = it->second;
    if (!s.empty() && s.back() == '\0')
        s.pop_back();
    return s;
}

void put_u32(nlmsghdr* nlh, int type, uint32_t v) {
    mnl_attr_put_u32(nlh, static_cast<uint16_t>(type), v);
}
void put_u64(nlmsghdr* nlh, int type, uint64_t v) {
    mnl_attr_put_u64(nlh, static_cast<uint16_t>(type), v);
}
void put_bytes(nlmsghdr* nlh, int type, const std::string& bytes) {
    mnl_attr_put(nlh, static_cast<uint16_t>(type), bytes.size(), bytes.data());
}

nlmsghdr* genl_header(std::vector<char>& buf, uint16_t family, int cmd, uint16_t flags) {
    buf.assign(kBufSize, 0);
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
    nlh->nlmsg_type = family;
    nlh->nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | flags);
    auto* g = static_cast<genlmsghdr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(genlmsghdr)));
    g->cmd = static_cast<uint8_t>(cmd);
    g->version = KDEMO_FAMILY_VERSION;
    return nlh;
}

Genl::Genl() : buf_(kBufSize) {
    sock_ = mnl_socket_open(NETLINK_GENERIC);
    if (!sock_)
        fail(errno, "socket(NETLINK_GENERIC)");
    if (mnl_socket_bind(sock_, 0, MNL_SOCKET_AUTOPID) < 0) {
        const int err = errno;
        mnl_socket_close(sock_);
        fail(err, "bind");
    }
    int on = 1;
    mnl_socket_setsockopt(sock_, NETLINK_EXT_ACK, &on, sizeof on);
    mnl_socket_setsockopt(sock_, NETLINK_CAP_ACK, &on, sizeof on);
    portid_ = mnl_socket_get_portid(sock_);

    std::vector<char> req;
    nlmsghdr* nlh = genl_header(req, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, NLM_F_ACK);
    reinterpret_cast<genlmsghdr*>(mnl_nlmsg_get_payload(nlh))->version = 1;
    mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, KDEMO_FAMILY_NAME);
    GenlAnswer a = transact(nlh);
    if (a.err) {
        mnl_socket_close(sock_);
        fail(a.err, "CTRL_CMD_GETFAMILY kdemo");
    }
    // Parse nested attributes of the raw reply again: the map keeps only payloads.
    const GenlMsg& r = a.replies.at(0);
    family_ = static_cast<uint16_t>(r.u32(CTRL_ATTR_FAMILY_ID) & 0xffff);
    if (auto it = r.attrs.find(CTRL_ATTR_FAMILY_ID); it != r.attrs.end() && it->second.size() == 2)
        std::memcpy(&family_, it->second.data(), 2);
    auto walk = [](const std::string& payload, const std::function<void(const nlattr*)>& fn) {
        const char* p = payload.data();
        size_t left = payload.size();
        while (left >= sizeof(nlattr)) {
            const auto* a = reinterpret_cast<const nlattr*>(p);
            if (a->nla_len < sizeof(nlattr) || a->nla_len > left)
                break;
            fn(a);
            const size_t step = MNL_ALIGN(a->nla_len);
            if (step >= left)
                break;
            p += step;
            left -= step;
        }
    };
    if (auto it = r.attrs.find(CTRL_ATTR_MCAST_GROUPS); it != r.attrs.end())
        walk(it->second, [&](const nlattr* grp) {
            std::string name;
            uint32_t id = 0;
            walk(std::string(static_cast<const char*>(mnl_attr_get_payload(grp)),
                             mnl_attr_get_payload_len(grp)),
                 [&](const nlattr* x) {
                     if (mnl_attr_get_type(x) == CTRL_ATTR_MCAST_GRP_NAME)
                         name = mnl_attr_get_str(x);
                     if (mnl_attr_get_type(x) == CTRL_ATTR_MCAST_GRP_ID)
                         id = mnl_attr_get_u32(x);
                 });
            if (name == KDEMO_MCGRP_MONITOR)
                monitor_ = id;
        });
    if (auto it = r.attrs.find(CTRL_ATTR_OPS); it != r.attrs.end())
        walk(it->second, [&](const nlattr* op) {
            uint32_t id = 0, flags = 0;
            walk(std::string(static_cast<const char*>(mnl_attr_get_payload(op)),
                             mnl_attr_get_payload_len(op)),
                 [&](const nlattr* x) {
                     if (mnl_attr_get_type(x) == CTRL_ATTR_OP_ID)
                         id = mnl_attr_get_u32(x);
                     if (mnl_attr_get_type(x) == CTRL_ATTR_OP_FLAGS)
                         flags = mnl_attr_get_u32(x);
                 });
            ops_[static_cast<int>(id)] = flags;
        });
}

Genl::~Genl() {
    if (sock_)
        mnl_socket_close(sock_);
}

int Genl::fd() const {
    return mnl_socket_get_fd(sock_);
}

GenlAnswer Genl::request(int cmd, int dev, const GenlBuild& build, bool dump) {
    std::vector<char> req;
    nlmsghdr* nlh =
        genl_header(req, family_, cmd, static_cast<uint16_t>(NLM_F_ACK | (dump ? NLM_F_DUMP : 0)));
    if (dev >= 0)
        put_u32(nlh, KDEMO_A_DEV_INDEX, static_cast<uint32_t>(dev));
    if (build)
        build(nlh);
    return transact(nlh);
}

GenlAnswer Genl::raw(const void* msg, size_t len) {
    std::vector<char> copy(static_cast<const char*>(msg), static_cast<const char*>(msg) + len);
    auto* nlh = reinterpret_cast<nlmsghdr*>(copy.data());
    nlh->nlmsg_seq = ++seq_;
    last_ = copy;
    if (mnl_socket_sendto(sock_, copy.data(), len) < 0)
        return {errno, "sendto", 0, 0, {}};
    return transact(nullptr);
}

GenlAnswer Genl::transact(nlmsghdr* nlh) {
    if (nlh) {
        nlh->nlmsg_seq = ++seq_;
        last_.assign(reinterpret_cast<const char*>(nlh),
                     reinterpret_cast<const char*>(nlh) + nlh->nlmsg_len);
        if (mnl_socket_sendto(sock_, nlh, nlh->nlmsg_len) < 0)
            return {errno, "sendto", 0, 0, {}};
    }
    return receive(0, nullptr);
}

// The extack TLVs of an NLMSG_ERROR into @ans.
void Genl::parse_error(const nlmsghdr* msg, GenlAnswer& ans) const {
    const auto* e = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(msg));
    ans.err = -e->error;
    if (!(msg->nlmsg_flags & NLM_F_ACK_TLVS))
        return;
    // with NETLINK_CAP_ACK the TLVs follow the request's header only
    const size_t off = sizeof(nlmsghdr) + sizeof(nlmsgerr);
    const char* p = reinterpret_cast<const char*>(msg) + off;
    size_t left = msg->nlmsg_len > off ? msg->nlmsg_len - off : 0;
    while (left >= sizeof(nlattr)) {
        const auto* a = reinterpret_cast<const nlattr*>(p);
        if (a->nla_len < sizeof(nlattr) || a->nla_len > left)
            break;
        const int type = mnl_attr_get_type(a);
        if (type == NLMSGERR_ATTR_MSG)
            ans.extack = mnl_attr_get_str(a);
        else if (type == NLMSGERR_ATTR_MISS_TYPE)
            ans.missing_attr = static_cast<int>(mnl_attr_get_u32(a));
        else if (type == NLMSGERR_ATTR_OFFS) {
            const uint32_t at = mnl_attr_get_u32(a);
            if (at + sizeof(nlattr) <= last_.size())
                ans.bad_attr =
                    reinterpret_cast<const nlattr*>(last_.data() + at)->nla_type & NLA_TYPE_MASK;
        }
        const size_t step = MNL_ALIGN(a->nla_len);
        if (step >= left)
            break;
        p += step;
        left -= step;
    }
}

GenlAnswer Genl::receive(uint32_t other_seq, std::optional<GenlAnswer>* other) {
    GenlAnswer ans;
    for (;;) {
        pollfd p{fd(), POLLIN, 0};
        if (::poll(&p, 1, 10000) <= 0)
            return {ETIMEDOUT, "no answer", 0, 0, {}};
        const ssize_t n = mnl_socket_recvfrom(sock_, buf_.data(), buf_.size());
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return {errno, "recv", 0, 0, {}};
        }
        auto* msg = reinterpret_cast<const nlmsghdr*>(buf_.data());
        int len = static_cast<int>(n);
        for (; mnl_nlmsg_ok(msg, len); msg = mnl_nlmsg_next(msg, &len)) {
            if (msg->nlmsg_pid != portid_)
                continue;
            if (other && other_seq && msg->nlmsg_seq == other_seq) {
                if (!*other)
                    other->emplace();
                if (msg->nlmsg_type == NLMSG_ERROR)
                    parse_error(msg, **other);
                else if (msg->nlmsg_type != NLMSG_DONE)
                    (*other)->replies.push_back(parse(msg));
                continue;
            }
            if (msg->nlmsg_seq != seq_)
                continue;
            if (msg->nlmsg_type == NLMSG_DONE)
                return ans;
            if (msg->nlmsg_type == NLMSG_ERROR) {
                parse_error(msg, ans);
                return ans;
            }
            ans.replies.push_back(parse(msg));
        }
    }
}

std::optional<GenlAnswer> Genl::raw_probed(const void* msg, size_t len, GenlAnswer* probe) {
    std::vector<char> copy(static_cast<const char*>(msg), static_cast<const char*>(msg) + len);
    const uint32_t raw_seq = ++seq_;
    if (len >= sizeof(nlmsghdr))
        reinterpret_cast<nlmsghdr*>(copy.data())->nlmsg_seq = raw_seq;
    if (mnl_socket_sendto(sock_, copy.data(), len) < 0) {
        GenlAnswer a;
        a.err = errno;
        a.extack = "sendto";
        return a;
    }
    std::vector<char> req;
    nlmsghdr* nlh = genl_header(req, family_, KDEMO_CMD_GET_SUM, NLM_F_ACK);
    put_u32(nlh, KDEMO_A_DEV_INDEX, 0);
    nlh->nlmsg_seq = ++seq_;
    last_.assign(req.data(), req.data() + nlh->nlmsg_len);
    std::optional<GenlAnswer> raw;
    GenlAnswer p;
    if (mnl_socket_sendto(sock_, nlh, nlh->nlmsg_len) < 0)
        p = {errno, "sendto", 0, 0, {}};
    else
        p = receive(raw_seq, &raw);
    if (probe)
        *probe = p;
    return raw;
}

void Genl::subscribe(int rcvbuf) {
    int group = static_cast<int>(monitor_);
    if (mnl_socket_setsockopt(sock_, NETLINK_ADD_MEMBERSHIP, &group, sizeof group) < 0)
        fail(errno, "NETLINK_ADD_MEMBERSHIP");
    ::setsockopt(fd(), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf);
}

std::optional<GenlMsg> Genl::event(std::chrono::milliseconds timeout, bool* overflow) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        pollfd p{fd(), POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(std::max<long>(0, left.count()))) <= 0)
            return std::nullopt;
        const ssize_t n = ::recv(fd(), buf_.data(), buf_.size(), MSG_DONTWAIT);
        if (n < 0) {
            if (errno == ENOBUFS && overflow)
                *overflow = true;
            if (errno == ENOBUFS || errno == EINTR || errno == EAGAIN)
                continue;
            fail(errno, "recv");
        }
        const auto* msg = reinterpret_cast<const nlmsghdr*>(buf_.data());
        if (mnl_nlmsg_ok(msg, static_cast<int>(n)) && msg->nlmsg_type == family_) {
            GenlMsg m = parse(msg);
            if (m.cmd == KDEMO_CMD_CHANGE_NTF)
                return m;
        }
    }
}

}  // namespace kt
