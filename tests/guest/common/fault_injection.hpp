// Allocation failures on demand, for the load-failure tests on the debug
// kernel (CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC, CONFIG_FAULT_INJECTION_
// DEBUG_FS): fail-nth makes the Nth fault-injection point the calling thread
// passes fail, and only in that thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/sys.hpp"

namespace kt {

// Whether the guest boots the debug kernel: tests/vm/run exports the flavour
// as KDEMO_KERNEL_FLAVOUR. Its checkers (kmemleak, fault injection, delayed
// kobject releases) are what the debug kernel is for: a test that needs one
// fails there when it is missing, and skips on the other kernels.
bool debug_kernel();

// Why this kernel cannot fail allocations per thread ("" if it can): it
// needs /sys/kernel/debug/failslab and /proc/thread-self/fail-nth.
std::string fault_injection_missing();

// 0 .. span-1 in an order that spreads them over the span (0, span/2,
// span/4, 3span/4, ...: bit-reversed), so that a short time budget still
// samples all of it and a long one covers every point.
std::vector<uint64_t> spread(uint64_t span);

// A debugfs fault-injection knob, set for the life of the object and
// restored afterwards.
class FaultKnob {
  public:
    FaultKnob(std::string path, const std::string& value);
    ~FaultKnob();
    FaultKnob(const FaultKnob&) = delete;
    FaultKnob& operator=(const FaultKnob&) = delete;
    int error() const { return err_; }

  private:
    std::string path_;
    std::string old_;
    int err_ = 0;
};

// The knobs that make fail-nth reach the allocations of a module load:
// sleeping (GFP_KERNEL) slab and order-0 page allocations count too, and a
// failure prints no stack dump (which the rig would take for a kernel bug).
class AllocFailures {
  public:
    AllocFailures();
    // The first errno of setting a knob, 0 if all are set.
    int error() const;

  private:
    std::vector<std::unique_ptr<FaultKnob>> knobs_;
};

// /proc/thread-self/fail-nth of the thread that constructs it.
class FailNth {
  public:
    FailNth();
    // The @n-th fault-injection point this thread passes from now on fails.
    bool arm(uint64_t n);
    // 0 once the armed point was reached (and failed), else how many
    // points were still to come.
    uint64_t left();
    void disarm();

  private:
    Fd fd_;
};

// finit_module(2) of @module_fd with @params: 0 or errno. A load through an
// open descriptor passes no fault-injection point of opening the file.
int finit(int module_fd, const std::string& params);

// How many fault-injection points a load with @params passes: loads the
// module with fail-nth armed far ahead, counts, unloads. 0 if the load or
// the unload failed.
uint64_t count_load_points(FailNth& nth, int module_fd, const std::string& params);

}  // namespace kt

// Skips the test when @missing (why a checker it needs is absent) is not
// empty, or fails it on the debug kernel, which must have every checker.
#define KT_REQUIRE_CHECKER(missing)                                                   \
    do {                                                                              \
        if (const std::string kt_missing_ = (missing); !kt_missing_.empty()) {        \
            if (::kt::debug_kernel())                                                 \
                FAIL() << "the debug kernel must have this checker: " << kt_missing_; \
            else                                                                      \
                GTEST_SKIP() << kt_missing_;                                          \
        }                                                                             \
    } while (0)
