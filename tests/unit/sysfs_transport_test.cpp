// SPDX-License-Identifier: GPL-2.0-or-later
// The sysfs transport against a fake directory tree: file formats, offset-0 reads and writes,
// newline handling, the size limit. (A fake tree tests the library, never the driver.)
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>

#include "info_data.hpp"
#include "temp_dir.hpp"
#include "transport.hpp"

namespace kctl::detail {
namespace {

class SysfsTransport : public testing::Test {
  protected:
    SysfsTransport() {
        for (const char* f : {"message", "add", "reset"})
            dir.write(f, "");
        dir.write("sum", "-5\n");
        dir.write("count", "2\n");
        dir.write("generation", "9\n");
        dir.write("msg_max", "4095\n");
        dir.write("random", "123\n");
        dir.write("stats/opens", "1\n");
        dir.write("stats/ioctl_ops", "2\n");
        dir.write("stats/sysfs_ops", "3\n");
        dir.write("stats/proc_ops", "4\n");
        dir.write("stats/netlink_ops", "5\n");
        dir.write("stats/uring_ops", "6\n");
    }

    test::temp_dir dir;
    std::unique_ptr<transport> t = make_sysfs_transport(dir.path(), "kdemo0");
};

TEST_F(SysfsTransport, GetMsgStripsExactlyOneNewline) {
    std::string msg;
    dir.write("message", "hi\n\n");
    ASSERT_EQ(t->get_msg(msg), 0);
    EXPECT_EQ(msg, "hi\n");
    dir.write("message", "\n");
    ASSERT_EQ(t->get_msg(msg), 0);
    EXPECT_EQ(msg, "");
}

TEST_F(SysfsTransport, GetMsgWithoutNewlineIsEproto) {
    std::string msg;
    dir.write("message", "hi");
    EXPECT_EQ(t->get_msg(msg), EPROTO);
}

TEST_F(SysfsTransport, ReadsAgainFromOffsetZeroOnTheSameDescriptor) {
    std::string msg;
    dir.write("message", "first\n");
    ASSERT_EQ(t->get_msg(msg), 0);
    dir.write("message", "second\n");
    ASSERT_EQ(t->get_msg(msg), 0);
    EXPECT_EQ(msg, "second");
}

TEST_F(SysfsTransport, KeepsDescriptorsOpen) {
    std::string msg;
    dir.write("message", "kept\n");
    ASSERT_EQ(t->get_msg(msg), 0);
    ASSERT_EQ(::unlink((dir / "message").c_str()), 0);
    ASSERT_EQ(t->get_msg(msg), 0);
    EXPECT_EQ(msg, "kept");
}

TEST_F(SysfsTransport, SetMsgAppendsOneNewlineAtOffsetZero) {
    ASSERT_EQ(t->set_msg("hello"), 0);
    EXPECT_EQ(dir.read("message"), "hello\n");
    ASSERT_EQ(t->set_msg("ab"), 0);  // a regular file keeps the tail: the write was at 0
    EXPECT_EQ(dir.read("message"), "ab\nlo\n");
}

TEST_F(SysfsTransport, MessageEndingInNewlineRoundTrips) {
    ASSERT_EQ(t->set_msg("line\n"), 0);
    EXPECT_EQ(dir.read("message"), "line\n\n");
    std::string msg;
    ASSERT_EQ(t->get_msg(msg), 0);
    EXPECT_EQ(msg, "line\n");
}

TEST_F(SysfsTransport, SetMsgOverLimitIsEfbigAndWritesNothing) {
    EXPECT_EQ(t->set_msg(std::string(sysfs_msg_max + 1, 'x')), EFBIG);
    EXPECT_EQ(dir.read("message"), "");
    ASSERT_EQ(t->set_msg(std::string(sysfs_msg_max, 'x')), 0);
    EXPECT_EQ(dir.read("message").size(), sysfs_msg_max + 1);
}

TEST_F(SysfsTransport, AddWritesSpaceSeparatedValues) {
    const std::int64_t values[] = {1, -2, 3};
    ASSERT_EQ(t->add(values), 0);
    EXPECT_EQ(dir.read("add"), "1 -2 3\n");
}

TEST_F(SysfsTransport, AddOverOnePageIsEfbigAndWritesNothing) {
    const std::vector<std::int64_t> values(1000, -1000000);  // 9 bytes each
    EXPECT_EQ(t->add(values), EFBIG);
    EXPECT_EQ(dir.read("add"), "");
}

TEST_F(SysfsTransport, ResetWritesOne) {
    ASSERT_EQ(t->reset(), 0);
    EXPECT_EQ(dir.read("reset"), "1\n");
}

TEST_F(SysfsTransport, SumReadsSumCountAndGeneration) {
    sum_result r;
    ASSERT_EQ(t->sum(r), 0);
    EXPECT_EQ(r.sum, -5);
    EXPECT_EQ(r.count, 2U);
    EXPECT_EQ(r.generation, 9U);
}

TEST_F(SysfsTransport, MalformedNumberIsEproto) {
    dir.write("count", "12d34\n");
    sum_result r;
    EXPECT_EQ(t->sum(r), EPROTO);
}

TEST_F(SysfsTransport, MissingAttributeIsEnoent) {
    ::unlink((dir / "sum").c_str());
    sum_result r;
    EXPECT_EQ(t->sum(r), ENOENT);
}

TEST_F(SysfsTransport, InfoIsPartial) {
    info_data d;
    ASSERT_EQ(t->info(d), 0);
    for (const info_field f :
         {info_field::driver, info_field::version, info_field::abi, info_field::msg_len})
        EXPECT_FALSE(d.has(f)) << to_string(f);
    EXPECT_EQ(d.text[index(info_field::device)], "kdemo0");
    EXPECT_EQ(static_cast<std::int64_t>(d.num[index(info_field::sum)]), -5);
    EXPECT_EQ(d.num[index(info_field::msg_max)], 4095U);
    EXPECT_EQ(d.num[index(info_field::opens)], 1U);
    EXPECT_EQ(d.num[index(info_field::ioctl_ops)], 2U);
    EXPECT_EQ(d.num[index(info_field::sysfs_ops)], 3U);
    EXPECT_EQ(d.num[index(info_field::proc_ops)], 4U);
    EXPECT_EQ(d.num[index(info_field::random)], 123U);
    EXPECT_EQ(
        d.present,
        all_info_fields & ~((1U << index(info_field::driver)) | (1U << index(info_field::version)) |
                            (1U << index(info_field::abi)) | (1U << index(info_field::msg_len))));
}

}  // namespace
}  // namespace kctl::detail
