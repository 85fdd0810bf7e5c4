// SPDX-License-Identifier: LGPL-2.1-or-later
// An io_uring instance for kdemo's passthrough commands (IORING_OP_URING_CMD with the ioctl
// numbers as cmd_op, struct kdemo_uring_cmd in the SQE; docs/URING.md). Owned by one object:
// io_uring_queue_exit() in the destructor. Shared by the uring transport (one command per
// call) and kctl::batch (many per submission).
#ifndef KCTL_SRC_URING_RING_HPP
#define KCTL_SRC_URING_RING_HPP

#include <liburing.h>
#include <linux/kdemo.h>

#include <cerrno>
#include <cstdint>

namespace kctl::detail {

class uring_ring {
  public:
    uring_ring() noexcept = default;
    ~uring_ring() { close(); }
    uring_ring(const uring_ring&) = delete;
    uring_ring& operator=(const uring_ring&) = delete;

    /// Sets the ring up with room for `entries` commands in flight; `sqpoll_idle_ms` > 0 asks
    /// for a kernel submission thread (IORING_SETUP_SQPOLL) that sleeps after that long idle.
    /// Returns 0 or why io_uring is unusable here: ENOSYS (no io_uring, or a seccomp filter),
    /// EPERM (kernel.io_uring_disabled, a seccomp filter, an LSM), EOPNOTSUPP (the kernel has
    /// no IORING_OP_URING_CMD), ENOMEM, EINVAL.
    int open(unsigned entries, unsigned sqpoll_idle_ms = 0) noexcept;
    void close() noexcept;
    explicit operator bool() const noexcept { return open_; }
    unsigned entries() const noexcept { return entries_; }
    bool sqpoll() const noexcept { return sqpoll_; }

    /// Registers `fd` with the ring (a sparse table of `files_max` slots, set up on first
    /// use): its slot, for push() with a fixed file, or -1 if the ring takes no more (the
    /// caller then passes the descriptor). A registered file saves each command the lookup
    /// of the descriptor and its reference count (fget/fput); the ring holds the file until
    /// it is torn down.
    int register_file(int fd) noexcept;

    /// Queues one command on `fd`, or on registered slot `fd` if `fixed`; false if the
    /// submission queue is full (submit first).
    bool push(int fd, unsigned cmd_op, std::uint64_t arg, std::uint64_t user_data,
              bool fixed = false) noexcept {
        io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
        if (!sqe) [[unlikely]]
            return false;
        io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fd, nullptr, 0, 0);
        if (fixed)
            sqe->flags |= IOSQE_FIXED_FILE;
        sqe->cmd_op = cmd_op;
        sqe->user_data = user_data;
        auto* c = reinterpret_cast<kdemo_uring_cmd*>(sqe->cmd);
        c->arg = arg;
        c->reserved = 0;
        return true;
    }

    /// Queues an IORING_OP_NOP (the benchmark's floor); false if the submission queue is full.
    bool push_nop(std::uint64_t user_data) noexcept {
        io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
        if (!sqe) [[unlikely]]
            return false;
        io_uring_prep_nop(sqe);
        sqe->user_data = user_data;
        return true;
    }

    /// Submits what was queued and waits until `wait_nr` completions are ready. 0 or errno.
    int submit_and_wait(unsigned wait_nr) noexcept {
        int r;
        do
            r = io_uring_submit_and_wait(&ring_, wait_nr);
        while (r == -EINTR);
        return r < 0 ? -r : 0;
    }

    /// Calls fn(user_data, res) for each ready completion and consumes them; returns how many.
    template <typename Fn>
    unsigned reap(Fn&& fn) noexcept {
        unsigned head;
        unsigned n = 0;
        io_uring_cqe* cqe;
        io_uring_for_each_cqe(&ring_, head, cqe) {
            fn(cqe->user_data, cqe->res);
            ++n;
        }
        io_uring_cq_advance(&ring_, n);
        return n;
    }

    /// One command, submitted and waited for: the completion's res (>= 0) or -errno.
    int run_one(int fd, unsigned cmd_op, std::uint64_t arg) noexcept;

  private:
    io_uring ring_{};
    bool open_ = false;
    bool sqpoll_ = false;
    unsigned entries_ = 0;
    int files_ = -1;  // slots used; -1: no table yet, -2: registration unusable
    static constexpr int files_max = 64;
};

/// Whether `err` from uring_ring::open() or from a command means "io_uring passthrough is
/// unusable here" (so the same operations may go through another transport).
bool uring_unusable(int err) noexcept;

}  // namespace kctl::detail

#endif
