// SPDX-License-Identifier: LGPL-2.1-or-later
#include "uring_ring.hpp"

#include <cerrno>

namespace kctl::detail {

int uring_ring::open(unsigned entries, unsigned sqpoll_idle_ms) noexcept {
    close();
    io_uring_params p{};
    // Every SQE is submitted even if one fails early. No IORING_SETUP_SINGLE_ISSUER: a device
    // or batch is for one thread at a time, not for one thread (libkctl/README.md "Threads"),
    // and a single-issuer ring refuses with EEXIST a submission from any task but the one
    // that created it (another thread, or the child after fork()).
    p.flags = IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN;
    if (sqpoll_idle_ms > 0) {
        p.flags = IORING_SETUP_SUBMIT_ALL | IORING_SETUP_SQPOLL;
        p.sq_thread_idle = sqpoll_idle_ms;
    }
    int r = io_uring_queue_init_params(entries, &ring_, &p);
    if (r == -EINVAL && sqpoll_idle_ms == 0) {  // a kernel older than these flags (< 6.0)
        p = {};
        r = io_uring_queue_init_params(entries, &ring_, &p);
    }
    if (r < 0)
        return -r;
    open_ = true;
    sqpoll_ = sqpoll_idle_ms > 0;
    entries_ = ring_.sq.ring_entries;

    // The ring works; does the kernel know IORING_OP_URING_CMD (5.19+)?
    io_uring_probe* probe = io_uring_get_probe_ring(&ring_);
    const bool has_cmd = probe && io_uring_opcode_supported(probe, IORING_OP_URING_CMD);
    if (probe)
        io_uring_free_probe(probe);
    if (!has_cmd) {
        close();
        return EOPNOTSUPP;
    }
    return 0;
}

int uring_ring::register_file(int fd) noexcept {
    if (!open_ || files_ == -2 || files_ >= files_max)
        return -1;
    if (files_ == -1) {
        if (io_uring_register_files_sparse(&ring_, files_max) < 0) {
            files_ = -2;
            return -1;
        }
        files_ = 0;
    }
    if (io_uring_register_files_update(&ring_, static_cast<unsigned>(files_), &fd, 1) != 1)
        return -1;
    return files_++;
}

void uring_ring::close() noexcept {
    if (open_)
        io_uring_queue_exit(&ring_);
    open_ = false;
    files_ = -1;
    sqpoll_ = false;
    entries_ = 0;
}

int uring_ring::run_one(int fd, unsigned cmd_op, std::uint64_t arg) noexcept {
    if (!push(fd, cmd_op, arg, 0)) [[unlikely]]
        return -EBUSY;
    if (const int err = submit_and_wait(1); err != 0)
        return -err;
    int res = -EIO;
    while (reap([&res](std::uint64_t, int r) { res = r; }) == 0)
        if (const int err = submit_and_wait(1); err != 0)
            return -err;
    return res;
}

bool uring_unusable(int err) noexcept {
    return err == ENOSYS || err == EPERM || err == EOPNOTSUPP || err == EACCES;
}

}  // namespace kctl::detail
