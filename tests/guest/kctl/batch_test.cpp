// kctl::batch and `kctl batch` against the real module: every operation's result equals
// what the single calls give, each completion is independent, and where io_uring is
// unusable (a seccomp filter on every kernel; kernel.io_uring_disabled=2 on 6.6+) the same
// operations run through the next transport and -v says why.
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <kctl/kctl.hpp>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "kctl/fixture.hpp"

namespace kt {
namespace {

using kctl::operation;
using kctl::transport_kind;

// io_uring_setup(2) fails with @err from now on, in this process and its children.
int block_io_uring(int err) {
    sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (static_cast<unsigned>(err) & 0xffff)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    sock_fprog prog{static_cast<unsigned short>(std::size(f)), f};
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return errno;
    return ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0 ? 0 : errno;
}

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);)
        out.push_back(l);
    return out;
}

ExecOptions input(const std::string& text) {
    ExecOptions o;
    o.input = text;
    return o;
}

using LibkctlBatch = KctlTest;

TEST_F(LibkctlBatch, EveryOperationOnTwoDevicesGivesWhatTheSingleCallsGive) {
    const kctl::device_entry d0 = kctl::find_device("kdemo0");
    const kctl::device_entry d1 = kctl::find_device("kdemo1");
    std::vector<std::string> log;
    kctl::batch_options o;
    o.set_log([&log](std::string_view l) { log.emplace_back(l); });
    kctl::batch b(o);
    const std::int64_t three[] = {1, 2, 3};
    const std::size_t set = b.set_msg(d0, "batched");
    const std::size_t add0 = b.add(d0, 5);
    const std::size_t add1 = b.add(d1, three);
    const std::size_t sum0 = b.sum(d0);
    const std::size_t sum1 = b.sum(d1);
    const std::size_t get = b.get_msg(d0);
    const std::size_t info1 = b.info(d1);
    const std::size_t reset1 = b.reset(d1);
    const std::size_t after = b.sum(d1);
    ASSERT_EQ(b.size(), 9u);
    const auto& r = b.run();
    ASSERT_EQ(r.size(), 9u);
    EXPECT_EQ(b.transport(), transport_kind::uring);
    EXPECT_EQ(b.failed(), 0u);
    for (const kctl::batch_result& x : r) {
        EXPECT_EQ(x.error, 0) << name_of(x.op);
        EXPECT_EQ(x.transport, transport_kind::uring) << name_of(x.op);
    }
    EXPECT_TRUE(log.empty());
    EXPECT_EQ(r[set].op, operation::set_msg);
    EXPECT_EQ(r[add0].op, operation::add);
    EXPECT_EQ(r[add1].op, operation::add);
    EXPECT_EQ(r[sum0].sum.sum, 5);
    EXPECT_EQ(r[sum0].sum.count, 1u);
    EXPECT_EQ(r[sum1].sum.sum, 6);
    EXPECT_EQ(r[sum1].sum.count, 3u);
    EXPECT_EQ(r[get].message, "batched");
    EXPECT_EQ(r[info1].info.device(), "kdemo1");
    EXPECT_EQ(r[info1].info.sum(), 6);
    EXPECT_EQ(r[after].sum.sum, 0);
    EXPECT_EQ(r[after].sum.count, 0u);
    (void)reset1;

    // The state the batch left is the state the raw ioctls see.
    Sum s0 = state();
    EXPECT_EQ(s0.sum, 5);
    EXPECT_EQ(r[sum0].sum.generation, s0.generation);
    EXPECT_EQ(get_msg(ro.get()), "batched");
    EXPECT_EQ(stat_counter("uring_ops", 1), 5u);  // add, sum, info, reset, sum
}

TEST_F(LibkctlBatch, OneFailingOperationLeavesTheOthersAlone) {
    const kctl::device_entry d0 = kctl::find_device("kdemo0");
    kctl::batch b;
    b.add(d0, 1);
    b.add(d0, INT64_MAX);                        // ERANGE
    b.set_msg(d0, std::string(8193, 'x'));       // EMSGSIZE (msg_max 8192)
    b.add(d0, std::span<const std::int64_t>());  // EINVAL, never sent
    b.add(d0, 2);
    b.sum(d0);
    const auto& r = b.run();
    ASSERT_EQ(r.size(), 6u);
    EXPECT_EQ(r[0].error, 0);
    EXPECT_EQ(r[1].error, ERANGE);
    EXPECT_EQ(r[2].error, EMSGSIZE);
    EXPECT_EQ(r[3].error, EINVAL);
    EXPECT_EQ(r[4].error, 0);
    EXPECT_EQ(r[5].error, 0);
    EXPECT_EQ(r[5].sum.sum, 3);
    EXPECT_EQ(b.failed(), 3u);
    EXPECT_EQ(state().sum, 3);
}

TEST_F(LibkctlBatch, RunsAgainAndMoreOperationsThanTheRingHolds) {
    const kctl::device_entry d0 = kctl::find_device("kdemo0");
    kctl::batch_options o;
    o.set_depth(8);
    kctl::batch b(o);
    for (int i = 0; i < 100; ++i)
        b.add(d0, 1);
    b.run();
    EXPECT_EQ(b.failed(), 0u);
    b.run();
    EXPECT_EQ(b.failed(), 0u);
    EXPECT_EQ(state().sum, 200);
    EXPECT_EQ(state().count, 200u);
}

// A batch, like a device, is for one thread at a time, not for one thread: its ring must
// take submissions from whichever thread runs it (a single-issuer ring would refuse the
// second thread's with EEXIST).
TEST_F(LibkctlBatch, RunsFromOneThreadThenAnother) {
    const kctl::device_entry d0 = kctl::find_device("kdemo0");
    kctl::batch b;
    for (int i = 0; i < 4; ++i)
        b.add(d0, 1);
    b.sum(d0);
    auto run_here = [&b] {
        const auto& r = b.run();
        EXPECT_EQ(b.failed(), 0u);
        EXPECT_EQ(b.transport(), transport_kind::uring);
        return r.back().sum.count;
    };
    EXPECT_EQ(run_here(), 4u);
    std::uint64_t there = 0;
    std::thread([&] {
        try {
            there = run_here();
        } catch (const kctl::error& e) {
            ADD_FAILURE() << e.what();
        }
    }).join();
    EXPECT_EQ(there, 8u);
    EXPECT_EQ(run_here(), 12u);

    kctl::device dev(d0, kctl::open_options().set_transport(transport_kind::uring));
    dev.add(1);
    std::thread([&] {
        try {
            dev.add(1);
        } catch (const kctl::error& e) {
            ADD_FAILURE() << e.what();
        }
    }).join();
    EXPECT_EQ(dev.last_transport(operation::add), transport_kind::uring);
    EXPECT_EQ(state().count, 14u);
}

// The kernel may issue a contended mutation again from an io-wq worker, after later commands
// of the same submission; the batch still runs its operations in the order queued: each sum
// sees the add queued before it, however another writer hammers the device meanwhile.
TEST_F(LibkctlBatch, KeepsTheOrderQueuedWhileAnotherWriterContends) {
    const kctl::device_entry d0 = kctl::find_device("kdemo0");
    kctl::batch b;
    constexpr int kPairs = 32;
    for (int i = 0; i < kPairs; ++i) {
        b.add(d0, 1);
        b.sum(d0);
    }
    std::atomic<bool> stop{false};
    std::atomic<int> writer_err{0};
    std::thread writer([&] {
        while (!stop)
            if (const int err = add(rw.get(), 1); err != 0)
                writer_err = err;
    });
    for (int round = 0; round < 20; ++round) {
        const std::uint64_t start = state().count;
        const auto& r = b.run();
        ASSERT_EQ(b.failed(), 0u);
        std::uint64_t last = start;
        for (int i = 0; i < kPairs; ++i) {
            // at least the pair's own add since the previous sum (others may add more)
            EXPECT_GE(r[2 * i + 1].sum.count, last + 1) << "round " << round << " pair " << i;
            last = r[2 * i + 1].sum.count;
        }
    }
    stop = true;
    writer.join();
    EXPECT_EQ(writer_err, 0);
}

TEST_F(LibkctlBatch, GetMsgLongerThanTheFirstBufferIsFetchedWhole) {
    const std::string big(8192, 'm');
    ASSERT_EQ(set_msg(rw.get(), big), 0);
    kctl::batch b;
    b.get_msg(kctl::find_device("kdemo0"));
    EXPECT_EQ(b.run()[0].message, big);
}

TEST_F(LibkctlBatch, WithSqpollGivesTheSameResults) {
    kctl::batch_options o;
    o.set_sqpoll_idle_ms(100);
    kctl::batch b(o);
    const kctl::device_entry d0 = kctl::find_device("kdemo0");
    for (int i = 0; i < 64; ++i)
        b.add(d0, 2);
    b.sum(d0);
    const auto& r = b.run();
    EXPECT_EQ(b.failed(), 0u);
    EXPECT_EQ(b.transport(), transport_kind::uring);
    EXPECT_EQ(r.back().sum.sum, 128);
}

TEST_F(LibkctlBatch, FallsBackWhenASeccompFilterHidesIoUring) {
    std::string got = as_user("root", [] {
        if (const int err = block_io_uring(ENOSYS); err != 0)
            return std::string("seccomp: ") + strerrorname_np(err);
        std::vector<std::string> log;
        kctl::batch_options o;
        o.set_log([&log](std::string_view l) { log.emplace_back(l); });
        kctl::batch b(o);
        const kctl::device_entry d0 = kctl::find_device("kdemo0");
        b.add(d0, 4);
        b.add(d0, INT64_MAX);
        b.sum(d0);
        const auto& r = b.run();
        std::string out = std::string(kctl::to_string(b.transport())) + ";";
        for (const auto& x : r)
            out += std::to_string(x.error) + "/" + std::string(kctl::to_string(x.transport)) + ";";
        out += std::to_string(r[2].sum.sum) + ";" + (log.empty() ? "" : log[0]);
        return out;
    });
    EXPECT_EQ(got, "auto;0/ioctl;34/ioctl;0/mmap;4;batch: uring unusable (ENOSYS), using auto");
    EXPECT_EQ(state().sum, 4);
}

TEST_F(LibkctlBatch, UringTransportByNameReportsWhyItCannotRun) {
    std::string got = as_user("root", [] {
        if (const int err = block_io_uring(ENOSYS); err != 0)
            return std::string("seccomp: ") + strerrorname_np(err);
        std::string what;
        kctl::device d = open_with(transport_kind::uring);
        const int err = error_of([&] { d.sum(); }, &what);
        return err_name(err) + " " + what;
    });
    EXPECT_EQ(got, "ENOSYS kdemo0: uring: sum: Function not implemented");
}

// kernel.io_uring_disabled (6.6+): 2 refuses every io_uring_setup() with EPERM.
TEST_F(LibkctlBatch, FallsBackWhenTheSysctlDisablesIoUring) {
    const std::string knob = "/proc/sys/kernel/io_uring_disabled";
    if (::access(knob.c_str(), F_OK) != 0)
        GTEST_SKIP() << "no kernel.io_uring_disabled before 6.6 (the seccomp test covers it)";
    const Io before = read_file(knob);
    ASSERT_EQ(before.err, 0);
    ASSERT_EQ(write_file(knob, "2"), 0);
    Proc p = kctl({"-v", "batch"}, input("add 3\nsum\n"));
    Proc single = kctl({"-t", "uring", "sum"});
    ASSERT_EQ(write_file(knob, before.data), 0);
    EXPECT_EQ(p.status, 0) << p.err;
    EXPECT_EQ(p.err,
              "kctl: batch: uring unusable (EPERM), using auto\n"
              "kctl: add: using ioctl (fastest usable)\n"
              "kctl: sum: using mmap (fastest usable)\n");
    EXPECT_EQ(p.out, "1 add kdemo0: ok\n2 sum kdemo0: sum=3 count=1 generation=" +
                         std::to_string(state().generation) + "\n");
    EXPECT_EQ(single.status, 1);
    EXPECT_EQ(single.err, "kctl: sum: kdemo0 via uring: Operation not permitted\n");
}

// --- kctl batch ---------------------------------------------------------------------

using KctlBatch = KctlTest;

TEST_F(KctlBatch, PrintsOneResultPerLineAndExitsOneIfAnyFailed) {
    Proc p = kctl({"batch", "-"}, input("# a comment\n"
                                        "set-msg 'hello world'\n"
                                        "\n"
                                        "add 1 2 3\n"
                                        "add 9223372036854775807\n"
                                        "-d kdemo1 add -5\n"
                                        "sum\n"
                                        "get-msg\n"
                                        "--device kdemo1 sum\n"));
    EXPECT_EQ(p.status, 1);
    const Sum s = state();
    EXPECT_EQ(
        lines(p.out),
        (std::vector<std::string>{
            "2 set-msg kdemo0: ok", "4 add kdemo0: ok",
            "5 add kdemo0: error: Numerical result out of range", "6 add kdemo1: ok",
            "7 sum kdemo0: sum=6 count=3 generation=" + std::to_string(s.generation),
            "8 get-msg kdemo0: \"hello world\"",
            "9 sum kdemo1: sum=-5 count=1 generation=" +
                std::to_string(get_sum(open_file(node_path(1), O_RDONLY).get()).generation)}));
    EXPECT_EQ(p.err, "kctl: batch: line 5: add: kdemo0 via uring: Numerical result out of range\n");
    EXPECT_EQ(s.sum, 6);
    EXPECT_EQ(get_msg(ro.get()), "hello world");
}

TEST_F(KctlBatch, JsonIsOneObjectPerLine) {
    Proc p = kctl({"--json", "batch"}, input("add 5\nsum\nreset\ninfo\nadd x1\n"));
    // "add x1" is a usage error: nothing runs
    EXPECT_EQ(p.status, 2);
    EXPECT_EQ(p.out, "");
    EXPECT_EQ(state().count, 0u);

    p = kctl({"--json", "batch"}, input("add 5\nsum\nreset\ninfo\n-d kdemo9 sum\n"));
    EXPECT_EQ(p.status, 1);
    std::vector<std::string> l = lines(p.out);
    ASSERT_EQ(l.size(), 5u) << p.out;
    auto j = [&l](std::size_t i) { return nlohmann::json::parse(l[i]); };
    EXPECT_EQ(j(0)["command"], "add");
    EXPECT_EQ(j(0)["ok"], true);
    EXPECT_EQ(j(0)["transport"], "uring");
    EXPECT_EQ(j(1)["sum"], 5);
    EXPECT_EQ(j(1)["count"], 1);
    EXPECT_EQ(j(2)["line"], 3);
    EXPECT_EQ(j(3)["info"]["device"], "kdemo0");
    EXPECT_EQ(j(3)["info"]["sum"], 0);
    EXPECT_EQ(j(4)["ok"], false);
    EXPECT_EQ(j(4)["error"], "ENODEV");
    EXPECT_EQ(j(4)["errno"], ENODEV);
    EXPECT_EQ(j(4)["strerror"], std::strerror(ENODEV));
    EXPECT_FALSE(j(4).contains("message")) << "message is get-msg's field, not the error's";
    EXPECT_EQ(j(4)["device"], "kdemo9");
}

TEST_F(KctlBatch, UsageErrorsExitTwoAndRunNothing) {
    for (const char* text : {"watch\n", "add\n", "sum extra\n", "set-msg a b\n", "-t ioctl sum\n",
                             "set-msg 'open\n", "bench\n"}) {
        Proc p = kctl({"batch"}, input(std::string("add 1\n") + text));
        EXPECT_EQ(p.status, 2) << text;
        EXPECT_EQ(p.out, "") << text;
    }
    EXPECT_EQ(state().count, 0u);
}

TEST_F(KctlBatch, ReadsAFileAndRunsThroughAnotherTransportWhenAsked) {
    const std::string path = "/tmp/kctl-batch-test.txt";
    std::ofstream(path) << "add 7\nsum\n";
    Proc p = kctl({"-t", "ioctl", "--json", "batch", path});
    EXPECT_EQ(p.status, 0) << p.err;
    std::vector<std::string> l = lines(p.out);
    ASSERT_EQ(l.size(), 2u);
    EXPECT_EQ(nlohmann::json::parse(l[0])["transport"], "ioctl");
    EXPECT_EQ(nlohmann::json::parse(l[1])["sum"], 7);
    Proc missing = kctl({"batch", "/tmp/no-such-batch"});
    EXPECT_EQ(missing.status, 1);
    EXPECT_EQ(missing.err, "kctl: batch: /tmp/no-such-batch: No such file or directory\n");
}

TEST_F(KctlBatch, FallsBackUnderSeccompAndVerboseSaysWhy) {
    std::string got = as_user("root", [] {
        if (const int err = block_io_uring(ENOSYS); err != 0)
            return std::string("seccomp: ") + strerrorname_np(err);
        Proc p = kctl({"-v", "batch"}, input("add 2\nsum\n"));
        return std::to_string(p.status) + "|" + p.err + "|" + p.out;
    });
    EXPECT_EQ(got.substr(0, got.find("generation=")),
              "0|kctl: batch: uring unusable (ENOSYS), using auto\n"
              "kctl: add: using ioctl (fastest usable)\n"
              "kctl: sum: using mmap (fastest usable)\n"
              "|1 add kdemo0: ok\n2 sum kdemo0: sum=2 count=1 ");
}

}  // namespace
}  // namespace kt
