// SPDX-License-Identifier: LGPL-2.1-or-later
// kctl::batch: operations queued, then submitted to one io_uring at once (as many as the
// ring holds per submission), each completing on its own. Falls back to running them one by
// one through a kctl::device when io_uring passthrough is unusable here (ethtool's rule:
// only on "unsupported", saying why; every other error is the operation's answer).
#include <fcntl.h>
#include <linux/kdemo.h>

#include <algorithm>
#include <memory>
#include <optional>

#include <kctl/kctl.hpp>

#include "chooser.hpp"
#include "entry_data.hpp"
#include "fd.hpp"
#include "info_data.hpp"
#include "make.hpp"
#include "options.hpp"
#include "transport.hpp"
#include "uring_ring.hpp"

namespace kctl::detail {

namespace {

std::uint64_t ptr(const void* p) noexcept {
    return reinterpret_cast<std::uintptr_t>(p);
}

/// One queued operation and the kernel structures its command points at; their addresses
/// must not move while the command is in flight (ops_ is not resized during run()).
struct op_rec {
    operation op;
    std::size_t dev;
    std::vector<std::int64_t> values;  // add
    std::string message;               // set-msg
    std::size_t capacity = 4096;       // get-msg buffer
    std::unique_ptr<char[]> buf;
    kdemo_sum ksum{};
    kdemo_msg kmsg{};
    kdemo_batch kbatch{};
    std::unique_ptr<kdemo_info> kinfo;
};

/// What the commands of the current submission do to a device (see batch_impl::conflicts).
enum class use : unsigned char { none, read, add, write };

struct dev_rec {
    device_entry entry;
    unique_fd fd;
    int open_err = -1;  // -1: not opened yet
    std::optional<device> fallback;
    use used = use::none;  // valid while phase == batch_impl::phase_
    unsigned long phase = 0;
    int slot = -1;  // the descriptor's slot in the ring's registered files, or -1
};

}  // namespace

class batch_impl {
  public:
    explicit batch_impl(const batch_options& o)
        : opts_{o.transport(), o.fallback(), o.sqpoll_idle_ms(), o.depth(), o.log()} {
        opts_.depth = std::clamp(opts_.depth, 1U, 4096U);
    }

    std::size_t queue(const device_entry& e, operation op) {
        std::size_t d = 0;
        while (d < devs_.size() && devs_[d].entry.name() != e.name())
            ++d;
        if (d == devs_.size())
            devs_.push_back(dev_rec{e, {}, -1, std::nullopt, use::none, 0, -1});
        ops_.push_back(op_rec{op, d, {}, {}, 4096, nullptr, {}, {}, {}, nullptr});
        return ops_.size() - 1;
    }
    op_rec& back() noexcept { return ops_.back(); }

    std::size_t size() const noexcept { return ops_.size(); }
    void clear() noexcept {
        ops_.clear();
        results_.clear();
    }
    const std::vector<batch_result>& results() const noexcept { return results_; }
    transport_kind used() const noexcept { return used_; }

    const std::vector<batch_result>& run() {
        results_.resize(ops_.size());
        for (std::size_t i = 0; i < ops_.size(); ++i) {
            batch_result& r = results_[i];
            r.op = ops_[i].op;
            r.error = 0;
            r.transport = transport_kind::automatic;
        }
        if (opts_.transport != transport_kind::uring) {
            used_ = opts_.transport;
            for (std::size_t i = 0; i < ops_.size(); ++i)
                run_fallback(i, opts_.transport);
            return results_;
        }
        if (!ring_ && ring_err_ == 0)
            ring_err_ = ring_.open(std::min<unsigned>(opts_.depth, next_pow2(ops_.size())),
                                   opts_.sqpoll_idle_ms);
        if (ring_err_ != 0) {
            if (!uring_unusable(ring_err_))
                throw error(ring_err_, "", "uring", "batch");
            say("batch: uring unusable (" + errno_name(ring_err_) + "), using " +
                std::string(to_string(opts_.fallback)));
            used_ = opts_.fallback;
            for (std::size_t i = 0; i < ops_.size(); ++i)
                run_fallback(i, opts_.fallback);
            return results_;
        }
        used_ = transport_kind::uring;
        run_uring();
        return results_;
    }

  private:
    static unsigned next_pow2(std::size_t n) noexcept {
        unsigned p = 1;
        while (p < n && p < 4096)
            p <<= 1;
        return p;
    }

    void say(const std::string& line) {
        if (opts_.log)
            opts_.log(line);
    }

    int open_dev(dev_rec& d) noexcept {
        if (d.open_err < 0) {
            const std::string& node = d.entry.node();
            const int f = node.empty() ? -1
                                       : ::open(node.c_str(),
                                                node_open_mode(d.entry.data().usable) | O_CLOEXEC);
            d.open_err = f < 0 ? (node.empty() ? ENOENT : errno) : 0;
            if (f >= 0) {
                d.fd.reset(f);
                d.slot = ring_.register_file(f);  // -1: the plain descriptor serves
            }
        }
        return d.open_err;
    }

    /// Whether op i must wait for the commands in flight: the kernel runs a submission's
    /// commands in SQE order only while none has to wait; one that finds another writer
    /// holding the device's lock is issued again from an io-wq worker, after later commands
    /// of the submission (docs/URING.md). So a submission holds, per device, either reads
    /// (sum, get-msg, info), or adds (which commute: the sum is the same in any order), or
    /// one other mutation (set-msg, reset); an operation that does not fit starts the next
    /// submission, and the order queued is kept. If it fits, marks the device as used by it.
    bool conflicts(std::size_t i) noexcept {
        dev_rec& d = devs_[ops_[i].dev];
        use u = use::write;
        switch (ops_[i].op) {
            case operation::sum:
            case operation::get_msg:
            case operation::info:
                u = use::read;
                break;
            case operation::add:
                u = use::add;
                break;
            default:
                break;
        }
        if (d.phase != phase_) {
            d.phase = phase_;
            d.used = use::none;
        }
        if (d.used != use::none && (d.used != u || u == use::write))
            return true;
        d.used = u;
        return false;
    }

    /// Fills the command for op i: false (and the result's error) if it cannot be sent.
    bool prepare(std::size_t i, unsigned& cmd, std::uint64_t& arg) {
        op_rec& o = ops_[i];
        switch (o.op) {
            case operation::sum:
                cmd = KDEMO_IOC_GET_SUM;
                arg = ptr(&o.ksum);
                return true;
            case operation::add:
                if (o.values.empty() || o.values.size() > batch_max) {
                    results_[i].error = o.values.empty() ? EINVAL : E2BIG;
                    return false;
                }
                if (o.values.size() == 1) {  // the value travels in the SQE
                    cmd = KDEMO_IOC_ADD;
                    arg = static_cast<std::uint64_t>(o.values[0]);
                    return true;
                }
                o.kbatch = {};
                o.kbatch.values = ptr(o.values.data());
                o.kbatch.count = static_cast<__u32>(o.values.size());
                cmd = KDEMO_IOC_ADD_BATCH;
                arg = ptr(&o.kbatch);
                return true;
            case operation::reset:
                cmd = KDEMO_IOC_RESET;
                arg = 0;
                return true;
            case operation::set_msg:
                if (o.message.size() > UINT32_MAX) {
                    results_[i].error = EMSGSIZE;
                    return false;
                }
                o.kmsg = {};
                o.kmsg.data = ptr(o.message.data());
                o.kmsg.len = static_cast<__u32>(o.message.size());
                cmd = KDEMO_IOC_SET_MSG;
                arg = ptr(&o.kmsg);
                return true;
            case operation::get_msg:
                if (!o.buf)
                    o.buf = std::make_unique_for_overwrite<char[]>(o.capacity);
                o.kmsg = {};
                o.kmsg.data = ptr(o.buf.get());
                o.kmsg.len = static_cast<__u32>(o.capacity);
                cmd = KDEMO_IOC_GET_MSG;
                arg = ptr(&o.kmsg);
                return true;
            case operation::info:
                if (!o.kinfo)
                    o.kinfo = std::make_unique<kdemo_info>();
                *o.kinfo = {};
                o.kinfo->size = sizeof(kdemo_info);
                cmd = KDEMO_IOC_GET_INFO;
                arg = ptr(o.kinfo.get());
                return true;
            case operation::watch:
                break;
        }
        results_[i].error = EOPNOTSUPP;
        return false;
    }

    /// Takes the completion of op i; true if it must be sent again (a message that grew).
    bool complete(std::size_t i, int res) {
        op_rec& o = ops_[i];
        batch_result& r = results_[i];
        r.transport = transport_kind::uring;
        r.error = res < 0 ? -res : 0;
        if (r.error == EOPNOTSUPP) {  // this node's module has no uring_cmd
            say("batch: " + devs_[o.dev].entry.name() +
                " via uring unsupported (EOPNOTSUPP), using " +
                std::string(to_string(opts_.fallback)));
            run_fallback(i, opts_.fallback);
            return false;
        }
        switch (o.op) {
            case operation::sum:
                if (!r.error)
                    r.sum = {o.ksum.sum, o.ksum.count, o.ksum.generation};
                break;
            case operation::get_msg:
                if (r.error == ERANGE && o.kmsg.len > o.capacity) {
                    o.capacity = o.kmsg.len;
                    o.buf.reset();
                    return true;
                }
                if (!r.error)
                    r.message.assign(o.buf.get(), o.kmsg.len);
                break;
            case operation::info:
                if (!r.error) {
                    auto data = std::make_shared<info_data>();
                    r.error = fill_info(*o.kinfo, *data);
                    r.info = make::info(std::move(data));
                }
                break;
            default:
                break;
        }
        return false;
    }

    void run_uring() {
        std::vector<std::size_t>& todo = todo_;  // kept between runs: no allocation per run
        std::vector<std::size_t>& again = again_;
        todo.clear();
        for (std::size_t i = 0; i < ops_.size(); ++i)
            todo.push_back(i);
        while (!todo.empty()) {
            again.clear();
            std::size_t next = 0;
            unsigned inflight = 0;
            while (next < todo.size() || inflight > 0) {
                if (inflight == 0)
                    ++phase_;  // a new submission
                while (next < todo.size() && inflight < ring_.entries()) {
                    const std::size_t i = todo[next];
                    unsigned cmd = 0;
                    std::uint64_t arg = 0;
                    dev_rec& d = devs_[ops_[i].dev];
                    if (conflicts(i))
                        break;  // runs after what is in flight
                    if (const int err = open_dev(d); err != 0) {
                        results_[i].error = err;
                        results_[i].transport = transport_kind::uring;
                    } else if (prepare(i, cmd, arg)) {
                        const bool fixed = d.slot >= 0;
                        if (!ring_.push(fixed ? d.slot : d.fd.get(), cmd, arg, i, fixed))
                            break;  // the submission queue is full: submit what it holds
                        ++inflight;
                    }
                    ++next;
                }
                if (inflight == 0)
                    continue;
                if (const int err = ring_.submit_and_wait(inflight); err != 0)
                    throw error(err, "", "uring", "batch");
                inflight -= ring_.reap([&](std::uint64_t i, int res) {
                    if (complete(static_cast<std::size_t>(i), res))
                        again.push_back(static_cast<std::size_t>(i));
                });
            }
            todo.swap(again);
        }
    }

    void run_fallback(std::size_t i, transport_kind kind) {
        op_rec& o = ops_[i];
        dev_rec& d = devs_[o.dev];
        batch_result& r = results_[i];
        try {
            if (!d.fallback)
                d.fallback.emplace(d.entry, open_options().set_transport(kind).set_log(opts_.log));
            device& dv = *d.fallback;
            switch (o.op) {
                case operation::sum:
                    r.sum = dv.sum();
                    break;
                case operation::add:
                    dv.add(std::span<const std::int64_t>(o.values));
                    break;
                case operation::reset:
                    dv.reset();
                    break;
                case operation::set_msg:
                    dv.set_msg(o.message);
                    break;
                case operation::get_msg:
                    r.message = dv.get_msg();
                    break;
                case operation::info:
                    r.info = dv.info();
                    break;
                case operation::watch:
                    r.error = EOPNOTSUPP;
                    return;
            }
            r.error = 0;
            r.transport = dv.last_transport(o.op);
        } catch (const kctl::error& e) {
            r.error = e.code().value();
            if (auto k = parse_transport(e.transport()))
                r.transport = *k;
        }
    }

    batch_settings opts_;
    std::vector<op_rec> ops_;
    std::vector<dev_rec> devs_;
    std::vector<batch_result> results_;
    std::vector<std::size_t> todo_, again_;
    unsigned long phase_ = 0;  // counts submissions (conflicts())
    uring_ring ring_;          // after devs_: torn down first, before the descriptors close
    int ring_err_ = 0;
    transport_kind used_ = transport_kind::automatic;
};

}  // namespace kctl::detail

namespace kctl {

batch::batch(const batch_options& options) : impl_(std::make_unique<detail::batch_impl>(options)) {}
batch::~batch() = default;
batch::batch(batch&& other) noexcept = default;
batch& batch::operator=(batch&& other) noexcept = default;

namespace {
detail::batch_impl& live(const std::unique_ptr<detail::batch_impl>& impl) {
    if (!impl) [[unlikely]]
        throw error(EBADF, "", "", "batch");
    return *impl;
}
}  // namespace

std::size_t batch::get_msg(const device_entry& device) {
    return live(impl_).queue(device, operation::get_msg);
}

std::size_t batch::set_msg(const device_entry& device, std::string_view message) {
    const std::size_t i = live(impl_).queue(device, operation::set_msg);
    impl_->back().message.assign(message);
    return i;
}

std::size_t batch::add(const device_entry& device, std::int64_t value) {
    return add(device, std::span<const std::int64_t>(&value, 1));
}

std::size_t batch::add(const device_entry& device, std::span<const std::int64_t> values) {
    const std::size_t i = live(impl_).queue(device, operation::add);
    impl_->back().values.assign(values.begin(), values.end());
    return i;
}

std::size_t batch::sum(const device_entry& device) {
    return live(impl_).queue(device, operation::sum);
}

std::size_t batch::reset(const device_entry& device) {
    return live(impl_).queue(device, operation::reset);
}

std::size_t batch::info(const device_entry& device) {
    return live(impl_).queue(device, operation::info);
}

std::size_t batch::size() const noexcept {
    return impl_ ? impl_->size() : 0;
}

void batch::clear() noexcept {
    if (impl_)
        impl_->clear();
}

const std::vector<batch_result>& batch::run() {
    return live(impl_).run();
}

const std::vector<batch_result>& batch::results() const noexcept {
    static const std::vector<batch_result> none;
    return impl_ ? impl_->results() : none;
}

transport_kind batch::transport() const noexcept {
    return impl_ ? impl_->used() : transport_kind::automatic;
}

std::size_t batch::failed() const noexcept {
    std::size_t n = 0;
    for (const batch_result& r : results())
        n += r.error != 0;
    return n;
}

}  // namespace kctl
