// SPDX-License-Identifier: LGPL-2.1-or-later
// Part of libkctl. Include <kctl/kctl.hpp>, not this file.
#ifndef KCTL_DEVICE_HPP
#define KCTL_DEVICE_HPP

#ifndef KCTL_INSIDE_KCTL_HPP
#error "Only <kctl/kctl.hpp> can be included directly."
#endif

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace kctl {

namespace detail {
class device_core;
class watch_impl;
struct open_settings;
}  // namespace detail

/// How to open a device. An opaque settings object (as libgpiod v2's): its fields live
/// inside the library, so a later version can add settings without changing its size or the
/// signatures that take it. Each setter returns *this, for chaining:
/// `kctl::device::open("kdemo0", kctl::open_options().set_transport(kctl::transport_kind::sysfs))`.
class KCTL_API open_options {
  public:
    open_options();
    ~open_options();
    open_options(const open_options& other);
    open_options& operator=(const open_options& other);
    open_options(open_options&& other) noexcept;
    open_options& operator=(open_options&& other) noexcept;

    /// `automatic` (the default) chooses per operation (see device); any other kind uses only
    /// that transport and reports its errors as they are (EOPNOTSUPP if it lacks the
    /// operation).
    open_options& set_transport(transport_kind kind);
    transport_kind transport() const noexcept;
    /// Receives one line per decision of the chooser, e.g. "sum: using mmap (fastest
    /// usable)" or "set-msg: ioctl not writable (EACCES), using sysfs". Empty by default.
    open_options& set_log(std::function<void(std::string_view)> log);
    const std::function<void(std::string_view)>& log() const noexcept;

  private:
    std::unique_ptr<detail::open_settings> d_;  // null only when moved from
};

/// The state a watcher reports.
struct state {
    std::uint64_t generation = 0;
    std::int64_t sum = 0;
    std::uint64_t count = 0;
    std::string message;
};

/// Waits for changes of a device: poll() on the node (POLLIN|POLLPRI, re-armed by reading
/// the sum on the watcher's own descriptor) or, if the node is not readable, on the sysfs
/// `generation` attribute (POLLPRI|POLLERR after sysfs_notify, re-armed by reading it).
/// Several changes in quick succession may be reported as one (the generation then grows by
/// more than one). Each reported state is of one moment (message, sum, count and generation
/// read between two equal generations). Move-only; holds descriptors of its own.
///
/// Threads: a watcher and the device it came from share nothing mutable, so one thread may
/// wait() while another uses the device. Each object itself (a device, a watcher) is for one
/// thread at a time; the open_options::log callback may be called from both.
class KCTL_API watcher {
  public:
    watcher() noexcept;
    ~watcher();
    watcher(watcher&& other) noexcept;
    watcher& operator=(watcher&& other) noexcept;
    watcher(const watcher&) = delete;
    watcher& operator=(const watcher&) = delete;

    void close() noexcept;
    explicit operator bool() const noexcept;

    /// The state last reported (at first: the state when the watch began).
    const state& current() const;
    /// Waits up to `timeout` (negative: forever) for the generation to change; returns the new
    /// state, or nullopt if nothing changed in time. Throws kctl::error.
    std::optional<state> wait(std::chrono::milliseconds timeout);
    /// ioctl (the node) or sysfs (the generation attribute).
    transport_kind transport() const noexcept;
    /// The descriptor polled, for an event loop (events: see transport()).
    int fd() const noexcept;

  private:
    friend class device;
    // Not exported: only device::watch() makes a watcher from its implementation.
    KCTL_LOCAL explicit watcher(std::unique_ptr<detail::watch_impl> impl) noexcept;
    std::unique_ptr<detail::watch_impl> impl_;
};

/// An open kdemo device. Move-only; every transport keeps its descriptors open until close().
///
/// With transport_kind::automatic, each operation goes to the fastest transport the caller
/// can use for it, as the committed bench run measured (for sum mmap < ioctl < sysfs < proc;
/// for the other operations ioctl first, then proc before sysfs; mmap only serves sum). It moves on
/// to the next transport only when one is unusable or does not support the operation (EACCES or
/// EPERM on open, ENOTTY, EOPNOTSUPP, EBADF from a descriptor the kernel would not let us open
/// for writing, EFBIG from a size limit such as sysfs_msg_max); any other error of the device
/// (EINVAL, ERANGE, EMSGSIZE, ...) is thrown, never masked by trying another transport.
///
/// Every error is a kctl::error (a std::system_error). A closed device throws EBADF.
///
/// Threads: a device is for one thread at a time (it caches its choices and its transports'
/// buffers); use one device per thread, or lock around it. Distinct devices, even of the same
/// node, and a device and its watchers may be used from different threads at once.
class KCTL_API device {
  public:
    device() noexcept;
    explicit device(const device_entry& entry, const open_options& options = {});
    /// find_device(name), then opens it.
    static device open(std::string_view name = {}, const open_options& options = {});

    ~device();
    device(device&& other) noexcept;
    device& operator=(device&& other) noexcept;
    device(const device&) = delete;
    device& operator=(const device&) = delete;

    void close() noexcept;
    explicit operator bool() const noexcept;

    const device_entry& entry() const;

    std::string get_msg();
    void set_msg(std::string_view message);
    void add(std::int64_t value);
    /// Adds all values or none (1..batch_max values, else EINVAL/E2BIG).
    void add(std::span<const std::int64_t> values);
    /// Sum, count and generation of one moment. Cheap in a loop: once the mmap page serves it,
    /// an inline read of the page in the caller's code (no call, no system call); through
    /// another transport one virtual call, no allocation, no exception on success.
    sum_result sum() {
        if (page_) [[likely]] {
            detail::snapshot_values v;
            detail::read_snapshot(*page_, v);
            return {v.sum, v.count, v.generation};
        }
        return sum_slow();
    }
    void reset();
    kctl::info info();
    watcher watch();

    /// The transport that last completed `op` (automatic if none has yet).
    transport_kind last_transport(operation op) const noexcept;

  private:
    sum_result sum_slow();

    std::shared_ptr<detail::device_core> core_;
    /// The mapped page once mmap serves sum (it lives as long as core_).
    const kdemo_snapshot* page_ = nullptr;
};

}  // namespace kctl

#endif
