// SPDX-License-Identifier: GPL-2.0-or-later
// The mmap reader's seqcount protocol against a page in memory and a writer thread.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "snapshot.hpp"

namespace kctl::detail {
namespace {

template <typename T>
void store(T& field, T value, std::memory_order order = std::memory_order_relaxed) {
    std::atomic_ref<T>(field).store(value, order);
}

/// The kernel's side: write_seqcount_begin, the fields, write_seqcount_end.
void publish(kdemo_snapshot& page, std::uint64_t v, bool slow = false) {
    const __u32 seq = std::atomic_ref<__u32>(page.seq).load(std::memory_order_relaxed);
    store(page.seq, seq + 1);
    std::atomic_thread_fence(std::memory_order_release);
    store(page.sum, static_cast<__s64>(v));
    if (slow) {  // hold the page odd for a moment, so readers do overlap
        const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(5);
        while (std::chrono::steady_clock::now() < until) {
        }
    }
    store(page.count, static_cast<__u64>(v));
    store(page.generation, static_cast<__u64>(v));
    store(page.msg_len, static_cast<__u64>(v));
    store(page.seq, seq + 2, std::memory_order_release);
}

TEST(Snapshot, ReadsAStablePageWithoutRetrying) {
    alignas(64) kdemo_snapshot page{};
    publish(page, 42);
    snapshot_values v;
    EXPECT_EQ(read_snapshot(page, v), 0U);
    EXPECT_EQ(v.sum, 42);
    EXPECT_EQ(v.count, 42U);
    EXPECT_EQ(v.generation, 42U);
    EXPECT_EQ(v.msg_len, 42U);
}

TEST(Snapshot, WaitsWhileTheSequenceIsOdd) {
    alignas(64) kdemo_snapshot page{};
    publish(page, 1);
    store(page.seq, page.seq + 1, std::memory_order_release);  // a writer is inside
    store(page.sum, static_cast<__s64>(2));                    // half-way through
    std::thread writer([&page] {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        store(page.count, static_cast<__u64>(2));
        store(page.generation, static_cast<__u64>(2));
        store(page.msg_len, static_cast<__u64>(2));
        store(page.seq, page.seq + 1, std::memory_order_release);
    });
    snapshot_values v;
    const unsigned retries = read_snapshot(page, v);
    writer.join();
    EXPECT_GT(retries, 0U);
    EXPECT_EQ(v.sum, 2);
    EXPECT_EQ(v.count, 2U);
    EXPECT_EQ(v.generation, 2U);
}

TEST(Snapshot, NeverReturnsTornValuesUnderAConcurrentWriter) {
    alignas(64) kdemo_snapshot page{};
    std::atomic<bool> stop{false};
    std::thread writer([&] {
        for (std::uint64_t v = 1; !stop.load(std::memory_order_relaxed); ++v)
            publish(page, v, v % 16 == 0);
    });
    std::uint64_t retries = 0;
    std::uint64_t reads = 0;
    std::uint64_t last = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while ((retries == 0 || reads < 20000) && std::chrono::steady_clock::now() < deadline) {
        snapshot_values v;
        retries += read_snapshot(page, v);
        ++reads;
        ASSERT_EQ(static_cast<std::uint64_t>(v.sum), v.count) << "torn read";
        ASSERT_EQ(v.count, v.generation) << "torn read";
        ASSERT_EQ(v.generation, v.msg_len) << "torn read";
        ASSERT_GE(v.generation, last) << "went back in time";
        last = v.generation;
    }
    stop = true;
    writer.join();
    EXPECT_GT(retries, 0U) << "the writer never overlapped a read in " << reads << " reads";
    EXPECT_GT(last, 0U);
}

}  // namespace
}  // namespace kctl::detail
