// A load that fails late, after devices exist, while another thread opens
// /dev/kdemo0 in a tight loop: allocations of a load with ndevs=2 made to
// fail one at a time (fail-nth), those of the second device's creation and
// after it. A failed load leaves nothing behind, and its nodes were never
// openable (the driver adds the one cdev of all minors last, once every
// device exists): an open that succeeded would hold a file of a module that
// is freed next.
//
// Debug kernel only (fault injection): elsewhere the tests skip, saying why;
// on the debug kernel a missing fault injection fails them.
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/fault_injection.hpp"
#include "common/hardening.hpp"
#include "common/kdemo.hpp"
#include "common/process.hpp"

namespace kt {
namespace {

const std::string kParams = "ndevs=2";
// Points past the devices' creation (the rest of the init, the loader's own)
// that the sweep covers on top of one device's share.
constexpr uint64_t kTail = 48;

void udev_settle() {
    (void)run("udevadm settle --timeout=60 2>/dev/null");
}

// What a load with ndevs=2 may leave behind, after udev settled: empty if
// nothing.
std::vector<std::string> load_leftovers() {
    std::vector<std::string> left = module_leftovers();
    for (const char* p : {"/dev/kdemo1", "/dev/kdemo/kdemo0", "/dev/kdemo/kdemo1"})
        if (::access(p, F_OK) == 0)
            left.emplace_back(p);
    auto [err, modules] = slurp("/proc/modules");
    if (!err && (modules.starts_with("kdemo ") || modules.find("\nkdemo ") != std::string::npos))
        left.emplace_back("kdemo in /proc/modules");
    return left;
}

// Opens /dev/kdemo0 in a tight loop on its own thread until stopped, and
// counts what open(2) returned.
class Opener {
  public:
    Opener() : thread_([this] { loop(); }) {}
    ~Opener() { stop(); }
    void stop() {
        stop_ = true;
        if (thread_.joinable())
            thread_.join();
    }
    uint64_t successes() const { return ok_.load(); }
    // errno -> how often; only once stopped
    const std::map<int, uint64_t>& errors() const { return errors_; }

  private:
    void loop() {
        while (!stop_.load(std::memory_order_relaxed)) {
            int fd = ::open("/dev/kdemo0", O_RDONLY | O_CLOEXEC);
            if (fd >= 0) {
                ok_++;
                ::close(fd);
            } else {
                errors_[errno]++;
            }
        }
    }
    std::atomic<bool> stop_{false};
    std::atomic<uint64_t> ok_{0};
    std::map<int, uint64_t> errors_;
    std::thread thread_;  // last: starts once the rest exists
};

// The sweep's findings, each a list of "point N: what".
struct Sweep {
    uint64_t points = 0;  // injection points of a whole load
    uint64_t span = 0;    // the late ones the sweep means to cover
    uint64_t tested = 0, failed_loads = 0, loaded_anyway = 0, not_reached = 0;
    std::vector<std::string> leftovers;     // a failed load left something
    std::vector<std::string> opened;        // an open succeeded during a failed load
    std::vector<std::string> open_errors;   // open failed otherwise than ENOENT/ENXIO
    std::vector<std::string> not_openable;  // a load succeeded, its node never opened
    std::vector<std::string> other;         // errno, unload, kernel log
    bool oopsed = false;
};

class LoadFailure : public ::testing::Test {
  protected:
    void SetUp() override {
        if (!kernel_broken().empty())
            GTEST_SKIP() << "the kernel oopsed earlier: " << kernel_broken();
        KT_REQUIRE_CHECKER(fault_injection_missing());
        if (module_loaded()) {
            udev_settle();
            ASSERT_EQ(unload_module(), 0) << "kdemo must be unloadable before the test";
        }
    }
    void TearDown() override {
        if (!kernel_broken().empty() || !fault_injection_missing().empty())
            return;
        if (module_loaded())
            udev_settle();
        ensure_module();  // the defaults the other tests expect
    }

    // The sweep is slow on the debug kernel (an unload waits for the
    // kernel's delayed kobject releases): it runs once per binary, and both
    // tests assert on their part of it.
    static const Sweep& shared_sweep() {
        static std::optional<Sweep> sweep;
        if (!sweep)
            sweep = run_sweep();
        return *sweep;
    }

  private:
    // Fails the late allocation points of a load with ndevs=2 one at a time,
    // as far as the time budget allows, each while an Opener runs.
    static Sweep run_sweep() {
        Sweep s;
        AllocFailures knobs;
        EXPECT_EQ(knobs.error(), 0) << "cannot set the fault-injection knobs";
        FailNth nth;  // this thread's: the loads run here
        Fd ko = open_file(module_file(), O_RDONLY);
        const uint64_t one = count_load_points(nth, ko.get(), "ndevs=1");
        s.points = count_load_points(nth, ko.get(), kParams);
        EXPECT_GT(s.points, one) << "a second device must add injection points";
        if (s.points <= one)
            return s;
        // the last device's share, and what follows it
        s.span = std::min(s.points, s.points - one + kTail);

        KmsgWatch kmsg;
        Budget budget(stress_seconds() * 24, s.span);
        uint64_t end = s.points;  // the last point: a load passes a few more or fewer each time
        for (uint64_t back : spread(s.span)) {
            if (back >= end)
                continue;  // past the end of these loads
            if (!budget.next())
                break;
            const uint64_t n = end - back;
            const std::string at = "point " + std::to_string(n) + ": ";
            Opener opener;
            nth.arm(n);
            const int err = finit(ko.get(), kParams);
            const uint64_t left = nth.left();
            nth.disarm();
            s.tested++;
            if (left != 0) {
                s.not_reached++;
                end = n - left;  // this load passed fewer points
            }
            if (!err && !eventually([&] { return opener.successes() > 0; }, kHangGuard))
                s.not_openable.push_back(at + "loaded, but /dev/kdemo0 never opened");
            opener.stop();
            for (const auto& [e, times] : opener.errors())
                if (e != ENOENT && e != ENXIO)
                    s.open_errors.push_back(at + "open: " + strerrorname_np(e) + " " +
                                            std::to_string(times) + " time(s)");
            if (err) {
                s.failed_loads++;
                if (opener.successes())
                    s.opened.push_back(at + std::to_string(opener.successes()) +
                                       " open(s) of /dev/kdemo0 succeeded during a load "
                                       "that failed with " +
                                       strerrorname_np(err));
                if (err != ENOMEM)
                    s.other.push_back(at + "the load failed with " + strerrorname_np(err) +
                                      ", expected ENOMEM");
            } else {
                s.loaded_anyway++;  // not reached, or a failure the load survives
                int uerr = unload_module_raw();
                if (uerr == EWOULDBLOCK) {
                    udev_settle();
                    uerr = unload_module_raw();
                }
                if (uerr) {
                    s.other.push_back(at +
                                      "loaded, but the unload failed: " + strerrorname_np(uerr));
                    break;
                }
            }
            udev_settle();
            for (const auto& l : load_leftovers())
                s.leftovers.push_back(at + "left behind " + l);
            if (module_loaded() && unload_module_raw() != 0)
                break;  // nothing after this would mean anything
            for (const auto& p : kernel_problems(kmsg.records(), false))
                s.other.push_back(at + "kernel log: " + p);
            if (oopsed(s.other)) {
                s.oopsed = true;
                set_kernel_broken("a failing load oopsed the kernel");
                break;
            }
        }

        Figures f("load_failure");
        f.add("points", s.points);
        f.add("span", s.span);
        f.add("tested", s.tested);
        f.add("span_covered", s.tested >= s.span ? "yes" : "no");
        f.add("failed_loads", s.failed_loads);
        f.add("loaded_anyway", s.loaded_anyway);
        f.add("not_reached", s.not_reached);
        f.print();
        return s;
    }
};

void expect_none(const std::vector<std::string>& findings) {
    for (const auto& f : findings)
        ADD_FAILURE() << f;
}

TEST_F(LoadFailure, EveryLateAllocationFailureLeavesNothingBehind) {
    const Sweep& s = shared_sweep();
    expect_none(s.leftovers);
    expect_none(s.other);
    EXPECT_GT(s.failed_loads, 0u) << "no injected failure made a load fail";
    if (s.oopsed)
        return;
    // and a normal load works afterwards
    ASSERT_EQ(load_module_raw(kParams), 0);
    Fd fd = open_file(node_path(1), O_RDWR);
    EXPECT_EQ(add(fd.get(), 1), 0);
    EXPECT_EQ(get_sum(fd.get()).sum, 1);
    fd.reset();
    udev_settle();
    EXPECT_EQ(unload_module_raw(), 0);
}

TEST_F(LoadFailure, NoOpenSucceedsDuringALoadThatFails) {
    const Sweep& s = shared_sweep();
    expect_none(s.opened);
    expect_none(s.open_errors);
    expect_none(s.not_openable);
    expect_none(s.other);
    EXPECT_GT(s.failed_loads, 0u) << "no injected failure made a load fail";
}

}  // namespace
}  // namespace kt
