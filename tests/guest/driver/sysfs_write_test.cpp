// Writes to the sysfs attributes as a shell or a program makes them: one
// write(2) is one whole value; a second write on the same open file (what a
// split `cat` or a buffered writer makes) fails with EINVAL instead of
// passing for a value of its own, while pwrite at offset 0 on a kept-open
// file (what libkctl does) is a whole value every time. And the limits of a
// page: writes of a page or more are E2BIG, reads of a message that does not
// fit are EFBIG, and 1-byte reads reassemble the text.
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>

#include "common/kdemo.hpp"

namespace kt {
namespace {

// pwrite(2) at offset 0: 0 or errno.
int pwrite0(int fd, std::string_view data) {
    ssize_t n = ::pwrite(fd, data.data(), data.size(), 0);
    if (n < 0)
        return errno;
    return static_cast<size_t>(n) == data.size() ? 0 : EIO;
}

using SysfsSplitWrite = KdemoTest;

TEST_F(SysfsSplitWrite, SecondWriteToMessageIsEINVALAndKeepsTheFirst) {
    Fd fd = open_file(sysfs_path("message"), O_WRONLY);
    ASSERT_EQ(write_fd(fd.get(), "first"), 0);
    const Sum before = state();
    EXPECT_EQ(write_fd(fd.get(), "second"), EINVAL);
    EXPECT_EQ(get_msg(rw.get()), "first");
    EXPECT_EQ(state().generation, before.generation) << "a refused write changes nothing";
}

TEST_F(SysfsSplitWrite, SecondWriteToAddIsEINVALAndAddsNothing) {
    Fd fd = open_file(sysfs_path("add"), O_WRONLY);
    ASSERT_EQ(write_fd(fd.get(), "1 2"), 0);
    EXPECT_EQ(write_fd(fd.get(), "3"), EINVAL);
    const Sum s = state();
    EXPECT_EQ(s.sum, 3) << "only the first write's 1 + 2";
    EXPECT_EQ(s.count, 2u);
}

TEST_F(SysfsSplitWrite, SecondWriteToResetIsEINVALAndResetsNothing) {
    Fd fd = open_file(sysfs_path("reset"), O_WRONLY);
    ASSERT_EQ(add(rw.get(), 5), 0);
    ASSERT_EQ(write_fd(fd.get(), "1"), 0);
    EXPECT_EQ(state().sum, 0);
    ASSERT_EQ(add(rw.get(), 5), 0);
    EXPECT_EQ(write_fd(fd.get(), "1"), EINVAL);
    EXPECT_EQ(state().sum, 5);
    EXPECT_EQ(state().count, 1u);
}

TEST_F(SysfsSplitWrite, PwriteAtOffsetZeroIsAWholeValueEveryTime) {
    Fd message = open_file(sysfs_path("message"), O_WRONLY);
    Fd add_file = open_file(sysfs_path("add"), O_WRONLY);
    Fd reset_file = open_file(sysfs_path("reset"), O_WRONLY);
    ASSERT_EQ(pwrite0(message.get(), "one"), 0);
    ASSERT_EQ(pwrite0(message.get(), "two\n"), 0);
    EXPECT_EQ(get_msg(rw.get()), "two");
    ASSERT_EQ(pwrite0(add_file.get(), "1 2"), 0);
    ASSERT_EQ(pwrite0(add_file.get(), "3"), 0);
    EXPECT_EQ(state().sum, 6);
    EXPECT_EQ(state().count, 3u);
    ASSERT_EQ(pwrite0(reset_file.get(), "1"), 0);
    ASSERT_EQ(add(rw.get(), 9), 0);
    ASSERT_EQ(pwrite0(reset_file.get(), "1\n"), 0);
    EXPECT_EQ(state().sum, 0);
    EXPECT_EQ(state().count, 0u);
}

// A write of a page or more is refused whole (sysfs hands the store one
// page of it, which cannot be told from a whole value).
class SysfsPageWrite : public KdemoTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(SysfsPageWrite, OfAPageOrMoreIsE2BIGAndChangesNothing) {
    ASSERT_EQ(set_msg(rw.get(), "kept"), 0);
    ASSERT_EQ(add(rw.get(), 11), 0);
    const Sum before = state();
    const std::string attr = GetParam();
    // @n bytes: a message, a list of ones, or "1" and blanks
    auto page_of = [&](size_t n) {
        std::string s;
        if (attr == "message")
            s.assign(n, 'm');
        else if (attr == "add")
            while (s.size() < n)
                s += "1 ";
        else
            s = "1" + std::string(n - 1, ' ');
        s.resize(n);
        return s;
    };
    for (size_t n : {size_t{4096}, size_t{4097}, size_t{8192}, size_t{65536}}) {
        EXPECT_EQ(write_file(sysfs_path(attr), page_of(n)), E2BIG) << n << " bytes";
        const Sum after = state();
        EXPECT_EQ(after.generation, before.generation) << n << " bytes";
        EXPECT_EQ(after.sum, 11) << n << " bytes";
        EXPECT_EQ(get_msg(rw.get()), "kept") << n << " bytes";
    }
}

INSTANTIATE_TEST_SUITE_P(Sysfs, SysfsPageWrite, ::testing::Values("message", "add", "reset"),
                         [](const auto& info) { return std::string(info.param); });

// Messages longer than a sysfs read can carry (msg_max raised past a page).
class SysfsMessageRead : public KdemoTest {
  protected:
    ModuleConfig config() const override { return {.msg_max = 8192}; }
};

TEST_F(SysfsMessageRead, OneByteReadsReassembleTheLongestMessageItCarries) {
    std::string msg(4094, ' ');
    for (size_t i = 0; i < msg.size(); i++)
        msg[i] = static_cast<char>('a' + i % 26);
    ASSERT_EQ(set_msg(rw.get(), msg), 0);
    Io bytewise = read_file(sysfs_path("message"), 1);
    ASSERT_EQ(bytewise.err, 0) << std::strerror(bytewise.err);
    EXPECT_EQ(bytewise.data, msg + "\n");
}

TEST_F(SysfsMessageRead, LongerThanAPageIsEFBIGWhateverTheReadSize) {
    for (size_t len : {size_t{4096}, size_t{5000}, size_t{8192}}) {
        ASSERT_EQ(set_msg(rw.get(), std::string(len, 'x')), 0);
        EXPECT_EQ(read_file(sysfs_path("message")).err, EFBIG) << len << " bytes";
        EXPECT_EQ(read_file(sysfs_path("message"), 1).err, EFBIG) << len << " bytes, 1-byte reads";
    }
}

}  // namespace
}  // namespace kt
