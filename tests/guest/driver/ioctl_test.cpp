// Every ioctl command, and one test per validation failure of each
// (Documentation/process/botching-up-ioctls.rst). A failed command must
// change nothing: each failure test checks the state afterwards.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <vector>

#include "common/kdemo.hpp"

namespace kt {
namespace {

uint64_t ptr(const void* p) {
    return reinterpret_cast<uintptr_t>(p);
}
void* const kBadPointer = reinterpret_cast<void*>(16);

using Ioctl = SeededTest;

using GetAbi = Ioctl;

TEST_F(GetAbi, ReturnsTheHeadersVersion) {
    uint32_t abi = 0;
    ASSERT_EQ(xioctl(ro.get(), KDEMO_IOC_GET_ABI, &abi), 0);
    EXPECT_EQ(abi, static_cast<uint32_t>(KDEMO_ABI_VERSION));
}

TEST_F(GetAbi, BadPointerIsEFAULT) {
    EXPECT_EQ(xioctl(ro.get(), KDEMO_IOC_GET_ABI, kBadPointer), EFAULT);
}

using GetMsg = Ioctl;

TEST_F(GetMsg, WorksOnAReadOnlyDescriptor) {
    EXPECT_EQ(get_msg(ro.get()), "before");
}

TEST_F(GetMsg, TooSmallBufferIsERANGEWithTheLengthNeededAndCopiesNothing) {
    char buf[4] = {'#', '#', '#', '#'};
    kdemo_msg m{};
    m.data = ptr(buf);
    m.len = sizeof(buf);
    EXPECT_EQ(xioctl(ro.get(), KDEMO_IOC_GET_MSG, &m), ERANGE);
    EXPECT_EQ(m.len, 6u);
    EXPECT_EQ(std::string(buf, 4), "####");
}

TEST_F(GetMsg, ExactBufferSucceedsAndReportsTheGeneration) {
    char buf[6];
    kdemo_msg m{};
    m.data = ptr(buf);
    m.len = sizeof(buf);
    ASSERT_EQ(xioctl(ro.get(), KDEMO_IOC_GET_MSG, &m), 0);
    EXPECT_EQ(m.len, 6u);
    EXPECT_EQ(std::string(buf, 6), "before");
    EXPECT_EQ(m.generation, before_.generation);
}

TEST_F(GetMsg, NonZeroFlagsIsEINVAL) {
    char buf[64];
    kdemo_msg m{};
    m.data = ptr(buf);
    m.len = sizeof(buf);
    m.flags = 1;
    EXPECT_EQ(xioctl(ro.get(), KDEMO_IOC_GET_MSG, &m), EINVAL);
}

TEST_F(GetMsg, NonZeroReservedIsEINVAL) {
    char buf[64];
    kdemo_msg m{};
    m.data = ptr(buf);
    m.len = sizeof(buf);
    m.reserved = 1;
    EXPECT_EQ(xioctl(ro.get(), KDEMO_IOC_GET_MSG, &m), EINVAL);
}

TEST_F(GetMsg, BadDataPointerIsEFAULT) {
    kdemo_msg m{};
    m.data = ptr(kBadPointer);
    m.len = 64;
    EXPECT_EQ(xioctl(ro.get(), KDEMO_IOC_GET_MSG, &m), EFAULT);
}

TEST_F(GetMsg, BadArgumentPointerIsEFAULT) {
    EXPECT_EQ(xioctl(ro.get(), KDEMO_IOC_GET_MSG, kBadPointer), EFAULT);
}

using SetMsg = Ioctl;

TEST_F(SetMsg, ReadOnlyDescriptorIsEBADF) {
    EXPECT_EQ(set_msg(ro.get(), "after"), EBADF);
    expect_unchanged();
}

TEST_F(SetMsg, LongerThanMsgMaxIsEMSGSIZE) {
    EXPECT_EQ(set_msg(rw.get(), std::string(4096, 'x')), EMSGSIZE);
    expect_unchanged();
}

TEST_F(SetMsg, NonZeroFlagsIsEINVAL) {
    kdemo_msg m{};
    m.data = ptr("after");
    m.len = 5;
    m.flags = 0x80000000u;
    EXPECT_EQ(xioctl(rw.get(), KDEMO_IOC_SET_MSG, &m), EINVAL);
    expect_unchanged();
}

TEST_F(SetMsg, NonZeroGenerationIsEINVAL) {
    kdemo_msg m{};
    m.data = ptr("after");
    m.len = 5;
    m.generation = 3;
    EXPECT_EQ(xioctl(rw.get(), KDEMO_IOC_SET_MSG, &m), EINVAL);
    expect_unchanged();
}

TEST_F(SetMsg, NonZeroReservedIsEINVAL) {
    kdemo_msg m{};
    m.data = ptr("after");
    m.len = 5;
    m.reserved = 1;
    EXPECT_EQ(xioctl(rw.get(), KDEMO_IOC_SET_MSG, &m), EINVAL);
    expect_unchanged();
}

TEST_F(SetMsg, BadDataPointerIsEFAULTAndKeepsTheMessage) {
    kdemo_msg m{};
    m.data = ptr(kBadPointer);
    m.len = 5;
    EXPECT_EQ(xioctl(rw.get(), KDEMO_IOC_SET_MSG, &m), EFAULT);
    expect_unchanged();
}

TEST_F(SetMsg, BadArgumentPointerIsEFAULT) {
    EXPECT_EQ(xioctl(rw.get(), KDEMO_IOC_SET_MSG, kBadPointer), EFAULT);
    expect_unchanged();
}

TEST_F(SetMsg, EmptyMessageNeedsNoPointer) {
    kdemo_msg m{};
    ASSERT_EQ(xioctl(rw.get(), KDEMO_IOC_SET_MSG, &m), 0);
    EXPECT_EQ(get_msg(rw.get()), "");
}

using Add = Ioctl;

TEST_F(Add, ReadOnlyDescriptorIsEBADF) {
    EXPECT_EQ(add(ro.get(), 1), EBADF);
    expect_unchanged();
}

TEST_F(Add, BadPointerIsEFAULT) {
    EXPECT_EQ(xioctl(rw.get(), KDEMO_IOC_ADD, kBadPointer), EFAULT);
    expect_unchanged();
}

TEST_F(Add, OverflowIsERANGEAndAddsNothing) {
    EXPECT_EQ(add(rw.get(), INT64_MAX), ERANGE);
    expect_unchanged();
}

TEST_F(Add, NegativeOverflowIsERANGE) {
    ASSERT_EQ(reset(rw.get()), 0);
    ASSERT_EQ(add(rw.get(), -1), 0);
    EXPECT_EQ(add(rw.get(), INT64_MIN), ERANGE);
    EXPECT_EQ(state().sum, -1);
    EXPECT_EQ(state().count, 1u);
}

TEST_F(Add, AddsOneValueAndCountsIt) {
    ASSERT_EQ(add(rw.get(), -10), 0);
    Sum s = state();
    EXPECT_EQ(s.sum, -3);
    EXPECT_EQ(s.count, 2u);
    EXPECT_EQ(s.generation, before_.generation + 1);
}

using AddBatch = Ioctl;

kdemo_batch batch(const std::vector<int64_t>& v) {
    kdemo_batch b{};
    b.values = ptr(v.data());
    b.count = static_cast<uint32_t>(v.size());
    return b;
}

TEST_F(AddBatch, AddsAllValuesAsOneChange) {
    std::vector<int64_t> v(KDEMO_BATCH_MAX, 2);
    ASSERT_EQ(add_batch(rw.get(), v), 0);
    Sum s = state();
    EXPECT_EQ(s.sum, 7 + 2 * KDEMO_BATCH_MAX);
    EXPECT_EQ(s.count, 1u + KDEMO_BATCH_MAX);
    EXPECT_EQ(s.generation, before_.generation + 1);
}

TEST_F(AddBatch, ReadOnlyDescriptorIsEBADF) {
    std::vector<int64_t> v{1, 2};
    kdemo_batch b = batch(v);
    EXPECT_EQ(xioctl(ro.get(), KDEMO_IOC_ADD_BATCH, &b), EBADF);
    expect_unchanged();
}

TEST_F(AddBatch, ZeroCountIsEINVAL) {
    std::vector<int64_t> v{1};
    kdemo_batch b = batch(v);
    b.count = 0;
    EXPECT_EQ(xioctl(rw.get(), KDEMO_IOC_ADD_BATCH, &b), EINVAL);
    expect_unchanged();
}

TEST_F(AddBatch, MoreThanBatchMaxIsE2BIG) {
    std::vector<int64_t> v(KDEMO_BATCH_MAX + 1, 1);
    kdemo_batch b = batch(v);
    EXPECT_EQ(xioctl(rw.get(), KDEMO_IOC_ADD_BATCH, &b), E2BIG);
    expect_unchanged();
}

TEST_F(AddBatch, NonZeroFlagsIsEINVAL) {
    std::vector<int64_t> v{1};
    kdemo_batch b = batch(v);
    b.flags = 1;
    EXPECT_EQ(xioctl(rw.get(), KDEMO_IOC_ADD_BATCH, &b), EINVAL);
    expect_unchanged();
}

TEST_F(AddBatch, NonZeroFirstReservedIsEINVAL) {
    std::vector<int64_t> v{1};
    kdemo_batch b = batch(v);
    b.reserved[0] = 1;
    EXPECT_EQ(xioctl(rw.get(), KDEMO_IOC_ADD_BATCH, &b), EINVAL);
    expect_unchanged();
}

TEST_F(AddBatch, NonZeroSecondReservedIsEINVAL) {
    std::vector<int64_t> v{1};
    kdemo_batch b = batch(v);
    b.reserved[1] = 1;
    EXPECT_EQ(xioctl(rw.get(), KDEMO_IOC_ADD_BATCH, &b), EINVAL);
    expect_unchanged();
}

TEST_F(AddBatch, BadValuesPointerIsEFAULT) {
    kdemo_batch b{};
    b.values = ptr(kBadPointer);
    b.count = 3;
    EXPECT_EQ(xioctl(rw.get(), KDEMO_IOC_ADD_BATCH, &b), EFAULT);
    expect_unchanged();
}

TEST_F(AddBatch, BadArgumentPointerIsEFAULT) {
    EXPECT_EQ(xioctl(rw.get(), KDEMO_IOC_ADD_BATCH, kBadPointer), EFAULT);
    expect_unchanged();
}

TEST_F(AddBatch, ValuesRunningIntoAnUnmappedPageAddNothing) {
    // 2048 readable values, then the next page is gone: the driver has read
    // and summed the first ones before it faults, and must still add nothing.
    long page = ::sysconf(_SC_PAGESIZE);
    auto* area = static_cast<char*>(
        ::mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    ASSERT_NE(area, MAP_FAILED);
    ASSERT_EQ(::munmap(area + page, page), 0);
    auto* values = reinterpret_cast<int64_t*>(area);
    for (long i = 0; i < page / 8; i++)
        values[i] = 1;
    kdemo_batch b{};
    b.values = ptr(values);
    b.count = static_cast<uint32_t>(page / 8 + 10);
    EXPECT_EQ(xioctl(rw.get(), KDEMO_IOC_ADD_BATCH, &b), EFAULT);
    ::munmap(area, page);
    expect_unchanged();
}

TEST_F(AddBatch, OverflowInTheMiddleIsERANGEAndAddsNothing) {
    std::vector<int64_t> v{1, INT64_MAX, -100};
    EXPECT_EQ(add_batch(rw.get(), v), ERANGE);
    expect_unchanged();
}

using Reset = Ioctl;

TEST_F(Reset, ReadOnlyDescriptorIsEBADF) {
    EXPECT_EQ(reset(ro.get()), EBADF);
    expect_unchanged();
}

TEST_F(Reset, ZeroesSumAndCountButKeepsTheMessage) {
    ASSERT_EQ(reset(rw.get()), 0);
    Sum s = state();
    EXPECT_EQ(s.sum, 0);
    EXPECT_EQ(s.count, 0u);
    EXPECT_EQ(s.generation, before_.generation + 1);
    EXPECT_EQ(get_msg(rw.get()), "before");
}

using GetSum = Ioctl;

TEST_F(GetSum, WorksOnAReadOnlyDescriptor) {
    Sum s = get_sum(ro.get());
    EXPECT_EQ(s.sum, 7);
    EXPECT_EQ(s.count, 1u);
}

TEST_F(GetSum, BadPointerIsEFAULT) {
    EXPECT_EQ(xioctl(ro.get(), KDEMO_IOC_GET_SUM, kBadPointer), EFAULT);
}

using GetInfo = Ioctl;

TEST_F(GetInfo, ReportsEveryField) {
    kdemo_info a = get_info(ro.get());
    kdemo_info b = get_info(ro.get());
    EXPECT_EQ(a.size, sizeof(kdemo_info));
    EXPECT_EQ(a.abi_version, static_cast<uint32_t>(KDEMO_ABI_VERSION));
    EXPECT_STREQ(a.driver, "kdemo");
    EXPECT_STREQ(a.version, "1.0.0");
    EXPECT_STREQ(a.device, "kdemo0");
    EXPECT_EQ(a.msg_max, 4095u);
    EXPECT_EQ(a.msg_len, 6u);
    EXPECT_EQ(a.sum, 7);
    EXPECT_EQ(a.count, 1u);
    EXPECT_EQ(a.generation, before_.generation);
    EXPECT_EQ(a.opens, 2u);  // the fixture's rw and ro
    EXPECT_GT(a.ioctl_ops, 0u);
    EXPECT_NE(a.random, b.random) << "random must be fresh on every read";
}

TEST_F(GetInfo, SizeBelowTheFirstVersionIsEINVAL) {
    kdemo_info info{};
    info.size = KDEMO_INFO_SIZE_VER0 - 8;
    EXPECT_EQ(xioctl(ro.get(), KDEMO_IOC_GET_INFO, &info), EINVAL);
}

TEST_F(GetInfo, SizeAboveAPageIsEINVAL) {
    kdemo_info info{};
    info.size = 65536;
    EXPECT_EQ(xioctl(ro.get(), KDEMO_IOC_GET_INFO, &info), EINVAL);
}

TEST_F(GetInfo, LargerCallerStructGetsItsTailZeroed) {
    // a caller built against a future, larger kdemo_info
    struct {
        kdemo_info info;
        uint64_t future[4];
    } big;
    std::memset(&big, 0xa5, sizeof(big));
    big.info.size = sizeof(big);
    constexpr unsigned long cmd =
        _IOC(_IOC_READ | _IOC_WRITE, KDEMO_IOC_MAGIC, _IOC_NR(KDEMO_IOC_GET_INFO), sizeof(big));
    ASSERT_EQ(xioctl(ro.get(), cmd, &big), 0);
    EXPECT_EQ(big.info.size, sizeof(kdemo_info));
    EXPECT_STREQ(big.info.device, "kdemo0");
    for (uint64_t f : big.future)
        EXPECT_EQ(f, 0u);
}

TEST_F(GetInfo, BadPointerIsEFAULT) {
    EXPECT_EQ(xioctl(ro.get(), KDEMO_IOC_GET_INFO, kBadPointer), EFAULT);
}

using UnknownCommand = Ioctl;

TEST_F(UnknownCommand, IsENOTTY) {
    EXPECT_EQ(xioctl(rw.get(), _IO(KDEMO_IOC_MAGIC, 0xFF), 0UL), ENOTTY);
    EXPECT_EQ(xioctl(rw.get(), _IO(KDEMO_IOC_MAGIC, 0x08), 0UL), ENOTTY);
    expect_unchanged();
}

TEST_F(UnknownCommand, OtherMagicIsENOTTY) {
    kdemo_sum s{};
    constexpr unsigned long cmd = _IOR(0xDF, _IOC_NR(KDEMO_IOC_GET_SUM), kdemo_sum);
    EXPECT_EQ(xioctl(rw.get(), cmd, &s), ENOTTY);
}

TEST_F(UnknownCommand, KnownNumberWithAnotherSizeIsENOTTY) {
    uint32_t small = 0;
    constexpr unsigned long cmd = _IOR(KDEMO_IOC_MAGIC, _IOC_NR(KDEMO_IOC_GET_SUM), uint32_t);
    EXPECT_EQ(xioctl(rw.get(), cmd, &small), ENOTTY);
}

TEST_F(UnknownCommand, KnownNumberWithAnotherDirectionIsENOTTY) {
    constexpr unsigned long cmd = _IO(KDEMO_IOC_MAGIC, _IOC_NR(KDEMO_IOC_ADD));
    EXPECT_EQ(xioctl(rw.get(), cmd, 0UL), ENOTTY);
    expect_unchanged();
}

// The operation counters of info and stats/.
using Counters = KdemoTest;

TEST_F(Counters, IoctlOpsCountKnownCommandsIncludingFailedOnes) {
    uint64_t before = to_u64(read_value(sysfs_path("stats/ioctl_ops")));
    (void)get_sum(ro.get());
    EXPECT_EQ(add(ro.get(), 1), EBADF);
    EXPECT_EQ(xioctl(ro.get(), _IO(KDEMO_IOC_MAGIC, 0xFF), 0UL), ENOTTY);
    EXPECT_EQ(to_u64(read_value(sysfs_path("stats/ioctl_ops"))), before + 2);
}

TEST_F(Counters, SysfsOpsCountAttributeCallsButNotStatsReads) {
    uint64_t before = to_u64(read_value(sysfs_path("stats/sysfs_ops")));
    (void)read_file(sysfs_path("sum"));
    (void)read_file(sysfs_path("message"));
    ASSERT_EQ(write_file(sysfs_path("add"), "1"), 0);
    (void)read_file(sysfs_path("stats/opens"));
    EXPECT_EQ(to_u64(read_value(sysfs_path("stats/sysfs_ops"))), before + 3);
}

TEST_F(Counters, ProcOpsCountReadsAtOffsetZeroAndWrites) {
    uint64_t before = to_u64(read_value(sysfs_path("stats/proc_ops")));
    (void)read_file(proc_path("count"), 1);  // one generation, many 1-byte reads
    ASSERT_EQ(write_file(proc_path("sum"), "1"), 0);
    EXPECT_EQ(to_u64(read_value(sysfs_path("stats/proc_ops"))), before + 2);
}

TEST_F(Counters, OpensFollowOpenDescriptors) {
    EXPECT_EQ(to_u64(read_value(sysfs_path("stats/opens"))), 2u);
    {
        Fd third = open_file(node_path(), O_RDONLY);
        EXPECT_EQ(to_u64(read_value(sysfs_path("stats/opens"))), 3u);
        EXPECT_EQ(get_info(third.get()).opens, 3u);
    }
    EXPECT_EQ(to_u64(read_value(sysfs_path("stats/opens"))), 2u);
}

}  // namespace
}  // namespace kt
