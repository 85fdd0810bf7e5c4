// Every operation is atomic with respect to every other, whichever
// transports they use: no reader sees a torn message or half a batch.
#include <fcntl.h>

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "common/kdemo.hpp"

namespace kt {
namespace {

using Atomicity = KdemoTest;

// A message is one letter repeated, its length fixed per letter: a torn read
// shows mixed letters or the wrong length.
bool well_formed(const std::string& m) {
    if (m.empty())
        return true;
    size_t expected = m[0] == 'A' ? 100 : 3000;
    return m.size() == expected && m.find_first_not_of(m[0]) == std::string::npos;
}

TEST_F(Atomicity, MessagesAreNeverTornWhateverTheTransports) {
    const std::string a(100, 'A'), b(3000, 'B');
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> bad{0}, reads{0};
    std::vector<std::thread> threads;
    // writers: ioctl, sysfs and proc, each alternating the two messages
    threads.emplace_back([&] {
        Fd fd = open_file(node_path(), O_RDWR);
        for (int i = 0; !stop; i++)
            ASSERT_EQ(set_msg(fd.get(), i % 2 ? a : b), 0);
    });
    threads.emplace_back([&] {
        Fd fd = open_file(sysfs_path("message"), O_WRONLY);
        for (int i = 0; !stop; i++)
            ASSERT_EQ(::pwrite(fd.get(), (i % 2 ? b : a).data(), (i % 2 ? b : a).size(), 0),
                      static_cast<ssize_t>((i % 2 ? b : a).size()));
    });
    threads.emplace_back([&] {
        for (int i = 0; !stop; i++)
            ASSERT_EQ(write_file(proc_path("message"), i % 2 ? a : b), 0);
    });
    // readers through ioctl, sysfs (kept open, pread) and proc (1-byte reads)
    std::vector<std::function<std::string()>> readers = {
        [fd = std::make_shared<Fd>(open_file(node_path(), O_RDONLY))] {
            return get_msg(fd->get());
        },
        [fd = std::make_shared<Fd>(open_file(sysfs_path("message"), O_RDONLY))] {
            std::string s = pread_all(fd->get()).data;
            return s.empty() ? s : s.substr(0, s.size() - 1);
        },
        [] {
            std::string s = read_file(proc_path("message"), 7).data;
            return s.empty() ? s : s.substr(0, s.size() - 1);
        },
    };
    for (auto& reader : readers)
        threads.emplace_back([&, reader] {
            for (int i = 0; i < 400; i++) {
                if (!well_formed(reader()))
                    bad++;
                reads++;
            }
        });
    for (size_t i = 3; i < threads.size(); i++)
        threads[i].join();
    stop = true;
    for (size_t i = 0; i < 3; i++)
        threads[i].join();
    EXPECT_EQ(bad.load(), 0u) << "of " << reads.load() << " reads";
}

TEST_F(Atomicity, BatchesAreAddedWholeAndNothingIsLost) {
    // 4 writers add 64-value batches (ioctl) and 64-number lines (sysfs, proc);
    // readers must only ever see counts that are multiples of 64.
    constexpr int kRounds = 150;
    std::string line;
    for (int i = 0; i < 64; i++)
        line += "2 ";
    std::vector<int64_t> batch(64, 2);
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> bad{0};
    std::vector<std::thread> writers;
    writers.emplace_back([&] {
        Fd fd = open_file(node_path(), O_RDWR);
        for (int i = 0; i < kRounds; i++)
            ASSERT_EQ(add_batch(fd.get(), batch), 0);
    });
    writers.emplace_back([&] {
        for (int i = 0; i < kRounds; i++)
            ASSERT_EQ(write_file(sysfs_path("add"), line), 0);
    });
    writers.emplace_back([&] {
        for (int i = 0; i < kRounds; i++)
            ASSERT_EQ(write_file(proc_path("sum"), line), 0);
    });
    std::thread reader([&] {
        Fd count = open_file(sysfs_path("count"), O_RDONLY);
        while (!stop) {
            Sum s = get_sum(ro.get());
            if (s.count % 64 || s.sum != static_cast<int64_t>(2 * s.count))
                bad++;
            if (to_u64(pread_all(count.get()).data) % 64)
                bad++;
        }
    });
    for (auto& t : writers)
        t.join();
    stop = true;
    reader.join();
    Sum s = state();
    EXPECT_EQ(bad.load(), 0u);
    EXPECT_EQ(s.count, 3u * kRounds * 64);
    EXPECT_EQ(s.sum, 2 * 3 * kRounds * 64);
}

}  // namespace
}  // namespace kt
