// SPDX-License-Identifier: LGPL-2.1-or-later
// Part of libkctl. Include <kctl/kctl.hpp>, not this file.
//
// The reader side of the seqcount that protects the mmap page (struct kdemo_snapshot in
// <linux/kdemo.h>), as the vDSO reads its data page. Header-only and inline, so that
// device::sum() served by the page costs what a loop over the page costs: no call into the
// library, no system call (docs/BENCHMARKS.md). kctl::detail: not an API of its own.
#ifndef KCTL_SNAPSHOT_HPP
#define KCTL_SNAPSHOT_HPP

#ifndef KCTL_INSIDE_KCTL_HPP
#error "Only <kctl/kctl.hpp> can be included directly."
#endif

#include <linux/kdemo.h>

#include <atomic>
#include <cstdint>

namespace kctl::detail {

struct snapshot_values {
    std::int64_t sum = 0;
    std::uint64_t count = 0;
    std::uint64_t generation = 0;
    std::uint64_t msg_len = 0;
};

namespace snapshot_impl {

// The page is mapped PROT_READ: atomic_ref is only ever used to load, and a lock-free load is
// a plain aligned load on every architecture Linux runs on, which never writes.
template <typename T>
T load(const T& field, std::memory_order order) noexcept {
    static_assert(std::atomic_ref<T>::is_always_lock_free);
    return std::atomic_ref<T>(const_cast<T&>(field)).load(order);
}

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield" ::: "memory");
#endif
}

}  // namespace snapshot_impl

/// Copies one consistent set of values out of `page`. Returns how many times it had to retry
/// (the writer was active), which only the tests look at.
inline unsigned read_snapshot(const kdemo_snapshot& page, snapshot_values& out) noexcept {
    using snapshot_impl::load;
    unsigned retries = 0;
    for (;; ++retries) {
        const __u32 seq = load(page.seq, std::memory_order_acquire);
        if (seq & 1U) {  // an update is in progress
            snapshot_impl::cpu_relax();
            continue;
        }
        out.sum = load(page.sum, std::memory_order_relaxed);
        out.count = load(page.count, std::memory_order_relaxed);
        out.generation = load(page.generation, std::memory_order_relaxed);
        out.msg_len = load(page.msg_len, std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_acquire);
        if (load(page.seq, std::memory_order_relaxed) == seq)
            return retries;
    }
}

}  // namespace kctl::detail

#endif
