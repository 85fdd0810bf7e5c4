// SPDX-License-Identifier: LGPL-2.1-or-later
// One generic netlink socket talking to the family "kdemo" (driver/netlink/kdemo.yaml), with
// libmnl: the family id resolved once, requests built in a kept buffer, answers walked in
// another. Used by the netlink transport, its watcher and the bench's netlink floor rows.
#ifndef KCTL_SRC_NETLINK_SOCKET_HPP
#define KCTL_SRC_NETLINK_SOCKET_HPP

#include <libmnl/libmnl.h>
#include <linux/kdemo_netlink.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace kctl::detail {

/// The largest message the kernel sends us: a reply or event with a KDEMO_MSG_NL_MAX-byte
/// message, or a dump skb, plus headers.
inline constexpr std::size_t nl_recv_size = 96 * 1024;

/// Attribute table of one message: the last of each type (KDEMO_A_VALUE is only sent).
struct nl_attrs {
    std::array<const nlattr*, KDEMO_A_MAX + 1> a{};

    const nlattr* operator[](int type) const noexcept { return a[static_cast<std::size_t>(type)]; }
    std::uint64_t u64(int type) const noexcept {
        const nlattr* x = (*this)[type];
        return x && mnl_attr_get_payload_len(x) == 8 ? mnl_attr_get_u64(x) : 0;
    }
};

/// Fills `out` from a kdemo message (after its genlmsghdr): 0 or EPROTO.
int parse_attrs(const nlmsghdr* nlh, nl_attrs& out) noexcept;

/// One generic netlink socket: open, bound, extended acks on, capped acks.
class nl_socket {
  public:
    nl_socket();
    ~nl_socket();
    nl_socket(const nl_socket&) = delete;
    nl_socket& operator=(const nl_socket&) = delete;

    /// Opens and binds the socket (once): 0 or an errno.
    int open() noexcept;
    int fd() const noexcept;
    mnl_socket* get() const noexcept { return sock_.get(); }

    /// Resolves the family "kdemo" and its monitor group (once): 0, ENOENT when there is no
    /// such family (the module is not loaded), or an errno.
    int resolve() noexcept;
    std::uint16_t family() const noexcept { return family_; }
    std::uint32_t monitor_group() const noexcept { return monitor_; }

    /// A request of the family (command `cmd`, NLM_F_REQUEST | `flags`) in the send buffer,
    /// with no attribute yet; `seq` receives its sequence number.
    nlmsghdr* request(std::uint8_t cmd, std::uint16_t flags, unsigned& seq);

    /// Sends `nlh` and reads until its answer is complete: `on_reply` for each reply (a dump
    /// has several), then the ack, the error or NLMSG_DONE. Notifications are skipped.
    /// 0 or the errno of the send, the receive, the kernel's answer or `on_reply`.
    int transact(nlmsghdr* nlh, unsigned seq, const std::function<int(const nlmsghdr*)>& on_reply);

  private:
    struct closer {
        void operator()(mnl_socket* s) const noexcept { mnl_socket_close(s); }
    };

    nlmsghdr* header(std::uint16_t type, std::uint8_t cmd, std::uint8_t version, unsigned seq,
                     std::uint16_t flags);

    std::unique_ptr<mnl_socket, closer> sock_;
    unsigned portid_ = 0;
    unsigned seq_ = 0;
    std::uint16_t family_ = 0;
    std::uint32_t monitor_ = 0;
    std::vector<char> send_;
    std::vector<char> recv_;
};

}  // namespace kctl::detail

#endif
