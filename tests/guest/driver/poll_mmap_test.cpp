// Change notification (poll on the node and on sysfs attributes) and the
// read-only mmap snapshot.
#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <future>
#include <thread>

#include "common/kdemo.hpp"

namespace kt {
namespace {

// revents of one poll(2) on @fd for @events, waiting at most @timeout_ms.
short poll_once(int fd, short events, int timeout_ms = 0) {
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, timeout_ms);
    return n > 0 ? p.revents : 0;
}

using NodePoll = KdemoTest;

TEST_F(NodePoll, FreshDescriptorReportsNothing) {
    ASSERT_EQ(add(rw.get(), 1), 0);
    Fd fresh = open_file(node_path(), O_RDONLY);
    EXPECT_EQ(poll_once(fresh.get(), POLLIN | POLLPRI), 0);
}

TEST_F(NodePoll, ReportsAChangeUntilTheDescriptorReadsTheState) {
    Fd watcher = open_file(node_path(), O_RDONLY);
    EXPECT_EQ(poll_once(watcher.get(), POLLIN | POLLPRI), 0);
    ASSERT_EQ(add(rw.get(), 1), 0);
    EXPECT_EQ(poll_once(watcher.get(), POLLIN | POLLPRI), POLLIN | POLLPRI);
    EXPECT_EQ(poll_once(watcher.get(), POLLIN | POLLPRI), POLLIN | POLLPRI) << "level-triggered";
    (void)get_sum(watcher.get());
    EXPECT_EQ(poll_once(watcher.get(), POLLIN | POLLPRI), 0);
}

TEST_F(NodePoll, GetMsgAndGetInfoAlsoMarkTheStateSeen) {
    Fd watcher = open_file(node_path(), O_RDONLY);
    ASSERT_EQ(set_msg(rw.get(), "x"), 0);
    (void)get_msg(watcher.get());
    EXPECT_EQ(poll_once(watcher.get(), POLLIN), 0);
    ASSERT_EQ(reset(rw.get()), 0);
    (void)get_info(watcher.get());
    EXPECT_EQ(poll_once(watcher.get(), POLLIN), 0);
}

TEST_F(NodePoll, TextTransportsWakeNodePollersToo) {
    Fd watcher = open_file(node_path(), O_RDONLY);
    ASSERT_EQ(write_file(proc_path("sum"), "3"), 0);
    EXPECT_EQ(poll_once(watcher.get(), POLLPRI), POLLPRI);
    (void)get_sum(watcher.get());
    ASSERT_EQ(write_file(sysfs_path("message"), "y"), 0);
    EXPECT_EQ(poll_once(watcher.get(), POLLIN), POLLIN);
}

TEST_F(NodePoll, FailedOperationsWakeNobody) {
    Fd watcher = open_file(node_path(), O_RDONLY);
    EXPECT_EQ(add(rw.get(), INT64_MAX), 0);
    (void)get_sum(watcher.get());
    EXPECT_EQ(add(rw.get(), 1), ERANGE);
    EXPECT_EQ(set_msg(rw.get(), std::string(5000, 'x')), EMSGSIZE);
    EXPECT_EQ(poll_once(watcher.get(), POLLIN | POLLPRI), 0);
}

TEST_F(NodePoll, BlockedWaiterWakesOnAChange) {
    Fd watcher = open_file(node_path(), O_RDONLY);
    auto waiter = std::async(std::launch::async,
                             [&] { return poll_once(watcher.get(), POLLIN | POLLPRI, 30000); });
    // the waiter may or may not be asleep yet: either way it must see the change
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ASSERT_EQ(add(rw.get(), 1), 0);
    EXPECT_EQ(waiter.get(), POLLIN | POLLPRI);
}

// sysfs attributes that support poll(): sysfs_notify on change.
struct Notified {
    const char* attr;
    bool on_message;
    bool on_accumulator;
};

// The notifications are sent by a work item after the change: `generation`
// is notified by every change and last, so once it has woken a poller, the
// attributes notified with it have been too.
class SysfsPoll : public KdemoTest, public ::testing::WithParamInterface<Notified> {
  protected:
    // poll on an attribute opened and read (which arms it) before the change
    short notified_by(const std::function<void()>& change, bool changes = true) {
        settle();
        Fd fd = open_file(sysfs_path(GetParam().attr), O_RDONLY);
        Fd last = open_file(sysfs_path("generation"), O_RDONLY);
        EXPECT_EQ(pread_all(fd.get()).err, 0);
        EXPECT_EQ(pread_all(last.get()).err, 0);
        change();
        if (changes) {  // a hang guard, not a timing assertion
            EXPECT_NE(poll_once(last.get(), POLLPRI, 30000) & POLLPRI, 0)
                << "the notification of generation never came";
        }
        return poll_once(fd.get(), POLLPRI);
    }
    // Until no notification of an earlier change (the fixture's, say) is on
    // its way: generation stays quiet for a while.
    void settle() {
        Fd g = open_file(sysfs_path("generation"), O_RDONLY);
        do
            ASSERT_EQ(pread_all(g.get()).err, 0);
        while (poll_once(g.get(), POLLPRI, 300) != 0);
    }
};

TEST_P(SysfsPoll, WakesOnTheChangesOfItsValue) {
    short on_msg = notified_by([&] { ASSERT_EQ(set_msg(rw.get(), "m"), 0); });
    short on_add = notified_by([&] { ASSERT_EQ(add(rw.get(), 1), 0); });
    short on_reset = notified_by([&] { ASSERT_EQ(write_file(sysfs_path("reset"), "1"), 0); });
    ASSERT_EQ(add(rw.get(), INT64_MAX), 0);
    short on_failure = notified_by([&] { EXPECT_EQ(add(rw.get(), 1), ERANGE); }, false);
    EXPECT_EQ(on_msg != 0, GetParam().on_message);
    EXPECT_EQ(on_add != 0, GetParam().on_accumulator);
    EXPECT_EQ(on_reset != 0, GetParam().on_accumulator);
    EXPECT_EQ(on_failure, 0) << "a failed add changes nothing and notifies nobody";
    if (on_add) {
        EXPECT_EQ(on_add & (POLLPRI | POLLERR), POLLPRI | POLLERR);
    }
}

TEST_P(SysfsPoll, BlockedWaiterWakes) {
    Fd fd = open_file(sysfs_path(GetParam().attr), O_RDONLY);
    ASSERT_EQ(pread_all(fd.get()).err, 0);
    auto waiter =
        std::async(std::launch::async, [&] { return poll_once(fd.get(), POLLPRI, 30000); });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (GetParam().on_accumulator)
        ASSERT_EQ(add(rw.get(), 1), 0);
    else
        ASSERT_EQ(set_msg(rw.get(), "wake"), 0);
    EXPECT_NE(waiter.get() & POLLPRI, 0);
}

INSTANTIATE_TEST_SUITE_P(Poll, SysfsPoll,
                         ::testing::Values(Notified{"message", true, false},
                                           Notified{"sum", false, true},
                                           Notified{"generation", true, true}),
                         [](const auto& info) { return std::string(info.param.attr); });

// The mmap snapshot.
class Mmap : public KdemoTest {
  protected:
    const kdemo_snapshot* map(int fd) {
        void* p = ::mmap(nullptr, 4096, PROT_READ, MAP_SHARED, fd, 0);
        EXPECT_NE(p, MAP_FAILED) << std::strerror(errno);
        maps_.push_back(p);
        return static_cast<const kdemo_snapshot*>(p);
    }
    void TearDown() override {
        for (void* p : maps_)
            ::munmap(p, 4096);
    }
    static kdemo_snapshot read(const kdemo_snapshot* s) { return read_snapshot(s); }
    std::vector<void*> maps_;
};

TEST_F(Mmap, SnapshotFollowsEveryChange) {
    const kdemo_snapshot* s = map(ro.get());
    EXPECT_EQ(s->abi_version, static_cast<uint32_t>(KDEMO_ABI_VERSION));
    ASSERT_EQ(set_msg(rw.get(), "twelve bytes"), 0);
    ASSERT_EQ(add_batch(rw.get(), std::vector<int64_t>{40, 2}), 0);
    kdemo_snapshot c = read(s);
    Sum io = get_sum(ro.get());
    EXPECT_EQ(c.sum, 42);
    EXPECT_EQ(c.count, 2u);
    EXPECT_EQ(c.generation, io.generation);
    EXPECT_EQ(c.msg_len, 12u);
    EXPECT_EQ(c.seq % 2, 0u);
}

TEST_F(Mmap, SharedWritableMappingIsEACCES) {
    EXPECT_EQ(::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, rw.get(), 0), MAP_FAILED);
    EXPECT_EQ(errno, EACCES);
}

TEST_F(Mmap, PrivateWritableMappingIsEACCES) {
    EXPECT_EQ(::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, rw.get(), 0), MAP_FAILED);
    EXPECT_EQ(errno, EACCES);
}

TEST_F(Mmap, WriteCannotBeAddedLaterWithMprotect) {
    void* p = ::mmap(nullptr, 4096, PROT_READ, MAP_SHARED, rw.get(), 0);
    ASSERT_NE(p, MAP_FAILED);
    EXPECT_EQ(::mprotect(p, 4096, PROT_READ | PROT_WRITE), -1);
    EXPECT_EQ(errno, EACCES);
    ::munmap(p, 4096);
}

TEST_F(Mmap, NonZeroOffsetIsEINVAL) {
    EXPECT_EQ(::mmap(nullptr, 4096, PROT_READ, MAP_SHARED, ro.get(), 4096), MAP_FAILED);
    EXPECT_EQ(errno, EINVAL);
}

TEST_F(Mmap, MoreThanOnePageIsEINVAL) {
    EXPECT_EQ(::mmap(nullptr, 8192, PROT_READ, MAP_SHARED, ro.get(), 0), MAP_FAILED);
    EXPECT_EQ(errno, EINVAL);
}

TEST_F(Mmap, MappingOutlivesItsDescriptorAndPinsTheModule) {
    const kdemo_snapshot* s;
    {
        Fd fd = open_file(node_path(), O_RDONLY);
        s = map(fd.get());
    }
    ASSERT_EQ(add(rw.get(), 5), 0);
    EXPECT_EQ(read(s).sum, 5);
    rw.reset();
    ro.reset();
    EXPECT_EQ(unload_module(), EWOULDBLOCK) << "the mapping holds the file";
}

TEST_F(Mmap, SnapshotIsNeverTornUnderConcurrentAdds) {
    // Writers only ever add batches of three 3s, so every consistent
    // snapshot has sum == 3 * count and count % 3 == 0.
    const kdemo_snapshot* s = map(ro.get());
    std::atomic<bool> stop{false};
    std::vector<std::thread> writers;
    for (int w = 0; w < 2; w++)
        writers.emplace_back([&] {
            Fd fd = open_file(node_path(), O_RDWR);
            std::vector<int64_t> v{3, 3, 3};
            while (!stop.load())
                ASSERT_EQ(add_batch(fd.get(), v), 0);
        });
    uint64_t reads = 0, torn = 0, last_generation = 0, went_back = 0;
    for (; reads < 2000000; reads++) {
        kdemo_snapshot c = read(s);
        if (c.sum != static_cast<int64_t>(3 * c.count) || c.count % 3 != 0)
            torn++;
        if (c.generation < last_generation)
            went_back++;
        last_generation = c.generation;
    }
    stop = true;
    for (auto& t : writers)
        t.join();
    Sum final = get_sum(ro.get());
    EXPECT_EQ(torn, 0u) << "of " << reads << " reads";
    EXPECT_EQ(went_back, 0u);
    EXPECT_GT(final.count, 0u);
    EXPECT_EQ(read(s).sum, final.sum);
    RecordProperty("snapshot_reads", std::to_string(reads));
}

}  // namespace
}  // namespace kt
