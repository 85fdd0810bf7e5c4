// The mmap'ed snapshot page through the memory-management calls a process
// may make on it: dropped (MADV_DONTNEED) and faulted in again, moved
// (mremap), inherited (fork), and never executable. Reads that may SIGBUS
// run in a child, so that a SIGBUS fails the test instead of ending the
// binary.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "common/kdemo.hpp"
#include "common/process.hpp"

namespace kt {
namespace {

constexpr size_t kPage = 4096;

// "" if the snapshot at @s is a valid copy of the state GET_SUM and GET_INFO
// report on @fd (nothing may change meanwhile), else the differences.
std::string check_snapshot(const void* s, int fd) {
    kdemo_snapshot c = read_snapshot(static_cast<const kdemo_snapshot*>(s));
    kdemo_info info = get_info(fd);
    std::string diff;
    auto expect = [&](const char* what, uint64_t got, uint64_t want) {
        if (got != want)
            diff += std::string(diff.empty() ? "" : "; ") + what + " " + std::to_string(got) +
                    " in the mapping, " + std::to_string(want) + " by ioctl";
    };
    expect("abi_version", c.abi_version, KDEMO_ABI_VERSION);
    expect("sum", static_cast<uint64_t>(c.sum), static_cast<uint64_t>(info.sum));
    expect("count", c.count, info.count);
    expect("generation", c.generation, info.generation);
    expect("msg_len", c.msg_len, info.msg_len);
    return diff;
}

// check_snapshot() before and after a change made through @fd (read-write).
std::string check_live(const void* s, int fd) {
    std::string before = check_snapshot(s, fd);
    if (!before.empty())
        return before;
    if (int err = add(fd, 7))
        return std::string("ADD: ") + std::strerror(err);
    if (int err = set_msg(fd, "changed"))
        return std::string("SET_MSG: ") + std::strerror(err);
    std::string after = check_snapshot(s, fd);
    return after.empty() ? "" : "after a change: " + after;
}

class SnapshotMapping : public KdemoTest {
  protected:
    void SetUp() override {
        KdemoTest::SetUp();
        ASSERT_EQ(set_msg(rw.get(), "mapped"), 0);
        ASSERT_EQ(add_batch(rw.get(), std::vector<int64_t>{40, 2}), 0);
        void* p = ::mmap(nullptr, kPage, PROT_READ, MAP_SHARED, ro.get(), 0);
        ASSERT_NE(p, MAP_FAILED) << std::strerror(errno);
        map_ = p;
    }
    void TearDown() override {
        if (map_)
            ::munmap(map_, kPage);
    }
    void* map_ = nullptr;
};

TEST_F(SnapshotMapping, IsValidAgainAfterMadvDontneed) {
    std::string r = in_child([&]() -> std::string {
        if (::madvise(map_, kPage, MADV_DONTNEED) != 0)
            return std::string("madvise(MADV_DONTNEED): ") + std::strerror(errno);
        return check_live(map_, rw.get());
    });
    EXPECT_EQ(r, "");
}

TEST_F(SnapshotMapping, IsValidAtItsNewAddressAfterMremap) {
    std::string r = in_child([&]() -> std::string {
        // a free address for the move, away from the old one
        void* to = ::mmap(nullptr, kPage, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (to == MAP_FAILED)
            return std::string("mmap: ") + std::strerror(errno);
        void* moved = ::mremap(map_, kPage, kPage, MREMAP_MAYMOVE | MREMAP_FIXED, to);
        if (moved == MAP_FAILED)
            return std::string("mremap: ") + std::strerror(errno);
        if (moved != to)
            return "mremap did not move the mapping";
        return check_live(moved, rw.get());
    });
    EXPECT_EQ(r, "");
}

// How a Background child ended, with what it said.
std::string how_it_ended(const Proc& p) {
    std::string s = p.status > 128 ? std::string("killed by SIG") + sigabbrev_np(p.status - 128)
                                   : "exit status " + std::to_string(p.status);
    if (!p.out.empty())
        s += ", stdout '" + p.out + "'";
    if (!p.err.empty())
        s += ", stderr '" + p.err + "'";
    return s;
}

// A forked child checks the mapping it inherited, then again after the
// parent made a change (it prints "ok" or what is wrong each time). "" if
// both checks passed, else what went wrong.
std::string inherited_mapping_sees_changes(const void* map, int rw_fd) {
    int go[2];
    if (::pipe2(go, O_CLOEXEC) != 0)
        return std::string("pipe2: ") + std::strerror(errno);
    Fd go_r(go[0]), go_w(go[1]);
    Background child("root", [&] {
        go_w.reset();
        std::string first = check_snapshot(map, rw_fd);
        std::printf("%s\n", first.empty() ? "ok" : first.c_str());
        std::fflush(stdout);
        char c;
        if (::read(go_r.get(), &c, 1) != 1)
            return 1;
        std::string second = check_snapshot(map, rw_fd);
        std::printf("%s\n", second.empty() ? "ok" : second.c_str());
        return 0;
    });
    go_r.reset();
    auto first = child.line(kHangGuard);
    if (first != "ok")
        return "before the change: '" + first.value_or("") + "'; " + how_it_ended(child.wait());
    if (int err = add(rw_fd, 5))
        return std::string("ADD: ") + std::strerror(err);
    if (int err = set_msg(rw_fd, "changed after the fork"))
        return std::string("SET_MSG: ") + std::strerror(err);
    (void)!::write(go_w.get(), "g", 1);
    Proc p = child.wait(kHangGuard);
    if (p.status != 0 || p.out != "ok\n")
        return "after the change: " + how_it_ended(p);
    return "";
}

TEST_F(SnapshotMapping, ForkedChildSeesTheCurrentStateAndLaterChanges) {
    EXPECT_EQ(read_snapshot(static_cast<const kdemo_snapshot*>(map_)).sum, 42) << "mapped";
    EXPECT_EQ(inherited_mapping_sees_changes(map_, rw.get()), "");
}

TEST_F(SnapshotMapping, ForkedChildReadsAPageItsParentDropped) {
    // the parent never reads the page again: only the child faults it in
    ASSERT_EQ(::madvise(map_, kPage, MADV_DONTNEED), 0) << std::strerror(errno);
    EXPECT_EQ(inherited_mapping_sees_changes(map_, rw.get()), "");
}

TEST_F(SnapshotMapping, ExecutableMappingIsEACCES) {
    errno = 0;
    void* p = ::mmap(nullptr, kPage, PROT_READ | PROT_EXEC, MAP_SHARED, ro.get(), 0);
    EXPECT_EQ(p, MAP_FAILED);
    EXPECT_EQ(errno, EACCES) << std::strerror(errno);
    if (p != MAP_FAILED)
        ::munmap(p, kPage);
}

TEST_F(SnapshotMapping, ExecCannotBeAddedLaterWithMprotect) {
    errno = 0;
    EXPECT_EQ(::mprotect(map_, kPage, PROT_READ | PROT_EXEC), -1);
    EXPECT_EQ(errno, EACCES) << std::strerror(errno);
}

}  // namespace
}  // namespace kt
