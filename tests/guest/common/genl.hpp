// The kdemo generic netlink family through libmnl and raw socket calls, for
// the driver tests: no libkctl, so no library bug can hide a driver bug.
#pragma once

#include <linux/kdemo_netlink.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

struct mnl_socket;
struct nlmsghdr;

namespace kt {

// One parsed message: the last attribute of each type, and every
// KDEMO_A_VALUE; the generic netlink command.
struct GenlMsg {
    int cmd = 0;
    std::map<int, std::string> attrs;

    bool has(int type) const { return attrs.count(type) != 0; }
    uint64_t u64(int type) const;
    uint32_t u32(int type) const;
    std::string str(int type) const;  // a NUL-terminated string attribute
};

// The answer to one request: errno (0 on success), the extack message,
// the type of the attribute it named (bad attribute's type, or missing
// type), and the replies.
struct GenlAnswer {
    int err = 0;
    std::string extack;
    int bad_attr = 0;      // type of the attribute NLMSGERR_ATTR_OFFS points at
    int missing_attr = 0;  // NLMSGERR_ATTR_MISS_TYPE
    std::vector<GenlMsg> replies;
};

// Appends attributes to a request.
using GenlBuild = std::function<void(nlmsghdr*)>;

class Genl {
  public:
    // Opens a socket and resolves the family (throws std::system_error; the
    // errno is ENOENT if there is no family "kdemo").
    Genl();
    ~Genl();
    Genl(const Genl&) = delete;
    Genl& operator=(const Genl&) = delete;

    int fd() const;
    uint16_t family() const { return family_; }
    uint32_t monitor_group() const { return monitor_; }
    // Operations the family announced (CTRL_ATTR_OPS) and their flags.
    const std::map<int, uint32_t>& ops() const { return ops_; }

    // One request: cmd with @build's attributes (KDEMO_A_DEV_INDEX first
    // when @dev >= 0), NLM_F_ACK always, NLM_F_DUMP if @dump.
    GenlAnswer request(int cmd, int dev, const GenlBuild& build = {}, bool dump = false);
    // Sends @len raw bytes (a whole netlink message) and reads the answer.
    GenlAnswer raw(const void* msg, size_t len);
    // Sends @len raw bytes (its sequence number set if the header is whole),
    // then a GET_SUM of device 0 as a probe, and reads up to the probe's
    // answer (into *@probe): the raw message's answer, or nullopt if the
    // kernel gave none (netlink drops a message whose nlmsg_len is shorter
    // than its header or longer than what was sent). A failed send is an
    // answer with that errno and extack "sendto".
    std::optional<GenlAnswer> raw_probed(const void* msg, size_t len, GenlAnswer* probe = nullptr);

    // Joins the monitor group and makes the receive buffer @rcvbuf bytes.
    void subscribe(int rcvbuf = 1 << 20);
    // The next change-ntf, or nullopt if none arrives within @timeout;
    // *overflow is set when the socket reported ENOBUFS.
    std::optional<GenlMsg> event(std::chrono::milliseconds timeout, bool* overflow = nullptr);

  private:
    GenlAnswer transact(nlmsghdr* nlh);
    // Reads up to the answer of sequence number seq_; messages of @other_seq
    // go into *@other (set once any arrives).
    GenlAnswer receive(uint32_t other_seq, std::optional<GenlAnswer>* other);
    void parse_error(const nlmsghdr* msg, GenlAnswer& ans) const;

    mnl_socket* sock_ = nullptr;
    uint32_t portid_ = 0;
    uint32_t seq_ = 1;
    uint16_t family_ = 0;
    uint32_t monitor_ = 0;
    std::map<int, uint32_t> ops_;
    std::vector<char> buf_;
    std::vector<char> last_;  // the last request, for NLMSGERR_ATTR_OFFS
};

// Appends attributes (thin wrappers of libmnl's, for the tests).
void put_u32(nlmsghdr* nlh, int type, uint32_t v);
void put_u64(nlmsghdr* nlh, int type, uint64_t v);
void put_bytes(nlmsghdr* nlh, int type, const std::string& bytes);

// A request of the family in @buf (for raw(): malformed messages).
nlmsghdr* genl_header(std::vector<char>& buf, uint16_t family, int cmd, uint16_t flags);

}  // namespace kt
