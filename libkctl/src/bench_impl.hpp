// SPDX-License-Identifier: LGPL-2.1-or-later
// Inside the benchmark engine: the clocks, and the runner each row measures with.
//
// Two clocks. CLOCK_MONOTONIC brackets every sample: it is the reference, and a sample is
// long enough (hundreds of clock reads) that its cost vanishes. Inside a sample the
// operations run in groups of `k`, each group timed with the cheapest trustworthy clock
// (rdtsc on x86-64 with constant_tsc and nonstop_tsc, about 30 ns even under TCG, where
// clock_gettime on the HPET costs microseconds; else CLOCK_MONOTONIC), converted to
// nanoseconds with the rate the sample's own CLOCK_MONOTONIC bracket gives; `k` is chosen so
// that one group clock read is at most 1% of a group. The groups give the group p99.
#ifndef KCTL_SRC_BENCH_IMPL_HPP
#define KCTL_SRC_BENCH_IMPL_HPP

#include <kctl/bench.hpp>
#include <kctl/kctl.hpp>

#include <time.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

namespace kctl::detail::bench {

using kctl::bench::histogram;

inline std::uint64_t mono_ns() noexcept {
    timespec t{};
    ::clock_gettime(CLOCK_MONOTONIC, &t);
    return static_cast<std::uint64_t>(t.tv_sec) * 1000000000U +
           static_cast<std::uint64_t>(t.tv_nsec);
}

/// Whether ticks() reads the TSC (decided once, by tick_init()).
extern bool use_tsc;

/// Decides the group clock: the TSC if this CPU has one user space may read at a rate that
/// neither follows the CPU frequency nor stops when idle (constant_tsc, nonstop_tsc), else
/// CLOCK_MONOTONIC. Returns the choice and why.
kctl::bench::clock_choice tick_init();

/// The CPUs the calling thread may run on, in order (empty if unknown).
std::vector<int> allowed_cpus();

/// Runs the calling thread on `cpu` only: 0 or an errno.
int pin_to(int cpu) noexcept;

/// The group clock: arbitrary units, monotonic within a thread.
inline std::uint64_t ticks() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    if (use_tsc) [[likely]]
        return __rdtsc();
#endif
    return mono_ns();
}

/// One sample of one row.
struct timing {
    double wall_ns = 0;          ///< how long the sample took, first start to last end
    double loop_ns = 0;          ///< how long one thread's loop took (threads: the mean)
    std::uint64_t ops = 0;       ///< operations per thread
    double per_op_ns = 0;        ///< mean time per operation of one thread: loop_ns / ops
    double median_op_ns = 0;     ///< median over the sample's groups of the time per operation
    std::uint64_t start_ns = 0;  ///< CLOCK_MONOTONIC at the start of the (first) loop
    std::uint64_t end_ns = 0;    ///< ... and at the end of the (last) loop
    std::uint64_t ticks = 0;     ///< group clock ticks the loops took (all threads)
    double tick_wall_ns = 0;     ///< the CLOCK_MONOTONIC time of the same loops
};

/// How one row is measured. The engine calls setup() once, then calibrates with sample(),
/// then runs prepare() and sample() once per round.
class runner {
  public:
    virtual ~runner() = default;
    /// Opens what the row needs: 0, or an errno (the row is then skipped).
    virtual int setup() { return 0; }
    /// Untimed, before each sample: puts the device in the state the row measures.
    virtual void prepare() {}
    /// Runs `groups` groups of `k` operations (per thread), adding each group's time per
    /// operation to `h`. May throw kctl::error.
    virtual timing sample(std::uint64_t groups, std::uint32_t k, histogram& h) = 0;
    /// 0, or the errno of an operation that failed in the last sample.
    int error() const noexcept { return err_; }
    /// Why setup() failed, when its errno alone would not say it (else "").
    virtual std::string why_skipped() const { return {}; }
    /// Rows of individual events (wakeup): every group is one event, kept in events().
    virtual bool is_events() const noexcept { return false; }
    const std::vector<double>& events() const noexcept { return events_; }

  protected:
    int err_ = 0;
    std::vector<double> events_;
};

/// The median of `v`, reordering it (kctl::bench::median without the copy).
inline double median_in_place(std::vector<double>& v) {
    if (v.empty())
        return 0;
    const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
    std::nth_element(v.begin(), mid, v.end());
    if (v.size() % 2)
        return *mid;
    return (*std::max_element(v.begin(), mid) + *mid) / 2;
}

/// Runs `op` (returning 0 or an errno) in `groups` timed groups of `k`, adding each group's
/// ticks to `h`. `scratch` holds the group times; everything after the loop is integer
/// work (under TCG floating point is emulated, and a sample can have 100000 groups).
template <typename Op>
timing run_groups(Op& op, std::uint64_t groups, std::uint32_t k, histogram& h,
                  std::vector<std::uint64_t>& scratch, int& err) {
    scratch.resize(groups);
    std::uint64_t* out = scratch.data();
    int e = 0;
    const std::uint64_t t0 = mono_ns();
    const std::uint64_t c0 = ticks();
    std::uint64_t c = c0;
    for (std::uint64_t g = 0; g < groups; ++g) {
        for (std::uint32_t i = 0; i < k; ++i) {
            if (const int r = op(); r != 0) [[unlikely]]
                e = r;
        }
        const std::uint64_t c1 = ticks();
        out[g] = c1 - c;
        c = c1;
    }
    const std::uint64_t t1 = mono_ns();
    err = e;
    timing t;
    t.start_ns = t0;
    t.end_ns = t1;
    t.wall_ns = static_cast<double>(t1 - t0);
    t.loop_ns = t.wall_ns;
    t.ops = groups * k;
    t.per_op_ns = t.wall_ns / static_cast<double>(t.ops);
    t.ticks = c - c0;
    t.tick_wall_ns = t.wall_ns;
    for (std::uint64_t g = 0; g < groups; ++g)
        h.add(out[g]);
    // The sample's own CLOCK_MONOTONIC bracket gives the rate of the group clock.
    const auto mid = scratch.begin() + static_cast<std::ptrdiff_t>(groups / 2);
    std::nth_element(scratch.begin(), mid, scratch.end());
    const double ns_per_op_tick = t.ticks ? t.wall_ns / static_cast<double>(t.ticks) / k : 0;
    t.median_op_ns = static_cast<double>(*mid) * ns_per_op_tick;
    return t;
}

/// What every operation of a loop_runner has: setup() and prepare() as in runner, and
/// operator()() -> 0 or an errno, the operation itself.
struct op_base {
    int setup() { return 0; }
    void prepare() {}
};

/// A runner for one operation in a loop on the calling thread.
template <typename Op>
class loop_runner final : public runner {
  public:
    explicit loop_runner(Op op) : op_(std::move(op)) {}
    int setup() override { return op_.setup(); }
    void prepare() override { op_.prepare(); }
    timing sample(std::uint64_t groups, std::uint32_t k, histogram& h) override {
        return run_groups(op_, groups, k, h, scratch_, err_);
    }

  private:
    Op op_;
    std::vector<std::uint64_t> scratch_;
};

template <typename Op>
std::unique_ptr<runner> make_loop(Op op) {
    return std::make_unique<loop_runner<Op>>(std::move(op));
}

}  // namespace kctl::detail::bench

#endif
