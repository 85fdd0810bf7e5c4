// The automatic chooser against the real permissions of root, kuser and
// outsider: what it picks (last_transport), what it says (the log callback),
// that it falls back only when a transport cannot serve, and that every
// transport keeps its descriptors open between calls.
#include <fcntl.h>
#include <linux/kcmp.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <kctl/kctl.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>
#include <vector>

#include "kctl/fixture.hpp"
#include "kctl/preference.hpp"

namespace kt {
namespace {

using kctl::operation;
using T = kctl::transport_kind;

// What one operation did: the transport that served it (auto if none), its
// errno, and the chooser's log lines.
std::string describe(operation op, T served, int err, const std::vector<std::string>& log) {
    std::string s = name_of(op) + " -> " + name_of(served) + " (" + err_name(err) + ")";
    for (const std::string& line : log)
        s += " | " + line;
    return s + "\n";
}

// Runs every operation on a fresh automatic device and describes each.
std::string choose_everything(const std::string& device = "kdemo0") {
    std::string out;
    for (operation op : kctl::all_operations) {
        std::vector<std::string> log;
        kctl::device d = open_with(T::automatic, &log, device);
        T served = T::automatic;
        int err;
        if (op == operation::watch) {
            err = error_of([&] { served = d.watch().transport(); });
        } else {
            err = run_op(d, op);
            served = d.last_transport(op);
        }
        out += describe(op, served, err, log);
    }
    return out;
}

struct Choice {
    operation op;
    T served;
    int err;
    std::vector<std::string> log;  // what the chooser logs
};

std::string expected(const std::vector<Choice>& rows) {
    std::string out;
    for (const Choice& c : rows)
        out += describe(c.op, c.served, c.err, c.log);
    return out;
}

using O = operation;

// root and kuser may use the node: the fastest transport for everything
const std::vector<Choice> kNodeUser = {
    {O::get_msg, T::ioctl, 0, {"get-msg: using ioctl (fastest usable)"}},
    {O::set_msg, T::ioctl, 0, {"set-msg: using ioctl (fastest usable)"}},
    {O::add, T::ioctl, 0, {"add: using ioctl (fastest usable)"}},
    {O::sum, T::mmap, 0, {"sum: using mmap (fastest usable)"}},
    {O::reset, T::ioctl, 0, {"reset: using ioctl (fastest usable)"}},
    {O::info, T::ioctl, 0, {"info: using ioctl (fastest usable)"}},
    // a watcher reads the state it starts from: sum and message
    {O::watch,
     T::ioctl,
     0,
     {"watch: using ioctl (fastest usable)", "sum: using mmap (fastest usable)",
      "get-msg: using ioctl (fastest usable)"}},
};

// outsider: no node; sysfs and proc readable; nothing writable. Between sysfs and proc the
// measured order decides (preference.hpp); a read skips the node.
const std::vector<std::string> kNotWritable = {
    "ioctl not writable (EACCES)", "sysfs not writable (EACCES)", "proc not writable (EACCES)",
    "netlink not writable (EPERM)"};
const std::vector<std::string> kNoNodeRead = {"ioctl not readable (EACCES)"};
const std::vector<std::string> kNoNodeSum = {"mmap not readable (EACCES)",
                                             "ioctl not readable (EACCES)"};

std::vector<Choice> outsider_choices() {
    const T get_msg = first_of(O::get_msg, {T::sysfs, T::proc});
    const T sum = first_of(O::sum, {T::sysfs, T::proc});
    return {
        {O::get_msg, get_msg, 0, {chose(O::get_msg, get_msg, kNoNodeRead)}},
        {O::set_msg, T::automatic, EACCES, {chose(O::set_msg, T::automatic, kNotWritable)}},
        {O::add, T::automatic, EACCES, {chose(O::add, T::automatic, kNotWritable)}},
        {O::sum, sum, 0, {chose(O::sum, sum, kNoNodeSum)}},
        {O::reset, T::automatic, EACCES, {chose(O::reset, T::automatic, kNotWritable)}},
        // full support first: proc has every info field, sysfs only some
        {O::info, T::proc, 0, {"info: ioctl not readable (EACCES), using proc"}},
        // proc has no watch; the watcher reads its first state (sum, message) as anyone does
        {O::watch,
         T::sysfs,
         0,
         {chose(O::watch, T::sysfs, kNoNodeRead), chose(O::sum, sum, kNoNodeSum),
          chose(O::get_msg, get_msg, kNoNodeRead)}},
    };
}

using LibkctlChooser = KctlTest;

TEST_F(LibkctlChooser, RootGetsTheFastestTransportForEachOperation) {
    EXPECT_EQ(as_user("root", [] { return choose_everything(); }), expected(kNodeUser));
}

TEST_F(LibkctlChooser, KuserGetsTheNodeThroughGroupKdemo) {
    EXPECT_EQ(as_user("kuser", [] { return choose_everything(); }), expected(kNodeUser));
}

TEST_F(LibkctlChooser, OutsiderFallsBackToSysfsAndProcReadsAndCannotWrite) {
    EXPECT_EQ(as_user("outsider", [] { return choose_everything(); }),
              expected(outsider_choices()));
}

TEST_F(LibkctlChooser, OutsiderWriteErrorNamesAutoAndEACCES) {
    std::string what = as_user("outsider", [] {
        std::string w;
        kctl::device d = kctl::device::open("0");
        error_of([&] { d.set_msg("no"); }, &w);
        return w;
    });
    EXPECT_EQ(what, std::string("kdemo0: auto: set-msg: ") + std::strerror(EACCES));
}

// A message sysfs cannot carry, read by someone who may not use the node: proc serves it,
// after sysfs failed with EFBIG at run time if the measured order tries sysfs first.
TEST_F(LibkctlChooser, OutsiderReadsALongMessageThroughProc) {
    std::string msg(5000, 'o');
    ASSERT_EQ(set_msg(rw.get(), msg), 0);
    std::string report = as_user("outsider", [] {
        std::vector<std::string> log;
        kctl::device d = open_with(T::automatic, &log);
        std::string got = d.get_msg();
        return std::to_string(got.size()) + " " +
               describe(O::get_msg, d.last_transport(O::get_msg), 0, log);
    });
    const bool sysfs_first = first_of(O::get_msg, {T::sysfs, T::proc}) == T::sysfs;
    EXPECT_EQ(report, "5000 " + describe(O::get_msg, T::proc, 0,
                                         {sysfs_first ? "get-msg: ioctl not readable (EACCES), "
                                                        "sysfs failed (EFBIG), using proc"
                                                      : chose(O::get_msg, T::proc, kNoNodeRead)}));
}

// In a child process: a /dev of its own, empty, as on a system without
// devtmpfs or udev. Nothing changes for anyone else (removing and re-creating
// the real node would leave a node devtmpfs no longer owns).
void without_dev() {
    if (::unshare(CLONE_NEWNS) != 0 ||
        ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        ::mount("tmpfs", "/dev", "tmpfs", MS_NOSUID, "mode=0755") != 0)
        throw std::system_error(errno, std::generic_category(), "an empty /dev");
}

// With no node, root still reaches every operation, and a message longer
// than sysfs can carry goes through proc.
TEST_F(LibkctlChooser, WithoutTheNodeALongMessageGoesThroughProc) {
    std::string msg(5000, 'p');
    std::string report = as_user("root", [&msg] {
        without_dev();
        std::vector<std::string> log;
        kctl::device d = open_with(T::automatic, &log);
        std::string out;
        d.set_msg(msg);
        out += describe(O::set_msg, d.last_transport(O::set_msg), 0, {});
        out += describe(O::get_msg, d.last_transport(O::get_msg), d.get_msg() == msg ? 0 : EIO, {});
        (void)d.sum();
        out += describe(O::sum, d.last_transport(O::sum), 0, {});
        for (const std::string& l : log)
            out += l + "\n";
        // a short message may go to sysfs again: the choice is made per call
        kctl::device again = open_with(T::automatic);
        again.set_msg("short");
        return out + "short: " + name_of(again.last_transport(O::set_msg)) + "\n";
    });
    // sysfs cannot carry it: up front for set-msg, at run time (EFBIG) for get-msg
    const std::vector<std::string> no_node = {"ioctl not present (ENOENT)"};
    std::vector<std::string> sum_passed = no_node;
    sum_passed.push_back("mmap not present (ENOENT)");
    std::vector<std::string> set_passed = no_node;
    set_passed.push_back("sysfs cannot carry it (EFBIG)");
    std::string get_line = chose(O::get_msg, T::proc, no_node);
    if (first_of(O::get_msg, {T::sysfs, T::proc}) == T::sysfs)
        get_line = "get-msg: ioctl not present (ENOENT), sysfs failed (EFBIG), using proc";
    const T sum = first_of(O::sum, {T::sysfs, T::proc});
    EXPECT_EQ(report, describe(O::set_msg, T::proc, 0, {}) + describe(O::get_msg, T::proc, 0, {}) +
                          describe(O::sum, sum, 0, {}) + chose(O::set_msg, T::proc, set_passed) +
                          "\n" + get_line + "\n" + chose(O::sum, sum, sum_passed) + "\n" +
                          "short: " + name_of(first_of(O::set_msg, {T::sysfs, T::proc})) + "\n");
    EXPECT_EQ(get_msg(ro.get()), "short") << "raw";
}

// --- a real error of the device is the answer, not a reason to fall back -----------

struct Masking {
    const char* test_name;
    const char* user;
    bool hide_node;
    operation op;
    T answering;
    int err;
};

class LibkctlNoMasking : public KctlTest, public ::testing::WithParamInterface<Masking> {};

TEST_P(LibkctlNoMasking, DeviceErrorIsThrownFromTheFirstTransportThatServes) {
    const Masking& m = GetParam();
    ASSERT_EQ(add(rw.get(), INT64_MAX), 0);
    ASSERT_EQ(set_msg(rw.get(), "unchanged"), 0);
    Sum before = state();
    uint64_t ops_before[3] = {stat_counter("ioctl_ops"), stat_counter("sysfs_ops"),
                              stat_counter("proc_ops")};
    operation op = m.op;
    bool hide = m.hide_node;
    std::string report = as_user(m.user, [op, hide] {
        if (hide)
            without_dev();
        kctl::device d = kctl::device::open("0");
        try {
            if (op == O::add)
                d.add(1);
            else
                d.set_msg(std::string(kKctlConfig.msg_max + 1, 'x'));
        } catch (const kctl::error& e) {
            return e.transport() + " " + err_name(e.code().value());
        }
        return std::string("no error");
    });
    // automatic: the first of sysfs and proc in the measured order
    const T answering =
        m.answering == T::automatic ? first_of(m.op, {T::sysfs, T::proc}) : m.answering;
    EXPECT_EQ(report, name_of(answering) + " " + err_name(m.err));
    Sum after = state();
    EXPECT_EQ(after.generation, before.generation);
    EXPECT_EQ(after.sum, INT64_MAX);
    EXPECT_EQ(get_msg(ro.get()), "unchanged");
    // no transport ranked below the one that answered was tried
    uint64_t ops_after[3] = {stat_counter("ioctl_ops"), stat_counter("sysfs_ops"),
                             stat_counter("proc_ops")};
    const char* names[3] = {"ioctl", "sysfs", "proc"};
    T kinds[3] = {T::ioctl, T::sysfs, T::proc};
    for (int i = 0; i < 3; i++) {
        // ioctl_ops also counts our own raw GET_SUM/GET_MSG above
        if (kinds[i] != answering && kinds[i] != T::ioctl) {
            EXPECT_EQ(ops_after[i], ops_before[i]) << names[i] << " was tried";
        }
    }
}

INSTANTIATE_TEST_SUITE_P(
    Libkctl, LibkctlNoMasking,
    ::testing::Values(Masking{"RootOverflow", "root", false, O::add, T::ioctl, ERANGE},
                      Masking{"RootTooLong", "root", false, O::set_msg, T::ioctl, EMSGSIZE},
                      Masking{"KuserOverflow", "kuser", false, O::add, T::ioctl, ERANGE},
                      Masking{"KuserTooLong", "kuser", false, O::set_msg, T::ioctl, EMSGSIZE},
                      Masking{"NoNodeOverflow", "root", true, O::add, T::automatic, ERANGE},
                      Masking{"NoNodeTooLong", "root", true, O::set_msg, T::proc, EMSGSIZE}),
    [](const auto& info) { return std::string(info.param.test_name); });

// --- descriptors stay open ----------------------------------------------------------

// kcmp(2): 0 if both descriptors of this process refer to the same open file.
int same_file(int a, int b) {
    return static_cast<int>(::syscall(SYS_kcmp, ::getpid(), ::getpid(), KCMP_FILE, a, b));
}

struct KeptOpen {
    T kind;
    unsigned node_opens;  // open files of the node the device holds
};

class LibkctlDescriptors : public KctlTest, public ::testing::WithParamInterface<KeptOpen> {};

TEST_P(LibkctlDescriptors, StayOpenAcrossAHundredCallsAndCloseWithTheDevice) {
    const T kind = GetParam().kind;
    std::vector<operation> ops;
    for (operation op : kctl::all_operations)
        if (op != O::watch && (kind != T::mmap || op == O::sum))
            ops.push_back(op);
    auto fds_before = open_fds();
    uint64_t opens_before = stat_counter("opens");
    {
        kctl::device d = open_with(kind);
        for (operation op : ops)
            ASSERT_EQ(run_op(d, op), 0) << name_of(op);
        auto fds_warm = open_fds();
        uint64_t opens_warm = stat_counter("opens");
        EXPECT_EQ(opens_warm, opens_before + GetParam().node_opens);
        std::vector<std::pair<int, std::string>> held;
        std::set_difference(fds_warm.begin(), fds_warm.end(), fds_before.begin(), fds_before.end(),
                            std::back_inserter(held));
        if (kind != T::mmap) {
            EXPECT_FALSE(held.empty()) << "nothing kept open";
        }
        // a duplicate of each keeps its open file alive: if the library
        // closed and reopened, the number would name another open file
        std::vector<int> dups;
        for (const auto& h : held)
            dups.push_back(::fcntl(h.first, F_DUPFD_CLOEXEC, 900));

        for (int round = 0; round < 100; round++)
            for (operation op : ops)
                ASSERT_EQ(run_op(d, op), 0) << name_of(op) << " in round " << round;

        auto fds_now = open_fds();
        std::erase_if(fds_now, [](const auto& f) { return f.first >= 900; });
        EXPECT_EQ(fds_now, fds_warm) << "descriptors came or went";
        for (size_t i = 0; i < held.size(); i++)
            EXPECT_EQ(same_file(held[i].first, dups[i]), 0) << held[i].second << " was reopened";
        EXPECT_EQ(stat_counter("opens"), opens_warm);
        for (int fd : dups)
            ::close(fd);
    }
    EXPECT_EQ(open_fds(), fds_before) << "close() closes everything";
    EXPECT_EQ(stat_counter("opens"), opens_before);
}

INSTANTIATE_TEST_SUITE_P(Libkctl, LibkctlDescriptors,
                         ::testing::Values(KeptOpen{T::ioctl, 1}, KeptOpen{T::sysfs, 0},
                                           KeptOpen{T::proc, 0},
                                           KeptOpen{T::mmap, 1},  // the mapping
                                           KeptOpen{T::automatic, 2}),
                         [](const auto& info) { return name_of(info.param.kind); });

}  // namespace
}  // namespace kt
