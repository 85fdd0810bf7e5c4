// Fuzzing the generic netlink family: random raw genl messages, each checked
// against the model of the device (fuzz_fixture.hpp) as root, so mutations
// are allowed.
//
// Messages: random commands (0, every operation, the event command, up to
// 255), NLM_F_DUMP on do-only operations, attribute soups (types 0 ..
// KDEMO_A_MAX + 5 in any order, wrong lengths, duplicates, 0..5000 values for
// add, messages up to the policy's limit), a malformed last attribute,
// nlmsg_len shorter than its header, than the genl header or longer than what
// was sent, and messages larger than the socket's send buffer. The outcome is
// predicted from the netlink core's strict validation (the family validates
// every command strictly: docs/NETLINK.md) and the driver's documented
// behaviour: the errno, or a dropped message (no answer at all), or success
// and the exact change of state; every driver or policy refusal must carry an
// extack text. After each message a GET_SUM probe on the same socket
// separates its answer from the next, and the state (ioctl) must equal the
// model. Seeds, budgets and the replay line as in fuzz_test.cpp
// (KDEMO_FUZZ_SEED, KDEMO_FUZZ_SECONDS, KDEMO_STRESS_SECONDS).
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <sys/prctl.h>

#include <gtest/gtest.h>

#include <climits>
#include <cstring>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "common/genl.hpp"
#include "common/hardening.hpp"
#include "common/kdemo.hpp"
#include "hardening/fuzz_fixture.hpp"

namespace kt {
namespace {

constexpr size_t kNlaMax = 65535 - 4;  // KDEMO_MSG_NL_MAX

struct Attr {
    uint16_t type = 0;
    std::string payload;
};

// One message to send and what it is made of.
struct Message {
    int cmd = 0;
    uint16_t flags = 0;
    std::vector<Attr> attrs;
    bool bad_tail = false;  // a malformed attribute header at the end
    // How the header lies: 0 not at all, 1 nlmsg_len longer than what is sent,
    // 2 nlmsg_len shorter than struct nlmsghdr, 3 no whole genl header.
    int lie = 0;
    size_t oversize = 0;  // > 0: padding to this many bytes (beyond the send buffer)
};

// The bytes of @m for @family.
std::vector<char> encode(const Message& m, uint16_t family, std::mt19937_64& rng) {
    std::vector<char> b(NLMSG_HDRLEN + GENL_HDRLEN, 0);
    auto put = [&](uint16_t type, const std::string& p) {
        const size_t at = b.size();
        nlattr a{static_cast<uint16_t>(NLA_HDRLEN + p.size()), type};
        b.resize(at + NLA_ALIGN(NLA_HDRLEN + p.size()), 0);
        std::memcpy(b.data() + at, &a, sizeof a);
        std::memcpy(b.data() + at + NLA_HDRLEN, p.data(), p.size());
    };
    for (const Attr& a : m.attrs)
        put(a.type, a.payload);
    if (m.bad_tail) {
        // a header whose nla_len is below NLA_HDRLEN or beyond the message
        nlattr a{static_cast<uint16_t>(rng() % 2 ? rng() % NLA_HDRLEN : 64 + rng() % 1000),
                 KDEMO_A_DEV_INDEX};
        const size_t at = b.size();
        b.resize(at + sizeof a + 4, 0);
        std::memcpy(b.data() + at, &a, sizeof a);
    }
    if (m.oversize > b.size()) {
        // a message too large for the socket: padding attributes of type 0
        while (b.size() + 65536 <= m.oversize)
            put(0, std::string(65531, 'p'));
        b.resize(m.oversize, 0);
    }
    auto* h = reinterpret_cast<nlmsghdr*>(b.data());
    h->nlmsg_len = static_cast<uint32_t>(b.size());
    h->nlmsg_type = family;
    h->nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | m.flags);
    auto* g = reinterpret_cast<genlmsghdr*>(b.data() + NLMSG_HDRLEN);
    g->cmd = static_cast<uint8_t>(m.cmd);
    g->version = static_cast<uint8_t>(rng());  // genetlink ignores it
    switch (m.lie) {
        case 1:  // claims more than is sent
            h->nlmsg_len = static_cast<uint32_t>(b.size() + 1 + rng() % 100);
            break;
        case 2:  // shorter than its own header; sent as claimed
            b.resize(NLMSG_HDRLEN + rng() % 4);
            h = reinterpret_cast<nlmsghdr*>(b.data());
            h->nlmsg_len = static_cast<uint32_t>(rng() % NLMSG_HDRLEN);
            break;
        case 3:  // part of the genl header only; sent as claimed
            b.resize(NLMSG_HDRLEN + rng() % GENL_HDRLEN);
            h = reinterpret_cast<nlmsghdr*>(b.data());
            h->nlmsg_len = static_cast<uint32_t>(b.size());
            break;
    }
    return b;
}

// What the kernel must answer.
struct Outcome {
    bool dropped = false;  // no answer at all
    int err = 0;
    bool text_due = false;  // a refusal of the driver or of its policy: extack text
    bool dump = false;
};

class FuzzNetlink : public Fuzz {
  protected:
    void SetUp() override {
        Fuzz::SetUp();
        if (HasFatalFailure() || IsSkipped())
            return;
        nl.emplace();
    }
    void TearDown() override {
        nl.reset();
        Fuzz::TearDown();
    }

    std::string random_bytes(size_t n) {
        std::string s(n, '\0');
        for (auto& c : s)
            c = static_cast<char>(rng() % 95 + 32);
        return s;
    }
    static std::string u32(uint32_t v) { return std::string(reinterpret_cast<char*>(&v), 4); }
    static std::string s64(int64_t v) { return std::string(reinterpret_cast<char*>(&v), 8); }

    int64_t random_value() {
        switch (rng() % 8) {
            case 0:
                return INT64_MAX - static_cast<int64_t>(rng() % 1000);
            case 1:
                return INT64_MIN + static_cast<int64_t>(rng() % 1000);
            default:
                return static_cast<int64_t>(rng() % 2001) - 1000;
        }
    }

    Attr random_attr() {
        Attr a;
        const unsigned pick = rng() % 10;
        if (pick < 3) {
            a.type = KDEMO_A_DEV_INDEX;
            a.payload = rng() % 8 ? u32(rng() % 4 ? 0 : static_cast<uint32_t>(rng() % 70))
                                  : random_bytes(rng() % 10);
        } else if (pick < 5) {
            a.type = KDEMO_A_VALUE;
            a.payload = rng() % 8 ? s64(random_value()) : random_bytes(rng() % 13);
        } else if (pick < 7) {
            a.type = KDEMO_A_MSG;
            a.payload = random_bytes(message_length());
        } else {
            a.type = static_cast<uint16_t>(rng() % (KDEMO_A_MAX + 6));
            a.payload = random_bytes(rng() % 13);
        }
        return a;
    }
    size_t message_length() {
        switch (rng() % 10) {
            case 0:
                return std::min<size_t>(kNlaMax, msg_max + (rng() % 3));  // at and over msg_max
            case 1:
                return rng() % (kNlaMax + 1);
            default:
                return rng() % 65;
        }
    }

    Message random_message() {
        Message m;
        const unsigned c = rng() % 20;
        m.cmd = c < 16   ? KDEMO_CMD_GET_DEV + static_cast<int>(rng() % 7)
                : c < 18 ? static_cast<int>(rng() % 2 ? 0 : KDEMO_CMD_CHANGE_NTF)
                         : static_cast<int>(rng() % 256);
        m.flags = NLM_F_ACK;
        const unsigned f = rng() % 10;
        if (f == 0)
            m.flags |= NLM_F_DUMP;
        else if (f == 1 && m.cmd >= KDEMO_CMD_GET_DEV && m.cmd <= KDEMO_CMD_GET_INFO)
            m.flags |= rng() % 2 ? NLM_F_ROOT : NLM_F_MATCH;  // half a dump: a do
        if (rng() % 2) {                                      // a sane request, perhaps with extras
            m.attrs.push_back({KDEMO_A_DEV_INDEX, u32(0)});
            if (m.cmd == KDEMO_CMD_SET_MSG)
                m.attrs.push_back({KDEMO_A_MSG, random_bytes(message_length())});
            if (m.cmd == KDEMO_CMD_ADD) {
                size_t n = rng() % 8 ? 1 + rng() % 8 : rng() % 5001;
                for (size_t i = 0; i < n; ++i)
                    m.attrs.push_back({KDEMO_A_VALUE, s64(random_value())});
            }
            if (rng() % 5 == 0)
                m.attrs.insert(m.attrs.begin() + static_cast<long>(rng() % (m.attrs.size() + 1)),
                               random_attr());
        } else {
            const size_t n = rng() % 7;
            for (size_t i = 0; i < n; ++i)
                m.attrs.push_back(random_attr());
        }
        m.bad_tail = rng() % 25 == 0;
        const unsigned l = rng() % 40;
        m.lie = l < 3 ? static_cast<int>(l) + 1 : 0;
        if (rng() % 200 == 0) {
            m.oversize = 300 * 1024 + rng() % 100000;
            m.lie = 0;
        }
        return m;
    }

    // The outcome docs/NETLINK.md and the netlink core's strict validation
    // predict; @next becomes the state after a success.
    Outcome predict(const Message& m, Model& next) {
        Outcome o;
        if (m.oversize) {  // larger than the send buffer (sk_sndbuf - 32)
            o.err = EMSGSIZE;
            return o;
        }
        if (m.lie == 1 || m.lie == 2) {
            o.dropped = true;
            return o;
        }
        if (m.lie == 3)
            return {false, EINVAL, false, false};
        if (m.cmd < KDEMO_CMD_GET_DEV || m.cmd > KDEMO_CMD_GET_INFO)
            return {false, EOPNOTSUPP, false, false};
        o.dump = (m.flags & NLM_F_DUMP) == NLM_F_DUMP;
        if (o.dump && m.cmd != KDEMO_CMD_GET_DEV)
            return {false, EOPNOTSUPP, false, true};
        // the policy, attribute by attribute in order
        std::map<int, std::string> last;
        size_t values = 0;
        for (const Attr& a : m.attrs) {
            const size_t len = a.payload.size();
            if (a.type == KDEMO_A_DEV_INDEX) {
                if (len != 4)
                    return {false, EINVAL, true, o.dump};
                uint32_t v;
                std::memcpy(&v, a.payload.data(), 4);
                if (v > KDEMO_DEV_INDEX_MAX)
                    return {false, ERANGE, true, o.dump};
            } else if (a.type == KDEMO_A_VALUE) {
                if (len != 8)
                    return {false, EINVAL, true, o.dump};
                values++;
            } else if (a.type != KDEMO_A_MSG) {
                return {false, EINVAL, true, o.dump};  // type 0, reply-only, unknown
            }
            last[a.type] = a.payload;
        }
        if (m.bad_tail)
            return {false, EINVAL, true, o.dump};
        if (o.dump)
            return o;  // every device; the dump reads no attribute
        o.text_due = true;
        if (!last.count(KDEMO_A_DEV_INDEX))
            return {false, EINVAL, true, false};
        uint32_t dev;
        std::memcpy(&dev, last[KDEMO_A_DEV_INDEX].data(), 4);
        if (dev != 0)  // the module has one device
            return {false, ENODEV, true, false};
        switch (m.cmd) {
            case KDEMO_CMD_SET_MSG:
                if (!last.count(KDEMO_A_MSG))
                    return {false, EINVAL, true, false};
                if (last[KDEMO_A_MSG].size() > msg_max)
                    return {false, EMSGSIZE, true, false};
                next.message = last[KDEMO_A_MSG];
                next.changed();
                break;
            case KDEMO_CMD_ADD: {
                if (!values)
                    return {false, EINVAL, true, false};
                if (values > KDEMO_BATCH_MAX)
                    return {false, E2BIG, true, false};
                int64_t sum = next.sum;
                for (const Attr& a : m.attrs) {
                    if (a.type != KDEMO_A_VALUE)
                        continue;
                    int64_t v;
                    std::memcpy(&v, a.payload.data(), 8);
                    if (__builtin_add_overflow(sum, v, &sum))
                        return {false, ERANGE, true, false};
                }
                next.sum = sum;
                next.count += values;
                next.changed();
                break;
            }
            case KDEMO_CMD_RESET:
                next.sum = 0;
                next.count = 0;
                next.changed();
                break;
        }
        o.text_due = false;
        return o;
    }

    // The replies of a successful get-* against the model.
    std::string check_replies(int cmd, bool dump, const GenlAnswer& a) {
        if (cmd == KDEMO_CMD_SET_MSG || cmd == KDEMO_CMD_ADD || cmd == KDEMO_CMD_RESET)
            return a.replies.empty() ? "" : "a reply to a mutation";
        if (a.replies.size() != 1)
            return std::to_string(a.replies.size()) + " replies" + (dump ? " to the dump" : "");
        const GenlMsg& r = a.replies[0];
        if (r.u32(KDEMO_A_DEV_INDEX) != 0)
            return "reply for device " + std::to_string(r.u32(KDEMO_A_DEV_INDEX));
        if (r.has(KDEMO_A_GENERATION) && r.u64(KDEMO_A_GENERATION) != model.generation)
            return "reply of generation " + std::to_string(r.u64(KDEMO_A_GENERATION));
        if (r.has(KDEMO_A_SUM) && static_cast<int64_t>(r.u64(KDEMO_A_SUM)) != model.sum)
            return "reply with sum " + std::to_string(static_cast<int64_t>(r.u64(KDEMO_A_SUM)));
        if (r.has(KDEMO_A_COUNT) && r.u64(KDEMO_A_COUNT) != model.count)
            return "reply with count " + std::to_string(r.u64(KDEMO_A_COUNT));
        if (r.has(KDEMO_A_MSG_LEN) && r.u64(KDEMO_A_MSG_LEN) != model.message.size())
            return "reply with msg-len " + std::to_string(r.u64(KDEMO_A_MSG_LEN));
        if (cmd == KDEMO_CMD_GET_MSG &&
            (!r.has(KDEMO_A_MSG) || r.attrs.at(KDEMO_A_MSG) != model.message))
            return "get-msg reply differs from the model's message";
        return "";
    }

    std::optional<Genl> nl;
    std::mt19937_64 rng;
};

const char* cmd_name(int cmd) {
    static const char* const names[] = {"0",       "get-dev", "get-msg",  "set-msg",   "add",
                                        "get-sum", "reset",   "get-info", "change-ntf"};
    return cmd >= 0 && cmd < static_cast<int>(std::size(names)) ? names[cmd] : "unknown";
}

TEST_P(FuzzNetlink, RandomGenlMessagesKeepTheStateValid) {
    ASSERT_TRUE(nl);
    rng.seed(seed);
    KmsgWatch kmsg;
    const double seconds = run_seconds();
    Budget budget(seconds, iteration_cap(seconds, 2000));
    std::map<std::string, uint64_t> outcomes;
    uint64_t dropped = 0, dumps = 0, succeeded = 0, no_text = 0;

    // The netlink core warns (in the sender's name) about wrong attribute
    // lengths and leftover bytes: the fuzzer sends them on purpose, so it runs
    // under a name that does not look like a kdemo problem in the kernel log.
    char comm[17] = {};
    prctl(PR_GET_NAME, comm);
    prctl(PR_SET_NAME, "genl-fuzz");
    while (budget.next()) {
        iteration = budget.iterations();
        const Message m = random_message();
        Model next = model;
        const Outcome want = predict(m, next);
        const std::vector<char> bytes = encode(m, nl->family(), rng);
        GenlAnswer probe;
        const std::optional<GenlAnswer> got = nl->raw_probed(bytes.data(), bytes.size(), &probe);
        const std::string head =
            std::string(cmd_name(m.cmd)) + " (cmd " + std::to_string(m.cmd) + ", flags " +
            std::to_string(m.flags) + ", " + std::to_string(m.attrs.size()) + " attrs, " +
            std::to_string(bytes.size()) + " bytes, lie " + std::to_string(m.lie) + ")";
        if (probe.err)
            finding(head + ": the probe after it failed with " + errs_str({probe.err}));
        if (want.dropped) {
            dropped++;
            if (got)
                finding(head + ": answered " + errs_str({got->err}) + ", expected no answer");
        } else if (!got) {
            finding(head + ": no answer, expected " + errs_str({want.err}));
        } else if (got->err != want.err) {
            finding(head + ": got " + errs_str({got->err}) + " (" + got->extack + "), expected " +
                    errs_str({want.err}));
        } else if (want.err) {
            if (want.text_due && got->extack.empty()) {
                no_text++;
                finding(head + ": refused with " + errs_str({want.err}) + " but no extack text");
            }
        } else {
            succeeded++;
            dumps += want.dump;
            model = next;
            if (auto bad = check_replies(m.cmd, want.dump, *got); !bad.empty())
                finding(head + ": " + bad);
        }
        if (!want.dropped)
            outcomes[want.err ? strerrorname_np(want.err) : "ok"]++;
        check_state(head, m.cmd == KDEMO_CMD_SET_MSG);
    }
    prctl(PR_SET_NAME, comm);
    check_views("at the end");
    report_findings();
    auto problems = expect_clean_kernel_log(kmsg, "the netlink fuzzer");

    Figures f("fuzz-netlink");
    f.add("seed", seed);
    f.add("msg_max", msg_max);
    f.add("iterations", budget.iterations());
    f.add("succeeded", succeeded);
    f.add("dumps", dumps);
    f.add("dropped", dropped);
    for (const auto& [name, n] : outcomes)
        f.add(name, n);
    f.add("no_extack", no_text);
    f.add("unexpected", findings);
    f.add("reports", problems.size());
    f.print();
}

INSTANTIATE_TEST_SUITE_P(Seeds, FuzzNetlink, ::testing::Values(Seed::Fixed, Seed::Fresh),
                         [](const ::testing::TestParamInfo<Seed>& p) {
                             return p.param == Seed::Fixed ? "Fixed" : "Fresh";
                         });

}  // namespace
}  // namespace kt
