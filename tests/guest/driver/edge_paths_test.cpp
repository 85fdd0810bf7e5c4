// Paths the other tests leave out: opening /dev/kdemo0 while the module is
// being unloaded, a signal interrupting a blocked poll(), and user memory
// that faults in (MADV_DONTNEED) or cannot be touched (PROT_NONE) during an
// ioctl.
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "common/hardening.hpp"
#include "common/kdemo.hpp"

namespace kt {
namespace {

void udev_settle() {
    (void)run("udevadm settle --timeout=60 2>/dev/null");
}

// --- open during unload ---------------------------------------------------------

// While one thread opens /dev/kdemo0 (and uses what it opened) in a tight
// loop, the module is unloaded: each open either works, and then the file
// works and pins the module (the unload is refused with EWOULDBLOCK while it
// is open), or fails with ENOENT, ENXIO or ENODEV; the unload eventually
// succeeds, nothing is left, and the kernel log stays clean.
TEST(UnloadRace, OpensDuringTheUnloadWorkOrFailCleanly) {
    if (!kernel_broken().empty())
        GTEST_SKIP() << "the kernel oopsed earlier: " << kernel_broken();
    if (module_loaded()) {
        udev_settle();
        ASSERT_EQ(unload_module(), 0);
    }
    KmsgWatch kmsg;
    Budget budget(stress_seconds() * 4, 20);
    uint64_t rounds = 0, opened = 0, refused = 0;
    std::map<int, uint64_t> open_errors;
    std::vector<std::string> bad;
    while (budget.next()) {
        ASSERT_EQ(load_module_raw(""), 0);
        rounds++;
        std::atomic<bool> stop{false};
        std::atomic<uint64_t> ok{0};
        std::map<int, uint64_t> errors;
        std::string problem;
        std::thread opener([&] {
            while (!stop.load(std::memory_order_relaxed)) {
                int fd = ::open("/dev/kdemo0", O_RDWR | O_CLOEXEC);
                if (fd < 0) {
                    errors[errno]++;
                    continue;
                }
                kdemo_sum s{};
                if (::ioctl(fd, KDEMO_IOC_GET_SUM, &s) != 0 && problem.empty())
                    problem = std::string("GET_SUM on a file opened during the unload: ") +
                              std::strerror(errno);
                ::close(fd);
                ok++;
            }
        });
        // the opener is at work before the unload starts (at most a minute)
        for (int i = 0; i < 60000 && ok.load() == 0; i++)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        // refused while a file is open; try until it is not (bounded)
        int err = EWOULDBLOCK;
        for (int attempt = 0; attempt < 20000 && err == EWOULDBLOCK; attempt++) {
            err = unload_module_raw();
            if (err == EWOULDBLOCK)
                refused++;
        }
        stop = true;
        opener.join();
        if (err == EWOULDBLOCK) {  // the opener never let go: unload now that it is gone
            udev_settle();
            err = unload_module_raw();
        }
        ASSERT_EQ(err, 0) << "round " << rounds << ": unload: " << std::strerror(err);
        opened += ok;
        for (const auto& [e, n] : errors) {
            open_errors[e] += n;
            if (e != ENOENT && e != ENXIO && e != ENODEV)
                bad.push_back("round " + std::to_string(rounds) + ": open failed with " +
                              strerrorname_np(e) + " " + std::to_string(n) + " time(s)");
        }
        if (!problem.empty())
            bad.push_back("round " + std::to_string(rounds) + ": " + problem);
        udev_settle();
        for (const auto& l : module_leftovers())
            bad.push_back("round " + std::to_string(rounds) + ": left behind " + l);
        if (bad.size() > 10)
            break;
    }
    for (const auto& b : bad)
        ADD_FAILURE() << b;
    expect_clean_kernel_log(kmsg, "opening during the unload");
    EXPECT_GT(opened, 0u) << "no open succeeded: the race was never run";
    Figures f("unload_race");
    f.add("rounds", rounds);
    f.add("opens", opened);
    f.add("unloads_refused", refused);
    std::string e;
    for (const auto& [err, n] : open_errors)
        e += (e.empty() ? "" : ",") + std::string(strerrorname_np(err)) + ":" + std::to_string(n);
    f.add("open_errors", e.empty() ? "-" : e);
    f.print();
    ensure_module();
}

// --- a signal during poll -----------------------------------------------------

void on_signal(int) {}

// A poll() blocked on the node returns EINTR when a signal handler runs (poll
// is never restarted), and the retry then wakes on the next change like any
// poll: the interrupted wait left nothing wrong behind.
using PollSignal = KdemoTest;

TEST_F(PollSignal, InterruptedPollRetriesAndWakesOnTheChange) {
    struct sigaction sa {};
    struct sigaction old {};
    sa.sa_handler = on_signal;  // no SA_RESTART
    sigemptyset(&sa.sa_mask);
    ASSERT_EQ(::sigaction(SIGUSR1, &sa, &old), 0);
    (void)get_sum(ro.get());  // this descriptor has seen the generation: poll blocks

    std::atomic<int> eintr{0};
    std::atomic<bool> done{false};
    short revents = 0;
    int other_errno = 0;
    std::thread waiter([&] {
        for (;;) {
            pollfd p{ro.get(), POLLIN | POLLPRI, 0};
            int n = ::poll(&p, 1, -1);
            if (n < 0 && errno == EINTR) {
                eintr++;
                continue;  // the retry
            }
            if (n < 0)
                other_errno = errno;
            revents = p.revents;
            break;
        }
        done = true;
    });
    // signal it until one landed in poll (bounded: 20 s)
    for (int i = 0; i < 2000 && eintr.load() == 0 && !done.load(); i++) {
        ::pthread_kill(waiter.native_handle(), SIGUSR1);
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_FALSE(done.load()) << "poll returned without a change";
    ASSERT_EQ(add(rw.get(), 1), 0);  // the change the retried poll must see
    waiter.join();
    ::sigaction(SIGUSR1, &old, nullptr);
    EXPECT_GE(eintr.load(), 1) << "no signal interrupted the poll";
    EXPECT_EQ(other_errno, 0) << std::strerror(other_errno);
    EXPECT_TRUE(revents & POLLIN) << "revents " << revents;
    EXPECT_TRUE(revents & POLLPRI) << "revents " << revents;
}

// --- user memory that faults ----------------------------------------------------

// Pages dropped with MADV_DONTNEED are faulted in again (as zeros) by the
// kernel's copies: every ioctl works on them. PROT_NONE pages cannot be
// touched: EFAULT, and nothing changes.
class UserMemory : public KdemoTest {
  protected:
    void SetUp() override {
        KdemoTest::SetUp();
        void* p =
            ::mmap(nullptr, 3 * kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        ASSERT_NE(p, MAP_FAILED);
        buf = static_cast<unsigned char*>(p);
        std::memset(buf, 'x', 3 * kPage);
    }
    void TearDown() override {
        if (buf)
            ::munmap(buf, 3 * kPage);
    }
    uint64_t addr(size_t off) const { return reinterpret_cast<uintptr_t>(buf + off); }
    static constexpr size_t kPage = 4096;
    unsigned char* buf = nullptr;
};

TEST_F(UserMemory, DontneedPagesAreFaultedInByEveryIoctl) {
    ASSERT_EQ(::madvise(buf, 3 * kPage, MADV_DONTNEED), 0);
    // SET_MSG from dropped pages: zeros, across a page boundary
    kdemo_msg m{};
    m.data = addr(kPage - 50);
    m.len = 100;
    ASSERT_EQ(xioctl(rw.get(), KDEMO_IOC_SET_MSG, &m), 0);
    EXPECT_EQ(get_msg(ro.get()), std::string(100, '\0'));
    // GET_MSG and GET_SUM into dropped pages, the struct itself in one
    ASSERT_EQ(set_msg(rw.get(), "faulted in"), 0);
    ASSERT_EQ(::madvise(buf, 3 * kPage, MADV_DONTNEED), 0);
    auto* out = reinterpret_cast<kdemo_msg*>(buf + 2 * kPage);
    out->data = addr(kPage - 5);
    out->len = 64;
    out->flags = 0;
    out->reserved = 0;
    ASSERT_EQ(::madvise(buf, 2 * kPage, MADV_DONTNEED), 0);  // the data pages only
    ASSERT_EQ(xioctl(ro.get(), KDEMO_IOC_GET_MSG, out), 0);
    EXPECT_EQ(out->len, 10u);
    EXPECT_EQ(std::string(reinterpret_cast<char*>(buf + kPage - 5), 10), "faulted in");
    ASSERT_EQ(::madvise(buf, 3 * kPage, MADV_DONTNEED), 0);
    ASSERT_EQ(xioctl(ro.get(), KDEMO_IOC_GET_SUM, buf + kPage), 0);
    EXPECT_EQ(reinterpret_cast<kdemo_sum*>(buf + kPage)->generation, get_sum(ro.get()).generation);
    // ADD_BATCH values from dropped pages: zeros add nothing but count
    ASSERT_EQ(::madvise(buf, 3 * kPage, MADV_DONTNEED), 0);
    kdemo_batch b{};
    b.values = addr(kPage - 16);
    b.count = 8;
    const Sum before = get_sum(ro.get());
    ASSERT_EQ(xioctl(rw.get(), KDEMO_IOC_ADD_BATCH, &b), 0);
    const Sum after = get_sum(ro.get());
    EXPECT_EQ(after.sum, before.sum);
    EXPECT_EQ(after.count, before.count + 8);
}

TEST_F(UserMemory, ProtNoneAndStraddlingBuffersFaultAndChangeNothing) {
    ASSERT_EQ(set_msg(rw.get(), "kept"), 0);
    ASSERT_EQ(add(rw.get(), 7), 0);
    ASSERT_EQ(::mprotect(buf + kPage, kPage, PROT_NONE), 0);  // page 1 of 0..2
    const Sum before = get_sum(ro.get());

    kdemo_msg m{};
    m.data = addr(kPage);  // all in PROT_NONE
    m.len = 10;
    EXPECT_EQ(xioctl(rw.get(), KDEMO_IOC_SET_MSG, &m), EFAULT);
    m.data = addr(kPage - 5);  // starts readable, ends in PROT_NONE
    EXPECT_EQ(xioctl(rw.get(), KDEMO_IOC_SET_MSG, &m), EFAULT);
    m.data = addr(kPage - 2);  // the 4 bytes of "kept" straddle into PROT_NONE
    m.len = 64;
    EXPECT_EQ(xioctl(ro.get(), KDEMO_IOC_GET_MSG, &m), EFAULT);
    EXPECT_EQ(xioctl(ro.get(), KDEMO_IOC_GET_MSG, buf + kPage), EFAULT);
    EXPECT_EQ(xioctl(ro.get(), KDEMO_IOC_GET_SUM, buf + kPage), EFAULT);
    EXPECT_EQ(xioctl(ro.get(), KDEMO_IOC_GET_SUM, buf + kPage - 8), EFAULT);  // straddles
    EXPECT_EQ(xioctl(rw.get(), KDEMO_IOC_ADD, buf + kPage), EFAULT);
    kdemo_batch b{};
    b.values = addr(kPage - 16);  // two values readable, the rest not
    b.count = 4;
    EXPECT_EQ(xioctl(rw.get(), KDEMO_IOC_ADD_BATCH, &b), EFAULT);
    auto* info = reinterpret_cast<kdemo_info*>(buf + kPage - 8);
    info->size = sizeof(kdemo_info);  // the size is readable, the rest is not
    EXPECT_EQ(xioctl(ro.get(), KDEMO_IOC_GET_INFO, info), EFAULT);

    const Sum after = get_sum(ro.get());
    EXPECT_EQ(after.sum, before.sum);
    EXPECT_EQ(after.count, before.count);
    EXPECT_EQ(after.generation, before.generation);
    EXPECT_EQ(get_msg(ro.get()), "kept");
}

}  // namespace
}  // namespace kt
