// SPDX-License-Identifier: LGPL-2.1-or-later
// The benchmark engine: the plan (which rows), the schedule (warm-up and calibration, then
// rounds that interleave the rows), the statistics and the targets.
//
// Rounds: every row runs one sample per round, in plan order. A disturbance of the machine
// (another guest, the host's page cache, a timer storm) then lands on every row alike
// instead of ruining one row's samples, and the ratios between rows — what the report is
// about — stay steady even on a busy host.
#include <sched.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "bench_cases.hpp"
#include "bench_env.hpp"
#include "bench_impl.hpp"
#include "chooser.hpp"

namespace kctl::bench {

namespace {

using detail::bench::mono_ns;

constexpr std::string_view variant_names[] = {"libkctl", "raw",  "kept-open", "open-read-close",
                                              "get",     "set",  "same-cpu",  "other-cpu",
                                              "sqpoll",  "dump", "get-each"};

constexpr std::string_view section_names[] = {"floor",   "operation", "file",   "batch",
                                              "message", "threads",   "wakeup", "submit"};

// Shares of the run: an operation row counts 1.
constexpr double w_floor = 1.0;
constexpr double w_operation = 1.0;
constexpr double w_file = 0.5;
constexpr double w_batch = 0.25;
constexpr double w_message = 0.25;
constexpr double w_threads = 0.6;
constexpr double w_wakeup = 0.75;
/// The message the "operations" section's set-msg rows set.
constexpr std::uint64_t set_msg_size = 16;

// Of the duration: warm-up and calibration, then measuring; the rest is setup.
constexpr double warm_share = 0.10;
constexpr double measure_share = 0.85;

// A group clock read may cost at most 1% of a group; a CLOCK_MONOTONIC read at most 0.5% of
// a sample.
constexpr double group_clock_factor = 100;
constexpr double sample_clock_factor = 200;
constexpr double min_sample_ns = 100e3;
constexpr double min_threads_sample_ns = 10e6;
constexpr std::uint64_t max_events_per_sample = 2000;
// How far pacing may stretch or shrink the planned samples.
constexpr double min_pace = 0.1;
constexpr double max_pace = 2.0;

constexpr operation op_order[] = {operation::sum, operation::get_msg, operation::set_msg,
                                  operation::add, operation::reset,   operation::info};

bool wanted(const options& o, transport_kind k) {
    return o.transports.empty() ||
           std::find(o.transports.begin(), o.transports.end(), k) != o.transports.end();
}

bool wanted(const options& o, operation op) {
    return o.operations.empty() ||
           std::find(o.operations.begin(), o.operations.end(), op) != o.operations.end();
}

std::string str(std::string_view s) {
    return std::string(s);
}

std::string num(std::uint64_t n) {
    return std::to_string(n);
}

row make(section s, std::string id, std::string label, transport_kind transport, operation op,
         variant v, std::uint64_t param, double weight, std::string note = {}) {
    row r;
    r.id = std::move(id);
    r.section = s;
    r.label = std::move(label);
    r.transport = transport;
    r.op = op;
    r.variant = v;
    r.param = param;
    r.weight = weight;
    r.note = std::move(note);
    return r;
}

/// A remark about how a transport does an operation, for the table.
std::string how(transport_kind k, operation op) {
    if (k == transport_kind::sysfs && op == operation::sum)
        return "4 reads: generation, sum, count, generation";
    if (k == transport_kind::sysfs && op == operation::info)
        return "partial (no driver, version, abi, msg_len); 10 reads";
    if (k == transport_kind::proc && op == operation::sum)
        return "reads and parses info (sum, count, generation of one moment)";
    if (k == transport_kind::mmap)
        return "seqcount read of the mapped page, no system call";
    if (k == transport_kind::netlink)
        return op == operation::set_msg ? "a 16-byte message; sendmsg + recvmsg (ack)"
                                        : "sendmsg + recvmsg, one socket kept open";
    if (op == operation::set_msg)
        return "a 16-byte message";
    return {};
}

/// The length of the text libkctl writes for `n` values +1 -1 +1 ...
std::size_t text_size(std::size_t n) {
    return (n + 1) / 2 * 1 + n / 2 * 2 + n;  // "1", "-1", one separator each ('\n' last)
}

std::vector<std::uint64_t> message_sizes(std::uint64_t msg_max, transport_kind k) {
    std::vector<std::uint64_t> sizes;
    const std::uint64_t top =
        k == transport_kind::sysfs ? std::min<std::uint64_t>(msg_max, sysfs_msg_max) : msg_max;
    for (std::uint64_t s = 1; s < top; s *= 8)
        sizes.push_back(s);
    if (top > 0)
        sizes.push_back(top);
    return sizes;
}

}  // namespace

std::string_view to_string(section s) noexcept {
    return section_names[static_cast<std::size_t>(s)];
}

std::string_view to_string(variant v) noexcept {
    return variant_names[static_cast<std::size_t>(v)];
}

std::optional<variant> parse_variant(std::string_view name) noexcept {
    for (std::size_t i = 0; i < std::size(variant_names); ++i)
        if (variant_names[i] == name)
            return static_cast<variant>(i);
    return std::nullopt;
}

std::string_view transport_name(const row& r) noexcept {
    return r.floor == floor_kind::null_syscall ? "syscall" : to_string(r.transport);
}

std::string_view op_name(const row& r) noexcept {
    switch (r.floor) {
        case floor_kind::none:
            return to_string(r.op);
        case floor_kind::uring_nop:
            return "nop";
        default:
            return "null";
    }
}

std::string_view to_string(row_status s) noexcept {
    constexpr std::string_view names[] = {"planned", "ok", "skipped", "failed"};
    return names[static_cast<std::size_t>(s)];
}

const row* report::find(std::string_view id) const noexcept {
    for (const row& r : rows)
        if (r.id == id)
            return &r;
    return nullptr;
}

std::vector<row> plan(const options& o, std::uint64_t msg_max, unsigned max_threads,
                      unsigned devices) {
    std::vector<row> rows;
    const transport_kind T[] = {transport_kind::mmap,    transport_kind::ioctl,
                                transport_kind::sysfs,   transport_kind::proc,
                                transport_kind::netlink, transport_kind::uring};
    constexpr transport_kind ioctl = transport_kind::ioctl;
    constexpr transport_kind sysfs = transport_kind::sysfs;
    constexpr transport_kind proc = transport_kind::proc;
    constexpr transport_kind mmap = transport_kind::mmap;
    constexpr transport_kind uring = transport_kind::uring;

    // Floors: always, every ratio needs them.
    rows.push_back(make(section::floor, "floor.null-syscall", "null syscall (getppid)", ioctl,
                        operation::sum, variant::raw, 0, w_floor, "syscall(SYS_getppid)"));
    rows.back().floor = floor_kind::null_syscall;
    rows.push_back(make(section::floor, "floor.null-ioctl", "null ioctl (ENOTTY)", ioctl,
                        operation::sum, variant::raw, 0, w_floor, "_IO(0xDE, 0xFF) on the node"));
    rows.back().floor = floor_kind::null_ioctl;
    // What any netlink request costs, before the family's handler: docs/BENCHMARKS.md
    // decomposes the netlink rows with it.
    if (wanted(o, transport_kind::netlink)) {
        rows.push_back(make(section::floor, "floor.null-netlink",
                            "null netlink request (EOPNOTSUPP)", transport_kind::netlink,
                            operation::sum, variant::raw, 0, w_floor,
                            "family kdemo, a command it lacks: sendto(), the error, recvfrom()"));
        rows.back().floor = floor_kind::netlink_null;
    }

    // Each transport x each operation it supports, grouped by operation.
    for (const operation op : op_order) {
        if (!wanted(o, op))
            continue;
        for (const transport_kind k : T) {
            if (!wanted(o, k) || detail::capability(k, op) == detail::support::none)
                continue;
            const std::string name = str(to_string(k)) + " " + str(to_string(op));
            // set-msg sets a 16-byte message (the "message" section has the other sizes)
            rows.push_back(make(section::operation, str(to_string(k)) + "." + str(to_string(op)),
                                name, k, op, variant::libkctl,
                                op == operation::set_msg ? set_msg_size : 0, w_operation,
                                how(k, op)));
            if (k == mmap && op == operation::sum)
                rows.push_back(make(section::operation, "mmap.sum.raw", "mmap sum, inline read",
                                    mmap, operation::sum, variant::raw, 0, w_operation,
                                    "the seqcount read without libkctl"));
            if (k == ioctl && op == operation::sum)
                rows.push_back(make(section::operation, "ioctl.sum.raw", "ioctl sum, bare ioctl()",
                                    ioctl, operation::sum, variant::raw, 0, w_operation,
                                    "KDEMO_IOC_GET_SUM without libkctl"));
        }
    }

    // Listing every device through netlink: one dump request against one get-dev request
    // per device. The time of a row is that of the whole listing.
    if (wanted(o, transport_kind::netlink) && wanted(o, operation::info) && devices > 0) {
        const std::string n = num(devices);
        const std::string what = "netlink list " + n + (devices == 1 ? " device" : " devices");
        rows.push_back(make(section::operation, "netlink.list.dump", what + ", one dump",
                            transport_kind::netlink, operation::info, variant::dump, devices,
                            w_operation, "GET_DEV with NLM_F_DUMP: one request, every device"));
        rows.push_back(make(section::operation, "netlink.list.get-each",
                            what + ", " + n + " get-dev", transport_kind::netlink, operation::info,
                            variant::get_each, devices, w_operation,
                            "GET_DEV once per device index"));
    }

    // One file: a descriptor kept open vs open/read/close per read.
    struct file {
        transport_kind k;
        operation op;
        const char* name;
    };
    for (const file& f :
         {file{sysfs, operation::sum, "sum"}, file{sysfs, operation::get_msg, "message"},
          file{proc, operation::sum, "sum"}, file{proc, operation::info, "info"},
          file{proc, operation::get_msg, "message"}}) {
        if (!wanted(o, f.k) || !wanted(o, f.op))
            continue;
        const std::string base = "file." + str(to_string(f.k)) + "." + f.name;
        const std::string label = str(to_string(f.k)) + " " + f.name;
        rows.push_back(make(section::file, base + ".kept-open", label + ", kept open", f.k, f.op,
                            variant::kept_open, 0, w_file, "pread() at offset 0"));
        rows.push_back(make(section::file, base + ".open-read-close", label + ", open/read/close",
                            f.k, f.op, variant::open_read_close, 0, w_file,
                            "open(), read(), close() per read"));
    }

    // add() of n values per call.
    if (wanted(o, operation::add)) {
        for (const transport_kind k : {ioctl, proc, sysfs}) {
            if (!wanted(o, k))
                continue;
            for (std::uint64_t n = 1; n <= batch_max; n *= 2) {
                if (k == sysfs && text_size(n) > sysfs_msg_max + 1)
                    break;
                std::string note;
                if (k == ioctl)
                    note = n == 1 ? "KDEMO_IOC_ADD" : "KDEMO_IOC_ADD_BATCH";
                rows.push_back(make(section::batch, "batch." + str(to_string(k)) + "." + num(n),
                                    str(to_string(k)) + " add x" + num(n), k, operation::add,
                                    variant::libkctl, n, w_batch, note));
            }
        }
    }

    // Commands per submission: kctl::batch through io_uring (and with a kernel thread polling
    // the submission queue), and the same batches through ioctl, one call per command. The
    // time of a row is per command.
    for (const operation op : {operation::sum, operation::add}) {
        if (!wanted(o, op))
            continue;
        struct way {
            transport_kind k;
            bench::variant v;
        };
        for (const way& w : {way{uring, variant::libkctl}, way{uring, variant::sqpoll},
                             way{ioctl, variant::libkctl}}) {
            if (!wanted(o, w.k))
                continue;
            const bool sqpoll = w.v == variant::sqpoll;
            for (const std::uint64_t n : {1, 16, 64, 256}) {
                const std::string base =
                    "submit." + str(to_string(w.k)) + (sqpoll ? "-sqpoll" : "");
                rows.push_back(make(
                    section::submit, base + "." + str(to_string(op)) + "." + num(n),
                    str(to_string(w.k)) + (sqpoll ? " (SQPOLL) " : " ") + str(to_string(op)) +
                        ", " + num(n) + " per submit",
                    w.k, op, w.v, n, w_batch,
                    w.k == uring ? (sqpoll ? "kctl::batch, IORING_SETUP_SQPOLL" : "kctl::batch")
                                 : "kctl::batch through ioctl, one call per command"));
            }
        }
    }

    // The floors of those rows at 64 per submit, on a ring set up as kctl::batch's, without
    // libkctl: io_uring's own cost per command (NOP), and a uring_cmd the driver refuses at
    // once (ENOTTY, the analogue of the null ioctl). docs/BENCHMARKS.md says where the time goes.
    if (wanted(o, uring) && (wanted(o, operation::sum) || wanted(o, operation::add))) {
        rows.push_back(make(section::submit, "submit.uring.nop.64", "io_uring NOP, 64 per submit",
                            uring, operation::sum, variant::raw, 64, w_batch,
                            "IORING_OP_NOP, no file"));
        rows.back().floor = floor_kind::uring_nop;
        rows.push_back(make(section::submit, "submit.uring.null.64",
                            "uring_cmd ENOTTY, 64 per submit", uring, operation::sum, variant::raw,
                            64, w_batch,
                            "IORING_OP_URING_CMD, cmd_op _IO(0xDE, 0xFF), registered file"));
        rows.back().floor = floor_kind::uring_null;
    }

    // Message bandwidth.
    for (const transport_kind k : {ioctl, sysfs, proc}) {
        if (!wanted(o, k))
            continue;
        for (const operation op : {operation::get_msg, operation::set_msg}) {
            if (!wanted(o, op))
                continue;
            const std::string verb = op == operation::get_msg ? "get" : "set";
            for (const std::uint64_t size : message_sizes(msg_max, k))
                rows.push_back(make(
                    section::message, "message." + str(to_string(k)) + "." + verb + "." + num(size),
                    str(to_string(k)) + " " + str(to_string(op)) + " " + num(size) + " B", k, op,
                    op == operation::get_msg ? variant::get : variant::set, size, w_message));
        }
    }

    // Threads on one device.
    std::vector<std::uint64_t> counts;
    for (std::uint64_t n = 1; n < max_threads; n *= 2)
        counts.push_back(n);
    counts.push_back(std::max(1U, max_threads));
    struct threaded {
        transport_kind k;
        operation op;
    };
    for (const threaded& t : {threaded{ioctl, operation::sum}, threaded{mmap, operation::sum},
                              threaded{ioctl, operation::add}}) {
        if (!wanted(o, t.k) || !wanted(o, t.op))
            continue;
        for (const std::uint64_t n : counts)
            rows.push_back(
                make(section::threads,
                     "threads." + str(to_string(t.k)) + "." + str(to_string(t.op)) + "." + num(n),
                     str(to_string(t.k)) + " " + str(to_string(t.op)) + ", " + num(n) +
                         (n == 1 ? " thread" : " threads"),
                     t.k, t.op, variant::libkctl, n, w_threads));
    }

    // Wake-up latency of a poller: on the CPU of the change (the kernel's wake-up path) and
    // on another one (an inter-processor interrupt; under TCG, the host must also run the
    // emulator's thread for that virtual CPU).
    if (wanted(o, operation::watch)) {
        for (const transport_kind k : {ioctl, sysfs, transport_kind::netlink}) {
            if (!wanted(o, k))
                continue;
            const std::string what = k == ioctl   ? "poll() on the node"
                                     : k == sysfs ? "poll() on sysfs generation"
                                                  : "netlink monitor event";
            for (const variant where : {variant::same_cpu, variant::other_cpu})
                rows.push_back(make(
                    section::wakeup, "wakeup." + str(to_string(k)) + "." + str(to_string(where)),
                    what + (where == variant::same_cpu ? ", same CPU" : ", other CPU"), k,
                    operation::watch, where, 0, w_wakeup,
                    "ADD in one thread to poll() returning in another"));
        }
    }
    return rows;
}

namespace {

/// A row's figure that a target divides: of sample i, or of the whole row (i = npos).
double figure(const row& r, quantity q, bool numerator, std::size_t i) {
    const statistics& s = r.stats;
    const bool whole = i == std::string::npos;
    const double med = whole ? s.median_of_medians_ns : s.sample_medians_ns[i];
    const double mean = whole ? s.median_of_means_ns : s.sample_means_ns[i];
    switch (q) {
        case quantity::median:
            return med;
        case quantity::mean:
            return mean;
        case quantity::mean_over_median:
            return numerator ? mean : med;
        case quantity::items_per_s:
            if (whole)
                return r.items_per_s;
            return med > 0 ? static_cast<double>(r.param) * 1e9 / med : 0;
    }
    return 0;
}

}  // namespace

std::vector<target> evaluate_targets(std::span<const row> rows) {
    auto find = [&rows](const std::string& id) -> const row* {
        for (const row& r : rows)
            if (r.id == id)
                return r.measured() ? &r : nullptr;
        return nullptr;
    };
    std::vector<target> out;
    auto add = [&](std::string id, std::string description, std::string num_id, std::string den_id,
                   quantity q, bool at_least, double goal) {
        target t;
        t.id = std::move(id);
        t.description = std::move(description);
        t.numerator = std::move(num_id);
        t.denominator = std::move(den_id);
        t.quantity = q;
        t.at_least = at_least;
        t.goal = goal;
        const row* n = find(t.numerator);
        const row* d = find(t.denominator);
        if (n && d) {
            // Per round: sample i of both rows ran in the same round.
            const std::size_t rounds =
                std::min({n->stats.sample_medians_ns.size(), n->stats.sample_means_ns.size(),
                          d->stats.sample_medians_ns.size(), d->stats.sample_means_ns.size()});
            std::vector<double> ratios;
            for (std::size_t i = 0; i < rounds; ++i) {
                const double a = figure(*n, q, true, i), b = figure(*d, q, false, i);
                if (a > 0 && b > 0 && std::isfinite(a / b))
                    ratios.push_back(a / b);
            }
            if (!ratios.empty()) {
                t.ratio = median(ratios);
                t.ci = median_interval(ratios);
                t.verdict = judge(*t.ci, at_least, goal);
            } else {  // no samples (a version-1 document): the rows' figures, no interval
                const double a = figure(*n, q, true, std::string::npos);
                const double b = figure(*d, q, false, std::string::npos);
                if (a > 0 && b > 0 && std::isfinite(a / b)) {
                    t.ratio = a / b;
                    t.verdict = judge(interval{*t.ratio, *t.ratio, 0}, at_least, goal);
                }
            }
        }
        out.push_back(std::move(t));
    };
    add("ioctl-sum-vs-null-ioctl", "ioctl sum within 1.3x of the null ioctl", "ioctl.sum",
        "floor.null-ioctl", quantity::median, false, 1.3);
    add("mmap-sum-vs-ioctl-sum", "mmap sum at least 20x faster than ioctl sum", "ioctl.sum",
        "mmap.sum", quantity::median, true, 20);
    for (const char* f : {"sysfs.sum", "sysfs.message", "proc.sum", "proc.info", "proc.message"}) {
        const std::string base = std::string("file.") + f;
        std::string name = f;
        name[name.find('.')] = ' ';
        add(std::string("kept-open-") + f,
            name +
                " read at least 3x faster kept open than "
                "with open/read/close",
            base + ".open-read-close", base + ".kept-open", quantity::median, true, 3);
    }
    add("add-batch-vs-add", "ADD_BATCH(4096) at least 100x the values/s of one-value ADD",
        "batch.ioctl.4096", "batch.ioctl.1", quantity::items_per_s, true, 100);
    add("uring-batch64-vs-null-ioctl",
        "uring sum at 64 per submit at most 0.5x the null ioctl, per command",
        "submit.uring.sum.64", "floor.null-ioctl", quantity::median, false, 0.5);
    add("uring-batch1-vs-ioctl", "uring sum at 1 per submit within 2x of ioctl sum",
        "submit.uring.sum.1", "ioctl.sum", quantity::median, false, 2.0);
    add("libkctl-vs-raw-ioctl", "libkctl's ioctl sum within 1.1x of a raw ioctl loop", "ioctl.sum",
        "ioctl.sum.raw", quantity::median, false, 1.1);
    add("libkctl-vs-raw-mmap", "libkctl's mmap sum within 1.5x of an inline loop over the page",
        "mmap.sum", "mmap.sum.raw", quantity::median, false, 1.5);
    // A change costs about as much as a read, in the median and in the mean.
    for (const auto& [op, goal] : {std::pair{"add", 2.0}, std::pair{"set-msg", 3.0}}) {
        const std::string row = std::string("ioctl.") + op;
        const std::string what = std::string("ioctl ") + op + " within " +
                                 (goal == 2.0 ? "2x" : "3x") + " of the null ioctl";
        add(std::string("ioctl-") + op + "-vs-null-ioctl", what, row, "floor.null-ioctl",
            quantity::median, false, goal);
        add(std::string("ioctl-") + op + "-mean-vs-null-ioctl", what + ", mean", row,
            "floor.null-ioctl", quantity::mean, false, goal);
    }
    // Netlink (issue #12): a request within 5x of the ioctl, an event no later than poll().
    add("netlink-sum-vs-ioctl-sum", "netlink sum within 5x of ioctl sum", "netlink.sum",
        "ioctl.sum", quantity::median, false, 5);
    for (const char* where : {"same-cpu", "other-cpu"})
        add(std::string("netlink-event-vs-node-poll-") + where,
            std::string("a monitor event no later than a node poll() wake-up, ") + where,
            std::string("wakeup.netlink.") + where, std::string("wakeup.ioctl.") + where,
            quantity::median, false, 1.0);
    // No bimodal mutation row: its mean within 1.5x of its median.
    for (const char* k : {"ioctl", "sysfs", "proc"})
        for (const char* op : {"set-msg", "add", "reset"}) {
            const std::string row = std::string(k) + "." + op;
            add(std::string("unimodal-") + k + "-" + op,
                std::string(k) + " " + op + " mean within 1.5x of its median", row, row,
                quantity::mean_over_median, false, 1.5);
        }
    return out;
}

namespace {

using detail::bench::context;
using detail::bench::runner;
using detail::bench::timing;

/// A row while it runs.
struct live {
    row* r = nullptr;
    std::unique_ptr<runner> run;
    histogram hist;
    std::vector<double> medians;  // per sample: median time per operation of the groups
    std::vector<double> means;    // per sample: mean time per operation (per thread)
    std::vector<double> rates;    // per sample: operations per second, all threads
    std::vector<double> events;   // events rows: every event
    std::uint64_t ops = 0;
    std::uint64_t ticks = 0;  // group clock ticks measured, and the time they took
    double tick_wall_ns = 0;
    std::uint32_t k = 1;
    double cost_ns = 0;  // what one operation (one event) costs a sample, all included
    double warm_ns = 0;
    double sample_ns = 0;  // planned length of a sample
    double floor_ns = 0;   // shortest sample that keeps the clock cost negligible
    bool active = false;

    /// Groups for a sample of about `target_ns`.
    std::uint64_t groups_for(double target_ns) const {
        const double per_group = std::max(cost_ns, 0.01) * k;
        const auto g = static_cast<std::uint64_t>(std::llround(target_ns / per_group));
        return run->is_events() ? std::clamp<std::uint64_t>(g, 3, max_events_per_sample)
                                : std::max<std::uint64_t>(g, 1);
    }
};

std::string errno_text(int err) {
    return std::string(std::strerror(err)) + " (" + detail::errno_name(err) + ")";
}

std::string skip_note(int err, const row& r) {
    const bool mutation =
        r.floor == floor_kind::none &&
        (r.op == operation::set_msg || r.op == operation::add || r.op == operation::reset ||
         r.op == operation::watch || r.section == section::message);
    if (err == EACCES || err == EPERM)
        return std::string(mutation ? "needs write permission (" : "no permission (") +
               detail::errno_name(err) + ")";
    return errno_text(err);
}

void fail(live& l, const std::string& why) {
    l.active = false;
    l.r->status = row_status::failed;
    l.r->note = why;
}

/// Runs one sample; false if the row failed (and is then inactive).
bool step(live& l, std::uint64_t groups, std::uint32_t k, histogram& h, timing& t) {
    try {
        l.run->prepare();
        t = l.run->sample(groups, k, h);
    } catch (const kctl::error& e) {
        fail(l, e.what());
        return false;
    } catch (const std::system_error& e) {
        fail(l, e.what());
        return false;
    }
    if (const int err = l.run->error(); err != 0) {
        fail(l, errno_text(err));
        return false;
    }
    return true;
}

/// Warms the row up, chooses its group size and learns what an operation costs.
void calibrate(live& l, double tick_ns) {
    histogram scratch;
    timing t;
    if (l.run->is_events()) {
        const std::uint64_t t0 = mono_ns();
        if (!step(l, 3, 1, scratch, t))
            return;
        l.k = 1;
        l.cost_ns = static_cast<double>(mono_ns() - t0) / static_cast<double>(t.ops);
        return;
    }
    std::uint64_t n = 1;
    constexpr std::uint64_t n_max = std::uint64_t{1} << 31;
    for (;;) {
        if (!step(l, 1, static_cast<std::uint32_t>(n), scratch, t))
            return;
        if (t.loop_ns >= l.warm_ns || n >= n_max)
            break;
        const double f = std::clamp(l.warm_ns / std::max(t.loop_ns, 1.0) * 1.2, 2.0, 100.0);
        n = std::min(n_max, static_cast<std::uint64_t>(static_cast<double>(n) * f));
    }
    const double op_ns = std::max(t.per_op_ns, 0.01);
    l.k = static_cast<std::uint32_t>(
        std::clamp(std::ceil(group_clock_factor * tick_ns / op_ns), 1.0, 1e6));
    l.cost_ns = op_ns;
}

std::uint64_t threads_of(const row& r) {
    return r.section == section::threads ? std::max<std::uint64_t>(1, r.param) : 1;
}

void finish(live& l, const row* null_ioctl) {
    row& r = *l.r;
    if (!l.active || l.means.empty()) {
        if (r.status == row_status::planned)
            r.status = row_status::skipped;
        return;
    }
    statistics& s = r.stats;
    s.samples = static_cast<std::uint32_t>(l.means.size());
    s.group = l.k;
    const double threads = r.section == section::threads ? static_cast<double>(r.param) : 1.0;
    s.sample_medians_ns = l.medians;
    s.sample_means_ns = l.means;
    s.median_of_medians_ns = median(l.medians);
    s.median_of_means_ns = median(l.means);
    s.min_sample_median_ns = *std::min_element(l.medians.begin(), l.medians.end());
    s.max_sample_median_ns = *std::max_element(l.medians.begin(), l.medians.end());
    if (l.run->is_events()) {
        s.group_p99_ns = percentile(l.events, 99);
        s.ops = l.events.size();
    } else {
        // The histogram holds group ticks: to nanoseconds per operation.
        const double ns_per_tick = l.ticks ? l.tick_wall_ns / static_cast<double>(l.ticks) : 0;
        s.group_p99_ns = l.hist.percentile(99) * ns_per_tick / l.k;
        s.ops = l.ops * static_cast<std::uint64_t>(threads);
    }
    if (!(s.median_of_medians_ns > 0)) {
        r.status = row_status::failed;
        r.note = "no time measured";
        return;
    }
    r.status = row_status::measured;
    // Threads share the CPUs: their rate is what they did together in the sample's time.
    r.ops_per_s = r.section == section::threads ? median(l.rates) : 1e9 / s.median_of_medians_ns;
    if (r.section == section::batch) {
        r.items_per_s = r.ops_per_s * static_cast<double>(r.param);
        r.items = "values";
    } else if (r.section == section::message) {
        r.items_per_s = r.ops_per_s * static_cast<double>(r.param);
        r.items = "bytes";
    }
    if (null_ioctl && null_ioctl->measured() && null_ioctl->stats.median_of_medians_ns > 0)
        r.ratio_to_null_ioctl = s.median_of_medians_ns / null_ioctl->stats.median_of_medians_ns;
}

/// Pins the calling thread to the first of `cpus` while it lives (cpu -1: could not).
struct pinning {
    cpu_set_t before{};
    int cpu = -1;
    explicit pinning(const std::vector<int>& cpus) {
        if (!cpus.empty() && ::sched_getaffinity(0, sizeof before, &before) == 0 &&
            detail::bench::pin_to(cpus.front()) == 0)
            cpu = cpus.front();
    }
    ~pinning() {
        if (cpu >= 0)
            (void)::sched_setaffinity(0, sizeof before, &before);
    }
    pinning(const pinning&) = delete;
    pinning& operator=(const pinning&) = delete;
};

/// What the device is and what the caller may do to it.
void inspect(context& ctx, environment& env) {
    env.device = ctx.entry.name();
    env.node = ctx.entry.node();
    const kctl::info i = ctx.admin.info();  // throws if nothing is readable
    if (i.has(info_field::version))
        env.driver_version = i.version();
    if (i.has(info_field::abi))
        env.abi = i.abi_version();
    env.msg_max = i.msg_max();
    try {
        ctx.saved_msg = ctx.admin.get_msg();
    } catch (const kctl::error&) {
    }
    for (const transport_kind k : concrete_transports) {
        if (ctx.saved_msg && ctx.entry.check(k, operation::set_msg) == 0 &&
            (k != transport_kind::sysfs || ctx.saved_msg->size() <= sysfs_msg_max))
            ctx.can_write_msg = true;
        if (ctx.entry.check(k, operation::add) == 0 && ctx.entry.check(k, operation::reset) == 0)
            ctx.can_write_acc = true;
    }
    env.can_write = ctx.can_write_msg && ctx.can_write_acc;
}

}  // namespace

report run(const options& in) {
    const std::uint64_t t_begin = mono_ns();
    const clock_choice clock = detail::bench::tick_init();
    report rep;
    rep.settings = in;
    rep.settings.on_progress = nullptr;
    options& o = rep.settings;
    o.samples = std::max(3U, o.samples);
    if (!(o.duration.count() >= 0))
        o.duration = std::chrono::seconds(0);
    detail::bench::detect_environment(rep.env);
    environment& env = rep.env;
    env.tick_reason = clock.reason;
    if (o.max_threads == 0)
        o.max_threads = std::max(2U, env.cpus);

    context ctx(find_device(o.device));
    ctx.cpus = detail::bench::allowed_cpus();
    inspect(ctx, env);
    if (ctx.can_write_acc) {  // a sum near the limit would make the add rows overflow
        ctx.admin.reset();
        ctx.changed_acc = true;
    }

    rep.rows = plan(o, env.msg_max, o.max_threads, static_cast<unsigned>(list_devices().size()));
    std::vector<live> rows(rep.rows.size());
    double total_weight = 0;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        live& l = rows[i];
        l.r = &rep.rows[i];
        try {
            l.run = detail::bench::make_runner(*l.r, ctx);
            const int err = l.run ? l.run->setup() : ENOSYS;
            if (err != 0) {
                l.r->status = row_status::skipped;
                l.r->note = l.run && !l.run->why_skipped().empty() ? l.run->why_skipped()
                                                                   : skip_note(err, *l.r);
                continue;
            }
        } catch (const kctl::error& e) {
            l.r->status = row_status::skipped;
            l.r->note = e.what();
            continue;
        }
        l.active = true;
        total_weight += l.r->weight;
    }

    // The measuring thread stays on one CPU (the first it may use; the wakeup rows' changer
    // runs there too): no migration in the middle of a sample, and every row sees the same
    // CPU's caches and frequency. Put back at the end.
    const pinning pin(ctx.cpus);
    env.measuring_cpu = pin.cpu;

    // The schedule.
    const double duration_ns = o.duration.count() * 1e9;
    const double min_ns = std::max(min_sample_ns, sample_clock_factor * env.clock_ns);
    double expected_ns = 0;
    for (live& l : rows) {
        if (!l.active)
            continue;
        const double share = l.r->weight / total_weight;
        // Threads start together only roughly: their samples must dwarf that.
        l.floor_ns = l.r->section == section::threads ? min_threads_sample_ns : min_ns;
        l.warm_ns = std::max(l.floor_ns, warm_share * duration_ns * share);
        l.sample_ns = std::max(l.floor_ns, measure_share * duration_ns * share / o.samples);
        expected_ns += l.warm_ns + l.sample_ns * o.samples;
    }
    progress p;
    p.rounds = o.samples;
    p.expected_s = expected_ns / 1e9 + static_cast<double>(mono_ns() - t_begin) / 1e9;
    auto tell = [&](unsigned round, std::size_t done, const row& r) {
        if (!in.on_progress)
            return;
        p.round = round;
        p.row = done;
        p.rows = rows.size();
        p.label = r.label;
        p.elapsed_s = static_cast<double>(mono_ns() - t_begin) / 1e9;
        in.on_progress(p);
    };

    try {
        for (std::size_t i = 0; i < rows.size(); ++i) {
            if (rows[i].active) {
                const std::uint64_t t0 = mono_ns();
                calibrate(rows[i], env.tick_ns);
                rows[i].r->time_s += static_cast<double>(mono_ns() - t0) / 1e9;
            }
            tell(0, i + 1, *rows[i].r);
        }
        // Pacing: a busy machine (a host running other guests) makes samples last longer than
        // calibrated. Before each round the samples are scaled to what is left of the
        // duration, and each row's operation count follows what its last sample cost.
        const std::uint64_t deadline = t_begin + static_cast<std::uint64_t>(duration_ns);
        for (unsigned round = 1; round <= o.samples; ++round) {
            double planned = 0;
            for (const live& l : rows)
                planned += l.active ? l.sample_ns : 0;
            const std::uint64_t now = mono_ns();
            const double left = deadline > now ? static_cast<double>(deadline - now) : 0;
            const double scale =
                planned > 0
                    ? std::clamp(left / (planned * (o.samples - round + 1)), min_pace, max_pace)
                    : 1;
            for (std::size_t i = 0; i < rows.size(); ++i) {
                live& l = rows[i];
                if (l.active) {
                    timing t;
                    const std::uint64_t groups =
                        l.groups_for(std::max(l.floor_ns, l.sample_ns * scale));
                    const std::uint64_t t0 = mono_ns();
                    const bool ok = step(l, groups, l.k, l.hist, t);
                    const std::uint64_t spent = mono_ns() - t0;
                    l.r->time_s += static_cast<double>(spent) / 1e9;
                    if (ok) {
                        l.cost_ns = static_cast<double>(spent) / static_cast<double>(t.ops);
                        l.medians.push_back(t.median_op_ns);
                        l.ticks += t.ticks;
                        l.tick_wall_ns += t.tick_wall_ns;
                        l.means.push_back(t.per_op_ns);
                        l.rates.push_back(
                            t.wall_ns > 0 ? static_cast<double>(t.ops) * 1e9 *
                                                static_cast<double>(threads_of(*l.r)) / t.wall_ns
                                          : 0);
                        l.ops += t.ops;
                        if (l.run->is_events())
                            l.events.insert(l.events.end(), l.run->events().begin(),
                                            l.run->events().end());
                    }
                }
                tell(round, i + 1, *l.r);
            }
        }
    } catch (...) {
        ctx.restore();
        throw;
    }
    ctx.restore();

    const row* null_ioctl = nullptr;
    for (live& l : rows) {
        if (l.r->floor == floor_kind::null_ioctl) {
            finish(l, nullptr);
            if (l.r->measured())
                l.r->ratio_to_null_ioctl = 1.0;
            null_ioctl = l.r;
        }
    }
    for (live& l : rows)
        if (l.r != null_ioctl)
            finish(l, null_ioctl);

    rep.targets = evaluate_targets(rep.rows);
    rep.elapsed_s = static_cast<double>(mono_ns() - t_begin) / 1e9;
    return rep;
}

}  // namespace kctl::bench
