// SPDX-License-Identifier: LGPL-2.1-or-later
// Part of libkctl. Include <kctl/kctl.hpp>, not this file.
#ifndef KCTL_BATCH_HPP
#define KCTL_BATCH_HPP

#ifndef KCTL_INSIDE_KCTL_HPP
#error "Only <kctl/kctl.hpp> can be included directly."
#endif

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kctl {

namespace detail {
class batch_impl;
struct batch_settings;
}  // namespace detail

/// The outcome of one operation of a batch.
struct batch_result {
    operation op = operation::sum;
    /// 0, or the errno of this operation alone (the others are not affected).
    int error = 0;
    /// The transport that ran it: uring, or the one the batch fell back to.
    transport_kind transport = transport_kind::automatic;
    sum_result sum;       ///< sum
    std::string message;  ///< get-msg
    kctl::info info;      ///< info
};

/// How a batch runs. An opaque settings object like open_options: a later version may add
/// settings without breaking the ABI. Each setter returns *this, for chaining.
class KCTL_API batch_options {
  public:
    batch_options();
    ~batch_options();
    batch_options(const batch_options& other);
    batch_options& operator=(const batch_options& other);
    batch_options(batch_options&& other) noexcept;
    batch_options& operator=(batch_options&& other) noexcept;

    /// uring (the default): every queued operation goes into one io_uring submission (as
    /// many as the ring holds at a time), one completion each. If io_uring is unusable here
    /// (no io_uring, kernel.io_uring_disabled, a seccomp filter, a module without
    /// uring_cmd), the operations run one by one through fallback() instead, and log() says
    /// why. Any other kind: one by one through that transport.
    batch_options& set_transport(transport_kind kind);
    transport_kind transport() const noexcept;
    /// Where a uring batch falls back to (automatic, the default: each operation's fastest
    /// transport).
    batch_options& set_fallback(transport_kind kind);
    transport_kind fallback() const noexcept;
    /// > 0: a kernel thread polls the submission queue (IORING_SETUP_SQPOLL) and sleeps
    /// after this many idle milliseconds; no system call while it is awake. Default 0.
    batch_options& set_sqpoll_idle_ms(unsigned ms);
    unsigned sqpoll_idle_ms() const noexcept;
    /// Commands in flight at once (the ring's size), 1..4096 (clamped); default 256.
    batch_options& set_depth(unsigned depth);
    unsigned depth() const noexcept;
    /// Receives one line per decision, e.g. "batch: uring unusable (EPERM), using auto".
    batch_options& set_log(std::function<void(std::string_view)> log);
    const std::function<void(std::string_view)>& log() const noexcept;

  private:
    std::unique_ptr<detail::batch_settings> d_;  // null only when moved from
};

/// Operations on one or more devices, collected and then run at once, each with its own
/// result. Operations are independent: one failing (ERANGE, EBADF, ...) changes nothing
/// for the others, and they run in the order queued. The queue is kept after run(), so a
/// batch can be run again (the benchmark does). Move-only; keeps its descriptors and ring
/// open until destroyed.
class KCTL_API batch {
  public:
    explicit batch(const batch_options& options = {});
    ~batch();
    batch(batch&& other) noexcept;
    batch& operator=(batch&& other) noexcept;
    batch(const batch&) = delete;
    batch& operator=(const batch&) = delete;

    /// Each queues one operation on `device` and returns its index in results().
    std::size_t get_msg(const device_entry& device);
    std::size_t set_msg(const device_entry& device, std::string_view message);
    std::size_t add(const device_entry& device, std::int64_t value);
    /// All values or none (1..batch_max, else this operation fails with EINVAL/E2BIG).
    std::size_t add(const device_entry& device, std::span<const std::int64_t> values);
    std::size_t sum(const device_entry& device);
    std::size_t reset(const device_entry& device);
    std::size_t info(const device_entry& device);

    std::size_t size() const noexcept;
    /// Forgets the queued operations and their results (descriptors stay open).
    void clear() noexcept;

    /// Runs every queued operation and returns their results, in queue order. Throws
    /// kctl::error only when the batch cannot run at all (no transport left).
    const std::vector<batch_result>& run();
    const std::vector<batch_result>& results() const noexcept;
    /// The transport the last run() used for its operations (uring or the fallback).
    transport_kind transport() const noexcept;
    /// How many results of the last run() carry an error.
    std::size_t failed() const noexcept;

  private:
    std::unique_ptr<detail::batch_impl> impl_;
};

}  // namespace kctl

#endif
