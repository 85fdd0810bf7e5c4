// SPDX-License-Identifier: GPL-2.0-or-later
// The `auto` chooser, table-driven: permissions x operation x message size -> transports.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <utility>
#include <vector>

#include "chooser.hpp"
#include "entry_data.hpp"

namespace kctl::detail {
namespace {

/// What the caller may do with the node, the sysfs files and the proc files.
/// net_admin: CAP_NET_ADMIN, which netlink's mutations need (its reads need nothing).
struct perms {
    bool node_r, node_w, sysfs_r, sysfs_w, proc_r, proc_w;
    bool net_admin = false;
};

constexpr perms root{true, true, true, true, true, true, true};
constexpr perms group_member{true, true, true, true, true, false};  // the udev rule
constexpr perms node_read_only{true, false, true, true, true, true, true};
constexpr perms stranger{false, false, true, false, true, false};  // no udev rule
constexpr perms proc_only{false, false, false, false, true, false};
constexpr perms nothing{false, false, false, false, false, false};

entry_data probed(const perms& p) {
    entry_data e;
    e.name = "kdemo0";
    e.node = "/dev/kdemo0";
    e.syspath = "/sys/devices/virtual/kdemo/kdemo0";
    e.procdir = "/proc/kdemo/kdemo0";
    probe(
        e,
        [&p, &e](const std::string& path, int mode) {
            const bool write = mode == W_OK;
            bool ok = false;
            if (path == e.node)
                ok = write ? p.node_w : p.node_r;
            else if (path.starts_with(e.syspath + "/"))
                ok = write ? p.sysfs_w : p.sysfs_r;
            else if (path.starts_with(e.procdir + "/"))
                ok = write ? p.proc_w : p.proc_r;
            else
                return ENOENT;
            return ok ? 0 : EACCES;
        },
        p.net_admin);
    return e;
}

std::string order(const plan& p) {
    std::string out;
    for (std::size_t i = 0; i < p.size; ++i)
        out += (i ? " " : "") + std::string(to_string(p.order[i]));
    return out;
}

std::string passed(const plan& p, operation op) {
    std::string out;
    for (std::size_t i = 0; i < p.passed_size; ++i)
        out += (i ? ", " : "") + describe_skip(op, p.passed[i], false);
    return out;
}

/// Where the chooser must rank `k` for `op`: full support before partial, then the measured
/// order of preference.inc (tools/bench-preference), which the tests read rather than restate.
std::size_t rank(operation op, transport_kind k) {
    const auto& pref = preference(op);
    const auto pos =
        static_cast<std::size_t>(std::find(pref.begin(), pref.end(), k) - pref.begin());
    return (capability(k, op) == support::full ? 0 : transport_count) + pos;
}

/// The items of `list` (joined by `sep`, each beginning with a transport's name) in the order
/// the chooser must produce them for `op`.
std::string in_preference_order(operation op, const std::string& list, const std::string& sep) {
    std::vector<std::pair<std::size_t, std::string>> items;
    for (std::size_t at = 0; at < list.size();) {
        std::size_t end = list.find(sep, at);
        if (end == std::string::npos)
            end = list.size();
        std::string item = list.substr(at, end - at);
        const auto kind = parse_transport(item.substr(0, item.find(' ')));
        EXPECT_TRUE(kind) << item;
        items.emplace_back(kind ? rank(op, *kind) : 0, std::move(item));
        at = end + sep.size();
    }
    std::stable_sort(items.begin(), items.end());
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i)
        out += (i ? sep : "") + items[i].second;
    return out;
}

/// Which transports are candidates and which are passed over (and why) is written per case;
/// the order of both comes from the measured table.
struct choice_case {
    const char* name;
    perms who;
    operation op;
    std::size_t msg_size;
    const char* candidates;  // the transports tried, in any order
    const char* passed;      // transports passed over, and why, in any order
};

class Chooser : public testing::TestWithParam<choice_case> {};

TEST_P(Chooser, OrdersUsableTransportsByTheMeasuredPreference) {
    const choice_case& c = GetParam();
    const plan p = choose(probed(c.who).usable, c.op, c.msg_size);
    EXPECT_EQ(order(p), in_preference_order(c.op, c.candidates, " "));
    EXPECT_EQ(passed(p, c.op), in_preference_order(c.op, c.passed, ", "));
}

constexpr auto get_msg = operation::get_msg;
constexpr auto set_msg = operation::set_msg;
constexpr auto add = operation::add;
constexpr auto sum = operation::sum;
constexpr auto reset = operation::reset;
constexpr auto info_op = operation::info;
constexpr auto watch = operation::watch;

INSTANTIATE_TEST_SUITE_P(
    Table, Chooser,
    testing::Values(
        choice_case{"RootSum", root, sum, 0, "mmap ioctl sysfs proc netlink", ""},
        choice_case{"RootGetMsg", root, get_msg, 0, "ioctl sysfs proc netlink", ""},
        choice_case{"RootSetMsg", root, set_msg, 2, "ioctl sysfs proc netlink", ""},
        choice_case{"RootSetMsgAtSysfsLimit", root, set_msg, 4094, "ioctl sysfs proc netlink", ""},
        choice_case{"RootSetMsgOverSysfsLimit", root, set_msg, 4095, "ioctl proc netlink",
                    "sysfs cannot carry it (EFBIG)"},
        choice_case{"RootAdd", root, add, 0, "ioctl sysfs proc netlink", ""},
        choice_case{"RootReset", root, reset, 0, "ioctl sysfs proc netlink", ""},
        choice_case{"RootInfoPrefersCompleteProcOverPartialSysfs", root, info_op, 0,
                    "ioctl proc netlink sysfs", ""},
        choice_case{"RootWatch", root, watch, 0, "ioctl sysfs netlink", ""},
        choice_case{"GroupMemberSetMsg", group_member, set_msg, 2, "ioctl sysfs",
                    "proc not writable (EACCES), netlink not writable (EPERM)"},
        choice_case{"ReadOnlyNodeStillReadsThroughIoctl", node_read_only, get_msg, 0,
                    "ioctl sysfs proc netlink", ""},
        choice_case{"ReadOnlyNodeStillMaps", node_read_only, sum, 0,
                    "mmap ioctl sysfs proc netlink", ""},
        choice_case{"ReadOnlyNodeSetMsgFallsBackToSysfs", node_read_only, set_msg, 2,
                    "sysfs proc netlink", "ioctl not writable (EACCES)"},
        choice_case{"ReadOnlyNodeBigSetMsgFallsBackToProc", node_read_only, set_msg, 5000,
                    "proc netlink", "ioctl not writable (EACCES), sysfs cannot carry it (EFBIG)"},
        choice_case{"ReadOnlyNodeAdd", node_read_only, add, 0, "sysfs proc netlink",
                    "ioctl not writable (EACCES)"},
        choice_case{"ReadOnlyNodeReset", node_read_only, reset, 0, "sysfs proc netlink",
                    "ioctl not writable (EACCES)"},
        choice_case{"StrangerSum", stranger, sum, 0, "sysfs proc netlink",
                    "mmap not readable (EACCES), ioctl not readable (EACCES)"},
        choice_case{"StrangerInfo", stranger, info_op, 0, "proc netlink sysfs",
                    "ioctl not readable (EACCES)"},
        choice_case{"StrangerWatch", stranger, watch, 0, "sysfs netlink",
                    "ioctl not readable (EACCES)"},
        choice_case{"StrangerSetMsg", stranger, set_msg, 2, "",
                    "ioctl not writable (EACCES), sysfs not writable (EACCES), "
                    "proc not writable (EACCES), netlink not writable (EPERM)"},
        choice_case{"ProcOnlyInfo", proc_only, info_op, 0, "proc netlink",
                    "ioctl not readable (EACCES), sysfs not readable (EACCES)"},
        choice_case{"ProcOnlyWatch", proc_only, watch, 0, "netlink",
                    "ioctl not readable (EACCES), sysfs not readable (EACCES)"},
        choice_case{"NothingSum", nothing, sum, 0, "netlink",
                    "mmap not readable (EACCES), ioctl not readable (EACCES), "
                    "sysfs not readable (EACCES), proc not readable (EACCES)"},
        choice_case{"RootSetMsgOverNetlinkLimit", root, set_msg, 65532, "ioctl proc",
                    "sysfs cannot carry it (EFBIG), netlink cannot carry it (EFBIG)"},
        choice_case{"RootSetMsgAtNetlinkLimit", root, set_msg, 65531, "ioctl proc netlink",
                    "sysfs cannot carry it (EFBIG)"}),
    [](const testing::TestParamInfo<choice_case>& p) { return p.param.name; });

// Every operation's row of preference.inc names each concrete transport once.
TEST(Chooser, PreferenceOrdersEveryTransportOnce) {
    for (const operation op : all_operations) {
        auto row = preference(op);
        std::sort(row.begin(), row.end());
        EXPECT_TRUE(std::equal(row.begin(), row.end(), std::begin(concrete_transports)))
            << to_string(op);
    }
}

// With everything usable, the candidates are exactly the supporting transports in the
// table's order (full support first; uring never for one call).
TEST(Chooser, RootFollowsThePreferenceTable) {
    for (const operation op : all_operations) {
        std::string expected;
        for (const support level : {support::full, support::partial})
            for (const transport_kind k : preference(op))
                if (k != transport_kind::uring && capability(k, op) == level)
                    expected += (expected.empty() ? "" : " ") + std::string(to_string(k));
        EXPECT_EQ(order(choose(probed(root).usable, op)), expected) << to_string(op);
    }
}

TEST(Chooser, OnlyMmapLacksEverythingButSum) {
    for (const operation op : all_operations)
        EXPECT_EQ(capability(transport_kind::mmap, op) != support::none, op == operation::sum);
    EXPECT_EQ(capability(transport_kind::sysfs, operation::info), support::partial);
    EXPECT_EQ(capability(transport_kind::proc, operation::watch), support::none);
}

// One io_uring command costs more than one ioctl: auto never picks uring for a single call,
// even when it is the only transport left; asked for by name it serves all but watch.
TEST(Chooser, AutoNeverPicksUringForOneCall) {
    for (const operation op : all_operations) {
        usability u;
        for (const transport_kind k : concrete_transports)
            u.at(k, op) = k == transport_kind::uring ? 0 : EACCES;
        EXPECT_EQ(order(choose(u, op)), "") << to_string(op);
        EXPECT_EQ(order(only(transport_kind::uring, op)), op == operation::watch ? "" : "uring");
    }
}

TEST(Chooser, ExplicitTransportIsTheOnlyCandidate) {
    EXPECT_EQ(order(only(transport_kind::sysfs, operation::set_msg)), "sysfs");
    EXPECT_EQ(order(only(transport_kind::mmap, operation::set_msg)), "");
}

TEST(Chooser, NodeWithoutDevnodeIsNotPresent) {
    entry_data e = probed(root);
    e.node.clear();
    probe(e, [](const std::string&, int) { return 0; });
    const plan p = choose(e.usable, operation::sum);
    EXPECT_EQ(order(p), in_preference_order(operation::sum, "sysfs proc netlink", " "));
    EXPECT_EQ(passed(p, operation::sum),
              in_preference_order(operation::sum,
                                  "mmap not present (ENOENT), ioctl not present (ENOENT)", ", "));
}

TEST(FallbackRule, OnlyUnusableOrUnsupportedMovesOn) {
    for (const transport_kind k : concrete_transports) {
        for (const int err : {EACCES, EPERM, ENOENT, ENOTTY, EOPNOTSUPP, EBADF, EFBIG})
            EXPECT_TRUE(is_fallback_error(k, err)) << to_string(k) << " " << errno_name(err);
        for (const int err : {EINVAL, ERANGE, EMSGSIZE, E2BIG, EFAULT, EIO, ENOMEM})
            EXPECT_FALSE(is_fallback_error(k, err)) << to_string(k) << " " << errno_name(err);
    }
}

TEST(FallbackRule, AnUnusableSnapshotPageMovesOnOtherTransportsAnswer) {
    // mmap: ENODEV (the driver maps nothing), EPROTO (a page of another ABI)
    for (const int err : {ENODEV, EPROTO}) {
        EXPECT_TRUE(is_fallback_error(transport_kind::mmap, err)) << errno_name(err);
        for (const transport_kind k :
             {transport_kind::ioctl, transport_kind::sysfs, transport_kind::proc})
            EXPECT_FALSE(is_fallback_error(k, err)) << to_string(k) << " " << errno_name(err);
    }
}

TEST(NodeOpenMode, FollowsThePermissions) {
    EXPECT_EQ(node_open_mode(probed(root).usable), O_RDWR);
    EXPECT_EQ(node_open_mode(probed(node_read_only).usable), O_RDONLY);
    EXPECT_EQ(node_open_mode(probed(stranger).usable), O_RDONLY);
    EXPECT_EQ(node_open_mode(probed({false, true, false, false, false, false}).usable), O_WRONLY);
}

TEST(Probe, NetlinkMutationsNeedCapNetAdminReadsDoNot) {
    const entry_data with = probed(root);
    const entry_data without = probed(group_member);
    for (const operation op : all_operations) {
        EXPECT_EQ(with.usable.at(transport_kind::netlink, op), 0) << to_string(op);
        EXPECT_EQ(without.usable.at(transport_kind::netlink, op), is_mutation(op) ? EPERM : 0)
            << to_string(op);
    }
}

TEST(Probe, ChecksEveryFileAnOperationNeeds) {
    entry_data e = probed(root);
    std::vector<std::string> asked;
    probe(e, [&asked](const std::string& path, int) {
        asked.push_back(path);
        return path.ends_with("/generation") ? EACCES : 0;
    });
    EXPECT_EQ(e.usable.at(transport_kind::sysfs, operation::sum), EACCES);
    EXPECT_EQ(e.usable.at(transport_kind::sysfs, operation::watch), EACCES);
    EXPECT_EQ(e.usable.at(transport_kind::sysfs, operation::get_msg), 0);
    EXPECT_EQ(e.usable.at(transport_kind::proc, operation::sum), 0);
    EXPECT_EQ(e.usable.at(transport_kind::proc, operation::watch), EOPNOTSUPP);
    EXPECT_NE(std::find(asked.begin(), asked.end(), e.procdir + "/info"), asked.end());
}

}  // namespace
}  // namespace kctl::detail
