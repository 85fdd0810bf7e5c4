// SPDX-License-Identifier: LGPL-2.1-or-later
// The workloads of kctl bench. Each operation is a small struct (op_base) whose operator()
// is inlined into the timed loop of run_groups(), so the loop adds no call of its own.
#include "bench_cases.hpp"

#include <fcntl.h>
#include <linux/kdemo.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <exception>
#include <span>
#include <thread>
#include <utility>
#include <vector>

#include "entry_data.hpp"
#include "fd.hpp"
#include "files.hpp"
#include "snapshot.hpp"
#include "text.hpp"
#include "transport.hpp"
#include "uring_ring.hpp"

namespace kctl::detail::bench {

namespace {

/// The null ioctl: a command number kdemo never assigns (docs/IOCTL.md), so ENOTTY.
constexpr unsigned long null_ioctl_cmd = _IO(KDEMO_IOC_MAGIC, 0xFF);

int open_fd(const std::string& path, int mode, unique_fd& fd) noexcept {
    const int f = ::open(path.c_str(), mode | O_CLOEXEC);
    if (f < 0)
        return errno;
    fd.reset(f);
    return 0;
}

/// The node, readable if the caller may, else writable (any descriptor takes ioctls).
int open_node(const context& ctx, unique_fd& fd) noexcept {
    const std::string& node = ctx.entry.node();
    if (node.empty())
        return ENODEV;
    const int err = open_fd(node, O_RDONLY, fd);
    return err == EACCES ? open_fd(node, O_WRONLY, fd) : err;
}

// --- floors and the raw ioctl loop ----------------------------------------------------

/// syscall(SYS_getppid): enters and leaves the kernel, reads one pointer under RCU.
struct null_syscall_op : op_base {
    int operator()() noexcept {
        (void)::syscall(SYS_getppid);
        return 0;
    }
};

struct node_op : op_base {
    explicit node_op(const context& c) : ctx(&c) {}
    int setup() { return open_node(*ctx, fd); }
    const context* ctx;
    unique_fd fd;
};

/// ioctl(fd, _IO(0xDE, 0xFF)): syscall entry, fd lookup, the LSM hook, do_vfs_ioctl's
/// generic commands, then kdemo's dispatcher refuses it.
struct null_ioctl_op : node_op {
    using node_op::node_op;
    int operator()() noexcept {
        if (::ioctl(fd.get(), null_ioctl_cmd) == 0)
            return EPROTO;
        return errno == ENOTTY ? 0 : errno;
    }
};

/// KDEMO_IOC_GET_SUM with a bare ioctl(), as a C program would: libkctl's overhead is the
/// difference to the ioctl sum row.
struct raw_sum_op : node_op {
    using node_op::node_op;
    int operator()() noexcept {
        if (::ioctl(fd.get(), KDEMO_IOC_GET_SUM, &s) != 0)
            return errno;
        return 0;
    }
    kdemo_sum s{};
};

/// The mmap'ed snapshot read inline, as a C program would: libkctl's overhead on mmap is the
/// difference to the mmap sum row.
struct raw_mmap_sum_op : op_base {
    explicit raw_mmap_sum_op(const context& c) : ctx(&c) {}
    raw_mmap_sum_op(raw_mmap_sum_op&& o) noexcept
        : ctx(o.ctx), page(std::exchange(o.page, nullptr)), sink(o.sink) {}
    raw_mmap_sum_op(const raw_mmap_sum_op&) = delete;
    ~raw_mmap_sum_op() {
        if (page)
            ::munmap(const_cast<kdemo_snapshot*>(page), 4096);
    }
    int setup() {
        if (ctx->entry.node().empty())
            return ENODEV;
        unique_fd fd;
        if (const int err = open_fd(ctx->entry.node(), O_RDONLY, fd); err != 0)
            return err;
        void* p = ::mmap(nullptr, 4096, PROT_READ, MAP_SHARED, fd.get(), 0);
        if (p == MAP_FAILED)
            return errno;
        page = static_cast<const kdemo_snapshot*>(p);
        return 0;
    }
    int operator()() noexcept {
        snapshot_values v;
        read_snapshot(*page, v);
        sink += v.generation;
        return 0;
    }
    const context* ctx;
    const kdemo_snapshot* page = nullptr;
    std::uint64_t sink = 0;
};

// --- libkctl ----------------------------------------------------------------------------

/// One operation through kctl::device with only one transport. `own`: open a device of its
/// own (one per thread), else share the context's.
template <operation Op>
struct lib_op : op_base {
    lib_op(context& c, transport_kind k, std::size_t sz, bool own = false)
        : ctx(&c), kind(k), size(sz), own_device(own) {}

    int setup() {
        if (const int err = ctx->entry.check(kind, Op); err != 0)
            return err;
        if constexpr (Op == operation::set_msg || Op == operation::get_msg) {
            // Rows that set the message (or set it up before reading it) only run if it can
            // be put back afterwards; size 0 reads the message as found.
            if (size != 0 && !ctx->can_write_msg)
                return EACCES;
            msg = pattern(size);
        }
        if constexpr (Op == operation::add) {
            for (std::size_t i = 0; i < size; ++i) {  // +1 -1 +1 ...: the sum stays small
                pos.push_back(i % 2 ? -1 : 1);
                neg.push_back(i % 2 ? 1 : -1);
            }
        }
        if (own_device) {
            mine = std::make_unique<kctl::device>(ctx->entry, open_options().set_transport(kind));
            dev = mine.get();
        } else {
            dev = &ctx->device(kind);
        }
        return 0;
    }

    void prepare() {
        if constexpr (Op == operation::get_msg) {
            if (size != 0)
                ctx->ensure_message(size);
        } else if constexpr (Op == operation::set_msg) {
            ctx->msg_size = size;  // what the sample leaves
            ctx->changed_msg = true;
        } else if constexpr (Op == operation::add || Op == operation::reset) {
            ctx->changed_acc = true;
        }
    }

    int operator()() {
        if constexpr (Op == operation::get_msg) {
            const std::string m = dev->get_msg();
            sink += m.size();
        } else if constexpr (Op == operation::set_msg) {
            dev->set_msg(msg);
        } else if constexpr (Op == operation::sum) {
            const sum_result s = dev->sum();
            sink += s.generation;
        } else if constexpr (Op == operation::add) {
            if (size == 1) {
                dev->add(flip ? std::int64_t{-1} : std::int64_t{1});
            } else {
                dev->add(std::span<const std::int64_t>(flip ? neg : pos));
            }
            flip = !flip;
        } else if constexpr (Op == operation::reset) {
            dev->reset();
        } else if constexpr (Op == operation::info) {
            const kctl::info i = dev->info();
            sink += i.generation();
        }
        return 0;
    }

    context* ctx;
    transport_kind kind;
    std::size_t size;  // message bytes (get-msg, set-msg; 0: as found), values (add)
    bool own_device;
    std::unique_ptr<kctl::device> mine;
    kctl::device* dev = nullptr;
    std::string msg;
    std::vector<std::int64_t> pos, neg;
    bool flip = false;
    std::uint64_t sink = 0;
};

// --- submissions --------------------------------------------------------------------------

/// The timing of the submission rows: `groups` groups of at least `k` commands, each group
/// ceil(k / n) calls of `run` (which runs n commands and returns 0 or an errno), timed per
/// command; the median of the groups sees every submission.
template <typename Run>
timing sample_submits(std::uint64_t groups, std::uint32_t k, std::size_t n, histogram& h,
                      std::vector<std::uint64_t>& scratch, int& err, Run&& run) {
    const std::uint64_t runs = (k + n - 1) / n;  // per group
    const std::uint64_t per_group = runs * n;    // commands per group
    scratch.resize(groups);
    int e = 0;
    const std::uint64_t t0 = mono_ns();
    const std::uint64_t c0 = ticks();
    std::uint64_t c = c0;
    for (std::uint64_t g = 0; g < groups; ++g) {
        for (std::uint64_t i = 0; i < runs; ++i)
            if (const int r = run(); r != 0) [[unlikely]]
                e = r;
        const std::uint64_t c1 = ticks();
        scratch[g] = c1 - c;
        c = c1;
    }
    const std::uint64_t t1 = mono_ns();
    err = e;
    timing t;
    t.start_ns = t0;
    t.end_ns = t1;
    t.wall_ns = static_cast<double>(t1 - t0);
    t.loop_ns = t.wall_ns;
    t.ops = groups * per_group;
    t.per_op_ns = t.wall_ns / static_cast<double>(t.ops);
    t.ticks = c - c0;
    t.tick_wall_ns = t.wall_ns;
    // The engine reads the histogram as ticks per group of k: scale to that.
    for (std::uint64_t g = 0; g < groups; ++g)
        h.add(scratch[g] * k / per_group);
    const auto mid = scratch.begin() + static_cast<std::ptrdiff_t>(groups / 2);
    std::nth_element(scratch.begin(), mid, scratch.end());
    const double ns_per_tick = t.ticks ? t.wall_ns / static_cast<double>(t.ticks) : 0;
    t.median_op_ns = static_cast<double>(*mid) * ns_per_tick / static_cast<double>(per_group);
    return t;
}

/// The floors of kctl::batch: `n` SQEs per submission on a ring set up as kctl::batch sets
/// its own (and its registered file), without libkctl: IORING_OP_NOP (io_uring's own cost
/// per command), or IORING_OP_URING_CMD with a cmd_op kdemo does not know (ENOTTY: the
/// driver's dispatch; the io_uring analogue of the null ioctl).
class raw_submit_runner final : public runner {
  public:
    raw_submit_runner(context& c, bool nop, std::size_t count)
        : ctx_(&c), nop_(nop), n_(std::max<std::size_t>(1, count)) {}

    int setup() override {
        if (!nop_)
            if (const int err = open_node(*ctx_, fd_); err != 0)
                return err;
        if (const int err = ring_.open(static_cast<unsigned>(n_)); err != 0)
            return err;
        slot_ = nop_ ? -1 : ring_.register_file(fd_.get());  // as kctl::batch does
        return run();
    }

    timing sample(std::uint64_t groups, std::uint32_t k, histogram& h) override {
        return sample_submits(groups, k, n_, h, scratch_, err_, [this] { return run(); });
    }

  private:
    int run() noexcept {
        for (std::size_t i = 0; i < n_; ++i) {
            if (nop_)
                ring_.push_nop(i);
            else
                ring_.push(slot_ >= 0 ? slot_ : fd_.get(), static_cast<unsigned>(null_ioctl_cmd), 0,
                           i, slot_ >= 0);
        }
        if (const int err = ring_.submit_and_wait(static_cast<unsigned>(n_)); err != 0)
            return err;
        const int want = nop_ ? 0 : -ENOTTY;
        int e = 0;
        ring_.reap([&](std::uint64_t, int res) {
            if (res != want) [[unlikely]]
                e = res < 0 ? -res : EIO;
        });
        return e;
    }

    context* ctx_;
    bool nop_;
    std::size_t n_;
    unique_fd fd_;
    uring_ring ring_;  // after fd_: torn down first
    int slot_ = -1;
    std::vector<std::uint64_t> scratch_;
};

/// kctl::batch of `n` commands (sum, or add of +1 and -1 in turn), run again and again: the
/// batch runs through `kind` (uring, or ioctl one by one for comparison). Timed per command:
/// each group of `k` commands the engine asks for is ceil(k / n) whole runs of the batch, so
/// the median of the groups sees every submission, and the times are divided by the
/// commands the group really ran.
template <operation Op>
class submit_runner final : public runner {
  public:
    submit_runner(context& c, transport_kind k, std::size_t count, unsigned sqpoll)
        : ctx_(&c), kind_(k), n_(std::max<std::size_t>(1, count)), sqpoll_ms_(sqpoll) {}

    int setup() override {
        if (const int err = ctx_->entry.check(kind_, Op); err != 0)
            return err;
        if (Op == operation::add && !ctx_->can_write_acc)
            return EACCES;
        kctl::batch_options o;
        o.set_transport(kind_)
            .set_fallback(kind_)
            .set_sqpoll_idle_ms(sqpoll_ms_)
            .set_depth(static_cast<unsigned>(n_));
        b_ = std::make_unique<kctl::batch>(std::move(o));
        for (std::size_t i = 0; i < n_; ++i) {
            if constexpr (Op == operation::add)
                b_->add(ctx_->entry, i % 2 ? std::int64_t{-1} : std::int64_t{1});
            else
                b_->sum(ctx_->entry);
        }
        if (Op == operation::add)
            ctx_->changed_acc = true;
        const auto& r = b_->run();  // io_uring usable here? a fallback would measure another thing
        if (b_->failed())
            return r[0].error ? r[0].error : EIO;
        return b_->transport() == kind_ ? 0 : EOPNOTSUPP;
    }

    void prepare() override {
        if constexpr (Op == operation::add)
            ctx_->changed_acc = true;
    }

    timing sample(std::uint64_t groups, std::uint32_t k, histogram& h) override {
        return sample_submits(groups, k, n_, h, scratch_, err_, [this] {
            int e = 0;
            for (const kctl::batch_result& r : b_->run())
                if (r.error != 0) [[unlikely]]
                    e = r.error;
            return e;
        });
    }

  private:
    context* ctx_;
    transport_kind kind_;
    std::size_t n_;
    unsigned sqpoll_ms_;
    std::unique_ptr<kctl::batch> b_;
    std::vector<std::uint64_t> scratch_;
};

// --- files ------------------------------------------------------------------------------

struct file_op : op_base {
    file_op(context& c, std::string p, bool message) : ctx(&c), path(std::move(p)), msg(message) {}
    void prepare() {
        if (msg && ctx->can_write_msg)
            ctx->ensure_message(standard_msg_size);
    }
    context* ctx;
    std::string path;
    bool msg;
    char buf[4096];
};

/// pread() at offset 0 of a descriptor kept open: the file is generated anew each time.
struct kept_open_op : file_op {
    using file_op::file_op;
    int setup() { return open_fd(path, O_RDONLY, fd); }
    int operator()() noexcept {
        const ssize_t n = ::pread(fd.get(), buf, sizeof buf, 0);
        return n > 0 ? 0 : (n < 0 ? errno : EIO);
    }
    unique_fd fd;
};

/// open(), read(), close(): what `cat` and the old examples do for every value.
struct open_read_close_op : file_op {
    using file_op::file_op;
    int setup() {
        unique_fd fd;
        return open_fd(path, O_RDONLY, fd);
    }
    int operator()() noexcept {
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return errno;
        const ssize_t n = ::read(fd, buf, sizeof buf);
        const int err = n > 0 ? 0 : (n < 0 ? errno : EIO);
        ::close(fd);
        return err;
    }
};

// --- threads ----------------------------------------------------------------------------

/// The same operation on n threads at once, each with a device of its own; thread i runs
/// on the i-th of the run's CPUs (round robin if there are more threads than CPUs).
template <typename Op>
class threads_runner final : public runner {
  public:
    threads_runner(std::vector<Op> ops, std::vector<int> cpus)
        : ops_(std::move(ops)), cpus_(std::move(cpus)) {}

    int setup() override {
        for (Op& op : ops_)
            if (const int err = op.setup(); err != 0)
                return err;
        scratch_.resize(ops_.size());
        return 0;
    }

    void prepare() override {
        for (Op& op : ops_)
            op.prepare();
    }

    timing sample(std::uint64_t groups, std::uint32_t k, histogram& h) override {
        const std::size_t n = ops_.size();
        std::vector<histogram> hists(n);
        std::vector<timing> results(n);
        std::vector<int> errs(n);
        std::vector<std::exception_ptr> failed(n);
        std::barrier sync(static_cast<std::ptrdiff_t>(n));
        std::vector<std::thread> threads;
        threads.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
            threads.emplace_back([&, i] {
                if (!cpus_.empty())
                    (void)pin_to(cpus_[i % cpus_.size()]);
                sync.arrive_and_wait();  // start together
                try {
                    results[i] = run_groups(ops_[i], groups, k, hists[i], scratch_[i], errs[i]);
                } catch (...) {
                    failed[i] = std::current_exception();
                }
            });
        }
        for (std::thread& t : threads)
            t.join();
        err_ = 0;
        for (std::size_t i = 0; i < n; ++i) {
            if (failed[i])
                std::rethrow_exception(failed[i]);
            if (errs[i] != 0)
                err_ = errs[i];
            h.merge(hists[i]);
        }
        timing t;
        t.start_ns = UINT64_MAX;
        t.ops = groups * k;
        std::vector<double> medians;
        for (const timing& r : results) {
            t.start_ns = std::min(t.start_ns, r.start_ns);
            t.end_ns = std::max(t.end_ns, r.end_ns);
            t.loop_ns += r.wall_ns / static_cast<double>(n);
            t.ticks += r.ticks;
            t.tick_wall_ns += r.tick_wall_ns;
            medians.push_back(r.median_op_ns);
        }
        t.wall_ns = static_cast<double>(t.end_ns - t.start_ns);
        t.per_op_ns = t.loop_ns / static_cast<double>(t.ops);
        t.median_op_ns = median_in_place(medians);
        return t;
    }

  private:
    std::vector<Op> ops_;
    std::vector<int> cpus_;
    std::vector<std::vector<std::uint64_t>> scratch_;
};

template <typename Op, typename Make>
std::unique_ptr<runner> make_threads(std::size_t n, const std::vector<int>& cpus, Make make) {
    std::vector<Op> ops;
    for (std::size_t i = 0; i < n; ++i)
        ops.push_back(make());
    return std::make_unique<threads_runner<Op>>(std::move(ops), cpus);
}

// --- wake-up latency ----------------------------------------------------------------------

/// The state letter of a thread of this process ('S': sleeping), from /proc; 0 if unknown.
char thread_state(pid_t tid) {
    char path[64];
    auto [end, ec] = std::to_chars(path, path + 40, tid);
    (void)ec;
    const std::string p = "/proc/self/task/" + std::string(path, end) + "/stat";
    const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    char buf[512];
    const ssize_t n = ::read(fd, buf, sizeof buf - 1);
    ::close(fd);
    if (n <= 0)
        return 0;
    const std::string_view s(buf, static_cast<std::size_t>(n));
    const std::size_t paren = s.rfind(") ");
    return paren == std::string_view::npos || paren + 2 >= s.size() ? 0 : s[paren + 2];
}

/// Changes of the wake-up rows are this far apart.
constexpr std::uint64_t event_spacing_ns = 2000000;

/// One thread sleeps in poll() on the node (or on the sysfs `generation` attribute, or on a
/// netlink socket subscribed to the monitor group); once it
/// sleeps, another changes the device with KDEMO_IOC_ADD, at least 2 ms after the last
/// change. Each event is the time from just before that ioctl to just after poll() returns,
/// both read with CLOCK_MONOTONIC.
class wakeup_runner final : public runner {
  public:
    wakeup_runner(context& c, transport_kind k, bool same_cpu)
        : ctx_(&c), kind_(k), same_cpu_(same_cpu) {}

    bool is_events() const noexcept override { return true; }
    std::string why_skipped() const override { return why_; }

    int setup() override {
        if (ctx_->entry.node().empty())
            return ENODEV;
        // The changer runs on the first CPU this thread may use, the waiter on the same
        // one or on the next.
        cpu_set_t allowed;
        CPU_ZERO(&allowed);
        if (::sched_getaffinity(0, sizeof allowed, &allowed) != 0)
            return errno;
        int found = 0;
        for (int cpu = 0; cpu < CPU_SETSIZE && found < 2; ++cpu) {
            if (CPU_ISSET(cpu, &allowed))
                (found++ == 0 ? changer_cpu_ : waiter_cpu_) = cpu;
        }
        if (same_cpu_)
            waiter_cpu_ = changer_cpu_;
        else if (found < 2) {
            why_ = "needs two CPUs";
            return ENXIO;
        }
        if (const int err = ctx_->entry.check(transport_kind::ioctl, operation::add); err != 0)
            return err;
        if (const int err = ctx_->entry.check(kind_, operation::watch); err != 0)
            return err;
        if (const int err = open_fd(ctx_->entry.node(), O_RDWR, changer_); err != 0)
            return err;
        if (kind_ == transport_kind::netlink) {
            // Subscribed only while this row samples (sample()): a listener makes every
            // change of every other row send an event, and would overflow meanwhile.
            monitor_ = make_netlink_transport(ctx_->entry.minor_number());
            return 0;
        }
        if (kind_ == transport_kind::ioctl)
            return open_fd(ctx_->entry.node(), O_RDONLY, waiter_);
        return open_fd(ctx_->entry.syspath() + "/" + sysfs_file::generation, O_RDONLY, waiter_);
    }

    void prepare() override { ctx_->changed_acc = true; }

    timing sample(std::uint64_t groups, std::uint32_t /*k*/, histogram& h) override {
        events_.clear();
        err_ = 0;
        std::atomic<std::uint64_t> armed{0};  // event number the waiter is about to wait for
        std::atomic<std::uint64_t> woke{0};   // CLOCK_MONOTONIC after poll() returned
        std::atomic<pid_t> tid{0};
        std::atomic<int> waiter_err{0};
        const short events = kind_ == transport_kind::ioctl     ? POLLIN | POLLPRI
                             : kind_ == transport_kind::netlink ? POLLIN
                                                                : POLLPRI;
        monitor_watch_.reset();
        if (monitor_) {
            if (const int err = monitor_->watch(monitor_watch_); err != 0) {
                err_ = err;
                return {};
            }
        }
        // the listener leaves with the sample
        const struct unsubscribe {
            std::unique_ptr<watch_source>& w;
            ~unsubscribe() { w.reset(); }
        } leave{monitor_watch_};
        const int waiter_fd = monitor_watch_ ? monitor_watch_->fd() : waiter_.get();

        cpu_set_t before;
        CPU_ZERO(&before);
        const bool pinned =
            ::sched_getaffinity(0, sizeof before, &before) == 0 && pin(changer_cpu_) == 0;
        const std::uint64_t t_start = mono_ns();
        std::thread waiter([&] {
            (void)pin(waiter_cpu_);
            tid.store(static_cast<pid_t>(::syscall(SYS_gettid)));
            for (std::uint64_t e = 1; e <= groups; ++e) {
                std::uint64_t g0 = 0, g = 0;
                if (const int err = rearm(g0); err != 0) {
                    waiter_err.store(err);
                    armed.store(UINT64_MAX);
                    armed.notify_one();
                    return;
                }
                armed.store(e);
                armed.notify_one();
                int n;
                std::uint64_t t1;
                // A wake-up that brings no new generation is a late notification of an
                // earlier change (sysfs notifies from a work item): the read re-armed the
                // poll, so wait again.
                do {
                    pollfd p{waiter_fd, events, 0};
                    n = ::poll(&p, 1, 10000);
                    t1 = mono_ns();
                } while (n == 1 && rearm(g) == 0 && g == g0);
                if (n != 1)
                    waiter_err.store(n == 0 ? ETIMEDOUT : errno);
                woke.store(t1);
                woke.notify_one();
                if (n != 1)
                    return;
            }
        });

        std::int64_t value = 1;
        std::uint64_t last_change = 0;
        for (std::uint64_t e = 1; e <= groups && waiter_err.load() == 0; ++e) {
            for (std::uint64_t a; (a = armed.load()) != e && a != UINT64_MAX;)
                armed.wait(a);
            if (waiter_err.load() != 0)
                break;
            // An isolated change: the work the last one started (kernfs' fsnotify kworker,
            // the waiter's re-arming read) is over, so the event measures one wake-up.
            if (const std::uint64_t now = mono_ns(); now < last_change + event_spacing_ns)
                std::this_thread::sleep_for(
                    std::chrono::nanoseconds(last_change + event_spacing_ns - now));
            // Until the waiter really sleeps in poll() (it only sleeps there after arming).
            const std::uint64_t give_up = mono_ns() + 5000000000ULL;
            while (thread_state(tid.load()) != 'S' && mono_ns() < give_up)
                std::this_thread::yield();
            const std::uint64_t t0 = mono_ns();
            last_change = t0;
            if (::ioctl(changer_.get(), KDEMO_IOC_ADD, &value) != 0) {
                err_ = errno;
                break;
            }
            value = -value;
            for (std::uint64_t w; (w = woke.load()) == 0;)
                woke.wait(w);
            const std::uint64_t t1 = woke.exchange(0);
            const double ns = static_cast<double>(t1 - t0);
            events_.push_back(ns);
            h.add(t1 - t0);
        }
        if (err_ != 0) {  // wake the waiter up so that it can finish
            waiter_err.store(err_);
            (void)::ioctl(changer_.get(), KDEMO_IOC_ADD, &value);
        }
        waiter.join();
        if (pinned)
            (void)::sched_setaffinity(0, sizeof before, &before);
        if (err_ == 0)
            err_ = waiter_err.load();
        timing t;
        t.wall_ns = static_cast<double>(mono_ns() - t_start);
        t.loop_ns = t.wall_ns;
        t.ops = events_.empty() ? 1 : events_.size();
        double total = 0;
        for (double ns : events_)
            total += ns;
        t.per_op_ns = events_.empty() ? t.wall_ns : total / static_cast<double>(events_.size());
        std::vector<double> copy = events_;
        t.median_op_ns = events_.empty() ? t.wall_ns : median_in_place(copy);
        return t;
    }

  private:
    /// Runs the calling thread on `cpu` only.
    static int pin(int cpu) noexcept {
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(cpu, &one);
        return ::sched_setaffinity(0, sizeof one, &one) == 0 ? 0 : errno;
    }

    /// Reads what re-arms poll(), the sum (node) or the attribute itself (sysfs), and
    /// with it the generation.
    int rearm(std::uint64_t& generation) noexcept {
        if (monitor_watch_)  // drains the events that arrived: the newest one's generation
            return monitor_watch_->rearm(generation);
        if (kind_ == transport_kind::ioctl) {
            kdemo_sum s{};
            if (::ioctl(waiter_.get(), KDEMO_IOC_GET_SUM, &s) != 0)
                return errno;
            generation = s.generation;
            return 0;
        }
        char buf[32];
        const ssize_t n = ::pread(waiter_.get(), buf, sizeof buf, 0);
        if (n <= 0)
            return n < 0 ? errno : EIO;
        return parse_u64_reply({buf, static_cast<std::size_t>(n)}, generation);
    }

    context* ctx_;
    transport_kind kind_;
    bool same_cpu_;
    int changer_cpu_ = 0;
    int waiter_cpu_ = 0;
    std::string why_;
    unique_fd changer_;
    unique_fd waiter_;
    std::unique_ptr<transport> monitor_;  // netlink: the monitor group's socket
    std::unique_ptr<watch_source> monitor_watch_;
};

// --- the factory ------------------------------------------------------------------------

template <template <operation> class T, typename... Args>
std::unique_ptr<runner> lib_runner(operation op, Args&&... args) {
    switch (op) {
        case operation::get_msg:
            return make_loop(T<operation::get_msg>(std::forward<Args>(args)...));
        case operation::set_msg:
            return make_loop(T<operation::set_msg>(std::forward<Args>(args)...));
        case operation::add:
            return make_loop(T<operation::add>(std::forward<Args>(args)...));
        case operation::sum:
            return make_loop(T<operation::sum>(std::forward<Args>(args)...));
        case operation::reset:
            return make_loop(T<operation::reset>(std::forward<Args>(args)...));
        case operation::info:
            return make_loop(T<operation::info>(std::forward<Args>(args)...));
        case operation::watch:
            break;
    }
    return nullptr;
}

}  // namespace

std::string pattern(std::size_t n) {
    std::string s(n, 'a');
    for (std::size_t i = 0; i < n; ++i)
        s[i] = static_cast<char>('a' + i % 26);
    return s;
}

context::context(kctl::device_entry e) : entry(std::move(e)), admin(entry) {}

kctl::device& context::device(transport_kind kind) {
    auto& d = devices_.at(static_cast<std::size_t>(kind));
    if (!d)
        d = std::make_unique<kctl::device>(entry, open_options().set_transport(kind));
    return *d;
}

void context::ensure_message(std::size_t size) {
    if (msg_size == size)
        return;
    admin.set_msg(pattern(size));
    msg_size = size;
    changed_msg = true;
}

void context::restore() noexcept {
    try {
        if (changed_msg && saved_msg)
            admin.set_msg(*saved_msg);
    } catch (const std::exception&) {  // best effort: the run's results stand
    }
    try {
        if (changed_acc && can_write_acc)
            admin.reset();
    } catch (const std::exception&) {
    }
}

std::unique_ptr<runner> make_runner(const kctl::bench::row& r, context& ctx) {
    using kctl::bench::floor_kind;
    using kctl::bench::section;
    using kctl::bench::variant;
    const transport_kind kind = r.transport;
    const operation op = r.op;
    switch (r.floor) {
        case floor_kind::null_syscall:
            return make_loop(null_syscall_op{});
        case floor_kind::null_ioctl:
            return make_loop(null_ioctl_op(ctx));
        case floor_kind::uring_nop:
        case floor_kind::uring_null:
            return std::make_unique<raw_submit_runner>(ctx, r.floor == floor_kind::uring_nop,
                                                       static_cast<std::size_t>(r.param));
        case floor_kind::netlink_null:
            return make_netlink_runner(r);
        case floor_kind::none:
            break;
    }
    switch (r.section) {
        case section::floor:
            break;
        case section::operation:
            if (r.variant == variant::dump || r.variant == variant::get_each)
                return make_netlink_runner(r);
            if (r.variant == variant::raw && op == operation::sum && kind == transport_kind::mmap)
                return make_loop(raw_mmap_sum_op(ctx));
            if (r.variant == variant::raw && op == operation::sum)
                return make_loop(raw_sum_op(ctx));
            if (op == operation::add)
                return lib_runner<lib_op>(op, ctx, kind, std::size_t{1});
            // Without the right to change the message, get-msg reads it as found.
            return lib_runner<lib_op>(
                op, ctx, kind,
                op == operation::get_msg && !ctx.can_write_msg ? 0 : standard_msg_size);
        case section::file: {
            const std::string dir =
                kind == transport_kind::sysfs ? ctx.entry.syspath() : ctx.entry.procdir();
            const bool msg = op == operation::get_msg;
            const std::string file = msg ? "message" : std::string(to_string(op));
            if (r.variant == variant::kept_open)
                return make_loop(kept_open_op(ctx, dir + "/" + file, msg));
            return make_loop(open_read_close_op(ctx, dir + "/" + file, msg));
        }
        case section::batch:
            return make_loop(lib_op<operation::add>(ctx, kind, r.param));
        case section::message:
            return lib_runner<lib_op>(op, ctx, kind, static_cast<std::size_t>(r.param));
        case section::threads:
            if (op == operation::sum)
                return make_threads<lib_op<operation::sum>>(
                    r.param, ctx.cpus, [&] { return lib_op<operation::sum>(ctx, kind, 0, true); });
            if (op == operation::add)
                return make_threads<lib_op<operation::add>>(
                    r.param, ctx.cpus, [&] { return lib_op<operation::add>(ctx, kind, 1, true); });
            break;
        case section::wakeup:
            return std::make_unique<wakeup_runner>(ctx, kind, r.variant == variant::same_cpu);
        case section::submit: {
            const unsigned sqpoll = r.variant == variant::sqpoll ? 1000 : 0;
            const std::size_t n = static_cast<std::size_t>(r.param);
            if (op == operation::sum)
                return std::make_unique<submit_runner<operation::sum>>(ctx, kind, n, sqpoll);
            if (op == operation::add)
                return std::make_unique<submit_runner<operation::add>>(ctx, kind, n, sqpoll);
            break;
        }
    }
    return nullptr;
}

}  // namespace kctl::detail::bench
