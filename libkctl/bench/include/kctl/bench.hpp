// SPDX-License-Identifier: LGPL-2.1-or-later
// The benchmark engine behind `kctl bench`: every transport on every operation it supports,
// side by side in one run, against two floors measured in the same run (a null system call
// and a null ioctl on the same node). See docs/BENCHMARKS.md for what each number means.
#ifndef KCTL_BENCH_HPP
#define KCTL_BENCH_HPP

// Not part of libkctl's ABI: the static library kctl_bench, used by kctl and its tests, and
// neither installed nor included by <kctl/kctl.hpp>.

#include <kctl/kctl.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kctl::bench {

/// The parts of a run, in the order they run and are reported.
enum class section : std::uint8_t {
    floor,      ///< null system call, null ioctl
    operation,  ///< each transport x each operation it supports (and a raw ioctl loop)
    file,       ///< one sysfs/proc file read through a kept-open descriptor vs open/read/close
    batch,      ///< add() of 1..4096 values per call, in values/s
    message,    ///< get-msg/set-msg of 1 byte .. msg_max, in bytes/s
    threads,    ///< 1..N threads on one device, each with its own descriptors
    wakeup,     ///< from a change in one thread to the wake-up of a poller in another
    submit,     ///< kctl::batch of 1..256 commands per submission (uring, SQPOLL; ioctl)
};

/// "floor", "operation", "file", "batch", "message", "threads", "wakeup", "submit".
std::string_view to_string(section s) noexcept;

/// What the progress callback is told, after each step of a run.
struct progress {
    unsigned round = 0;   ///< 0: warm-up and calibration; 1..rounds: measuring
    unsigned rounds = 0;  ///< measuring rounds (= samples per row)
    std::size_t row = 0;  ///< rows done in this round
    std::size_t rows = 0;
    std::string_view label;  ///< the row just run
    double elapsed_s = 0;
    double expected_s = 0;  ///< the planned length of the whole run
};

/// What to measure, and for how long.
struct options {
    /// Any name find_device() takes; "" = default_device_name().
    std::string device;
    /// About how long the whole run takes. Each row gets a share of it; a row never runs
    /// less than what makes its clock cost negligible, so very short runs take longer.
    std::chrono::duration<double> duration = std::chrono::seconds(60);
    /// Measuring rounds: every row runs one sample per round (rounds interleave the rows, so
    /// a disturbance of the machine hits every row alike). At least 3.
    unsigned samples = 15;
    /// Only these transports (empty: all). The floors always run.
    std::vector<transport_kind> transports;
    /// Only these operations (empty: all). The floors always run.
    std::vector<operation> operations;
    /// The threads section runs 1, 2, 4, ... up to this many threads (0: the number of
    /// online CPUs, at least 2).
    unsigned max_threads = 0;
    /// Called after each step (may be empty). Runs on the calling thread.
    std::function<void(const progress&)> on_progress;
};

/// Latency statistics of one row, in nanoseconds per operation (threads: per operation of
/// one thread). Each sample (one per round) runs its operations in timed groups of `group`
/// (group 1: every operation is timed on its own); wakeup rows time every event. The names
/// say what each figure is a statistic of.
struct statistics {
    /// Per sample, in round order: the median over the sample's groups of the group time per
    /// operation (wakeup: the median of the sample's events). What the targets' per-round
    /// ratios divide.
    std::vector<double> sample_medians_ns;
    /// Per sample: the sample's mean time per operation (its loop time / its operations):
    /// the throughput view, interruptions and deferred work included (wakeup: of its events).
    std::vector<double> sample_means_ns;
    /// The median of sample_medians_ns. Robust against the rare interrupted group.
    double median_of_medians_ns = 0;
    /// The median of sample_means_ns.
    double median_of_means_ns = 0;
    /// 99th percentile (nearest rank) of the group times per operation over all samples: a
    /// percentile of group averages, of single operations only when group is 1 (wakeup: of
    /// all events). From a histogram (class histogram: within 0.4%).
    double group_p99_ns = 0;
    double min_sample_median_ns = 0;  ///< smallest of sample_medians_ns
    double max_sample_median_ns = 0;  ///< largest of sample_medians_ns
    std::uint32_t samples = 0;
    std::uint64_t ops = 0;    ///< operations timed, over all samples and threads
    std::uint32_t group = 1;  ///< operations per timed group
};

/// What became of a row.
enum class row_status : std::uint8_t {
    planned,   ///< not run (yet)
    measured,  ///< the statistics are valid
    skipped,   ///< could not run here (no permission, no node, ...): see note
    failed,    ///< an operation failed while it ran: see note
};

/// "planned", "ok", "skipped", "failed".
std::string_view to_string(row_status s) noexcept;

/// How a row does its operation.
enum class variant : std::uint8_t {
    libkctl,          ///< through kctl::device (or kctl::batch)
    raw,              ///< the bare system call or memory read, without libkctl
    kept_open,        ///< file rows: pread() on a descriptor kept open
    open_read_close,  ///< file rows: open(), read(), close() per read
    get,              ///< message rows: get-msg
    set,              ///< message rows: set-msg
    same_cpu,         ///< wakeup rows: the poller on the changer's CPU
    other_cpu,        ///< wakeup rows: the poller on another CPU
    sqpoll,           ///< submit rows: io_uring with a kernel thread polling the queue
    dump,             ///< netlink listing rows: one dump request answers for every device
    get_each,         ///< netlink listing rows: one get-dev request per device
};

/// "libkctl", "raw", "kept-open", "open-read-close", "get", "set", "same-cpu", "other-cpu",
/// "sqpoll", "dump", "get-each".
std::string_view to_string(variant v) noexcept;
/// The variant with this name, or nullopt.
std::optional<variant> parse_variant(std::string_view name) noexcept;

/// Which floor a floor row is: the reference every ratio is measured against.
enum class floor_kind : std::uint8_t {
    none,          ///< not a floor
    null_syscall,  ///< syscall(SYS_getppid): transport "syscall", op "null" in the JSON
    null_ioctl,    ///< an unknown ioctl on the node (ENOTTY): transport "ioctl", op "null"
    uring_nop,     ///< IORING_OP_NOP per submit (section submit): transport "uring", op "nop"
    uring_null,    ///< a uring_cmd the driver refuses (ENOTTY): transport "uring", op "null"
    /// a request of family kdemo for a command it lacks (EOPNOTSUPP): transport "netlink",
    /// op "null"
    netlink_null,
};

/// One row of the report. What it measures is typed (transport, op, variant, floor); the
/// names are for the JSON and the table only.
struct row {
    std::string id;  ///< stable: "floor.null-ioctl", "ioctl.sum", "batch.ioctl.4096", ...
    bench::section section = section::operation;
    std::string label;  ///< for people: "ioctl sum", "proc info (open/read/close)"
    /// The transport (floors: the null ioctl's ioctl; the null syscall has none, ignored).
    transport_kind transport = transport_kind::ioctl;
    operation op = operation::sum;  ///< the operation (floors: none, ignored)
    bench::variant variant = variant::libkctl;
    floor_kind floor = floor_kind::none;
    /// values per call (batch), bytes (message), threads, commands per submission (submit),
    /// devices listed (netlink dump and get-each); else 0
    std::uint64_t param = 0;
    double weight = 1;  ///< share of the run's time
    row_status status = row_status::planned;
    std::string note;  ///< why it was skipped or failed, or a remark
    statistics stats;
    /// 1e9 / median_of_medians_ns; threads: all threads' operations per second of wall time (median
    /// over the samples), as the threads share the CPUs.
    double ops_per_s = 0;
    /// values/s (batch: ops_per_s x param) or bytes/s (message); 0 elsewhere.
    double items_per_s = 0;
    std::string items;  ///< "values", "bytes" or ""
    /// median_of_medians_ns / the null ioctl's; nullopt if either was not measured.
    std::optional<double> ratio_to_null_ioctl;
    double time_s = 0;  ///< how long the row ran: warm-up, calibration and samples

    bool measured() const noexcept { return status == row_status::measured; }
};

/// The row's transport as the JSON names it: "syscall" for the null-syscall floor.
std::string_view transport_name(const row& r) noexcept;
/// The row's operation as the JSON names it: "null" for the floors.
std::string_view op_name(const row& r) noexcept;

/// What a target divides.
enum class quantity : std::uint8_t {
    median,            ///< sample medians: numerator / denominator
    mean,              ///< sample means: numerator / denominator
    mean_over_median,  ///< the numerator's sample mean over the denominator's sample median
                       ///< (with one row on both sides: how bimodal it is)
    items_per_s,       ///< throughputs (values/s, bytes/s): numerator / denominator
};

/// "sample_median_ns", "sample_mean_ns", "sample_mean_over_median", "items_per_s".
std::string_view to_string(quantity q) noexcept;

/// How a target came out.
enum class verdict : std::uint8_t {
    not_measured,  ///< a row was not measured: no ratio
    met,           ///< the whole confidence interval meets the goal
    not_met,       ///< the whole confidence interval misses the goal
    inconclusive,  ///< the interval straddles the goal: this run cannot tell
};

/// "not-measured", "met", "not-met", "inconclusive".
std::string_view to_string(verdict v) noexcept;

/// A confidence interval.
struct interval {
    double low = 0;
    double high = 0;
    /// The confidence it has (e.g. 0.965): order statistics give only discrete levels, the
    /// smallest one at least the one asked for; fewer than 6 values cannot reach 95%, their
    /// interval is [min, max] at 1 - 2^(1-n).
    double level = 0;
};

/// A distribution-free confidence interval of the median of `v` at `confidence` (or the
/// next level above it): [v(k), v(n+1-k)] of the sorted values, k the largest rank with
/// P(Binomial(n, 1/2) < k) <= (1 - confidence) / 2. nullopt if `v` is empty.
std::optional<interval> median_interval(std::vector<double> v, double confidence = 0.95);

/// The verdict on `goal` (ratio >= goal if `at_least`, else ratio <= goal) of an interval:
/// met or not-met if the whole interval is on one side, else inconclusive.
verdict judge(const interval& ci, bool at_least, double goal) noexcept;

/// A goal of the project, as a ratio of two rows' figures measured in the same run.
///
/// Rounds interleave the rows, so sample i of the numerator and sample i of the
/// denominator ran moments apart: their ratio is one per-round ratio, and the target's
/// ratio is the median of the per-round ratios, with a 95% distribution-free confidence
/// interval of that median (median_interval()). A report read back from a version-1
/// document has no samples: its ratio divides the rows' medians and has no interval.
struct target {
    std::string id;           ///< "ioctl-sum-vs-null-ioctl", ...
    std::string description;  ///< "ioctl sum within 1.3x of the null ioctl"
    std::string numerator;    ///< row ids
    std::string denominator;
    bench::quantity quantity = quantity::median;
    bool at_least = false;  ///< the goal is ratio >= goal (else ratio <= goal)
    double goal = 0;
    std::optional<double> ratio;  ///< nullopt if a row was not measured
    std::optional<interval> ci;   ///< nullopt without per-round ratios
    bench::verdict verdict = verdict::not_measured;
};

/// Where the run happened.
struct environment {
    std::chrono::system_clock::time_point date;
    std::string sysname, release, version, machine;  ///< uname
    std::string cpu_model;
    unsigned cpus = 0;  ///< online
    /// From CPUID (x86) and DMI: "TCG", "KVM", "Microsoft Hv", "VMware", "Xen", ... or ""
    /// on bare metal; `hypervisor_flag` is the CPU's "hypervisor" flag.
    std::string hypervisor;
    bool hypervisor_flag = false;
    bool emulated = false;  ///< instructions are emulated (QEMU TCG), not run by the CPU
    std::string sys_vendor, product_name;  ///< /sys/class/dmi/id
    std::string clocksource;               ///< the kernel's current clocksource
    double clock_ns = 0;                   ///< cost of one clock_gettime(CLOCK_MONOTONIC)
    std::string tick;                      ///< the group clock: "tsc" (rdtsc) or "monotonic"
    /// Why that group clock: the TSC needs the constant_tsc and nonstop_tsc flags (a rate
    /// that neither follows the frequency nor stops in idle states) and rdtsc allowed.
    std::string tick_reason;
    double tick_ns = 0;                              ///< cost of one group clock read
    std::map<std::string, std::string> mitigations;  ///< /sys/devices/system/cpu/vulnerabilities
    unsigned uid = 0, euid = 0;
    std::string device, node;
    std::string driver_version;  ///< "" if the transports that know it are not readable
    std::uint32_t abi = 0;
    std::uint64_t msg_max = 0;
    bool can_write = false;       ///< the caller may change the device (mutation rows run)
    std::string null_syscall;     ///< "getppid"
    std::string null_ioctl;       ///< "_IO(0xDE, 0xFF)"
    std::string library_version;  ///< kctl::version()
    std::string git_revision;     ///< `git describe --always --dirty` of the build, or "unknown"
    std::string build_type;       ///< CMAKE_BUILD_TYPE of the build ("RelWithDebInfo", ...)
    /// The CPU the measuring thread was pinned to (-1: not pinned). Threads rows pin thread i
    /// to the i-th CPU the run may use; wakeup rows pin the changer here and the waiter here
    /// (same-cpu) or on the next CPU (other-cpu).
    int measuring_cpu = -1;
};

/// A whole run.
struct report {
    environment env;
    options settings;       ///< as used (defaults filled in; on_progress cleared)
    std::vector<row> rows;  ///< in run order, skipped ones included
    std::vector<target> targets;
    double elapsed_s = 0;

    /// The row with this id, or nullptr.
    const row* find(std::string_view id) const noexcept;
};

/// The rows a run with these options would have, not yet measured: `msg_max` sizes the
/// message rows, `max_threads` (not 0) the threads rows, `devices` (the kdemo devices there
/// are) the netlink listing rows. Pure: touches no device.
std::vector<row> plan(const options& o, std::uint64_t msg_max, unsigned max_threads,
                      unsigned devices = 1);

/// The project's targets, evaluated on `rows` (rows not there or not measured: no ratio).
std::vector<target> evaluate_targets(std::span<const row> rows);

/// The group clock for a CPU with these /proc/cpuinfo flags (space-separated) on which
/// rdtsc is allowed or not: "tsc" only with constant_tsc and nonstop_tsc, else "monotonic";
/// and the reason, for the report.
struct clock_choice {
    bool tsc = false;
    std::string reason;
};
clock_choice choose_group_clock(std::string_view cpu_flags, bool rdtsc_allowed);

/// Runs the benchmark on the device. Throws kctl::error if the device cannot be found or
/// nothing about it can be read; rows that cannot run (no permission, no such transport) are
/// reported as skipped with a note. Changes the device: the message is restored at the end,
/// the accumulator is left reset (sum 0, count 0), the generation grows.
report run(const options& o);

/// Median of `v` (the mean of the two middle values for an even count); 0 if empty.
double median(std::vector<double> v);
/// Nearest-rank percentile, p in (0, 100]: the smallest value with at least p% of the values
/// at or below it; 0 if empty.
double percentile(std::vector<double> v, double p);

/// A histogram of non-negative integers (clock ticks, nanoseconds) in constant memory, for
/// percentiles of many timed groups: values below 128 are exact, larger ones fall into
/// buckets 1/128 of their power of two wide (at most 0.8% apart). Integer work only, which
/// matters where floating point is emulated.
class histogram {
  public:
    histogram();
    /// Adds `n` observations of `value`.
    void add(std::uint64_t value, std::uint64_t n = 1) noexcept;
    /// Adds every observation of `other`.
    void merge(const histogram& other) noexcept;
    std::uint64_t count() const noexcept { return count_; }
    /// Nearest-rank percentile (p in (0, 100]): the middle of the bucket holding that rank,
    /// clamped to the exact minimum and maximum seen. 0 if empty.
    double percentile(double p) const noexcept;
    std::uint64_t min() const noexcept { return min_; }
    std::uint64_t max() const noexcept { return max_; }

  private:
    std::vector<std::uint32_t> buckets_;
    std::uint64_t count_ = 0;
    std::uint64_t min_ = 0;
    std::uint64_t max_ = 0;
};

}  // namespace kctl::bench

#endif
