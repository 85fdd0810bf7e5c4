// Signals during a blocked kctl::watcher::wait(): a handler installed
// without SA_RESTART makes poll(2) fail with EINTR, and wait() must retry
// it, keep to its own deadline and still report the next change, through
// each way a watcher waits (the node, sysfs `generation`, the netlink
// monitor group).
#include <pthread.h>
#include <signal.h>

#include <gtest/gtest.h>
#include <kctl/kctl.hpp>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include "kctl/fixture.hpp"

namespace kt {
namespace {

using namespace std::chrono_literals;
using T = kctl::transport_kind;

std::atomic<int> handled{0};

void on_signal(int) {
    handled.fetch_add(1);
}

class LibkctlWatchSignals : public KctlTest, public ::testing::WithParamInterface<T> {
  protected:
    void SetUp() override {
        KctlTest::SetUp();
        handled = 0;
        struct sigaction sa {};
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = 0;  // no SA_RESTART: poll(2) fails with EINTR
        ASSERT_EQ(::sigaction(SIGUSR1, &sa, &old_), 0);
    }
    void TearDown() override {
        ::sigaction(SIGUSR1, &old_, nullptr);
        KctlTest::TearDown();
    }
    struct sigaction old_ {};
};

TEST_P(LibkctlWatchSignals, InterruptedWaitGoesOnWaitingAndReportsTheChange) {
    kctl::device d = open_with(GetParam());
    kctl::watcher w = d.watch();
    ASSERT_EQ(w.transport(), GetParam());
    std::atomic<pid_t> tid{0};
    std::optional<kctl::state> seen;
    int err = 0;
    std::thread waiter([&] {
        tid = thread_id();
        err = error_of([&] { seen = w.wait(60s); });
    });
    constexpr int kSignals = 5;
    for (int i = 0; i < kSignals; i++) {
        ASSERT_TRUE(eventually([&] { return tid != 0 && blocked_in_poll(tid); }))
            << "the watcher was not waiting before signal " << i;
        ASSERT_EQ(::pthread_kill(waiter.native_handle(), SIGUSR1), 0);
        ASSERT_TRUE(eventually([&] { return handled.load() == i + 1; }))
            << "signal " << i << " was not handled";
    }
    // back in poll(2) after the last signal: wait() did not return on EINTR
    EXPECT_TRUE(eventually([&] { return blocked_in_poll(tid); }))
        << "the watcher stopped waiting after a signal";
    ASSERT_EQ(set_msg(rw.get(), "after the signals"), 0);
    waiter.join();
    EXPECT_EQ(err, 0) << "wait() threw " << err_name(err);
    ASSERT_TRUE(seen) << "the change after the signals was not reported";
    EXPECT_EQ(seen->generation, state().generation);
    EXPECT_EQ(seen->message, "after the signals");
    EXPECT_EQ(handled.load(), kSignals);
}

TEST_P(LibkctlWatchSignals, TimedWaitInterruptedOftenEndsAtItsDeadlineWithoutAChange) {
    kctl::device d = open_with(GetParam());
    kctl::watcher w = d.watch();
    const pthread_t self = ::pthread_self();
    std::atomic<bool> stop{false};
    std::thread signaller([&] {
        while (!stop) {
            ::pthread_kill(self, SIGUSR1);
            std::this_thread::sleep_for(5ms);
        }
    });
    std::optional<kctl::state> seen;
    const int err = error_of([&] { seen = w.wait(300ms); });
    stop = true;
    signaller.join();
    EXPECT_EQ(err, 0) << "wait() threw " << err_name(err);
    EXPECT_FALSE(seen) << "nothing changed, yet a state was reported";
    EXPECT_GT(handled.load(), 0) << "no signal arrived during the wait";
}

INSTANTIATE_TEST_SUITE_P(Libkctl, LibkctlWatchSignals,
                         ::testing::Values(T::ioctl, T::sysfs, T::netlink),
                         [](const auto& info) { return name_of(info.param); });

}  // namespace
}  // namespace kt
