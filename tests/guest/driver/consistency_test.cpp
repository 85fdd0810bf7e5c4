// One state, three transports: whatever writes a value, every reader —
// ioctl, sysfs, proc, the info block of each and the mmap snapshot — sees
// exactly the same state afterwards.
#include <gtest/gtest.h>

#include <functional>
#include <ostream>
#include <vector>

#include "common/kdemo.hpp"
#include "common/state_view.hpp"

namespace kt {

void PrintTo(const View& v, std::ostream* os) {
    *os << "{message '" << v.message << "', sum " << v.sum << ", count " << v.count
        << ", generation " << v.generation << ", msg_len " << v.msg_len << "}";
}

bool operator==(const View& a, const View& b) {
    return a.message == b.message && a.sum == b.sum && a.count == b.count &&
           a.generation == b.generation && a.msg_len == b.msg_len;
}

namespace {

// Every reader agrees with @expected.
void expect_everywhere(const View& expected) {
    for (const auto& [reader, view] : read_all_views())
        EXPECT_EQ(view, expected) << "as read through " << reader;
}

struct Writer {
    std::string name;
    // Performs the change on the device open as @rw; returns 0 or errno.
    std::function<int(int rw)> write;
    // How many generations the change takes.
    uint64_t generations;
};

std::string writer_name(const ::testing::TestParamInfo<Writer>& info) {
    return info.param.name;
}

const std::string kMessage = "hello, kdemo";

std::vector<Writer> message_writers() {
    return {
        {"ioctl", [](int rw) { return set_msg(rw, kMessage); }, 1},
        {"sysfs", [](int) { return write_file(sysfs_path("message"), kMessage + "\n"); }, 1},
        {"sysfsWithoutNewline", [](int) { return write_file(sysfs_path("message"), kMessage); }, 1},
        {"proc", [](int) { return write_file(proc_path("message"), kMessage + "\n"); }, 1},
        {"procWithoutNewline", [](int) { return write_file(proc_path("message"), kMessage); }, 1},
    };
}

const std::vector<int64_t> kValues = {5, -7, 1000000000000};
constexpr int64_t kValuesSum = 999999999998;

std::vector<Writer> add_writers() {
    return {
        {"ioctlAdd",
         [](int rw) {
             for (int64_t v : kValues)
                 if (int err = add(rw, v))
                     return err;
             return 0;
         },
         3},
        {"ioctlAddBatch", [](int rw) { return add_batch(rw, kValues); }, 1},
        {"sysfsAdd", [](int) { return write_file(sysfs_path("add"), "5 -7 1000000000000\n"); }, 1},
        {"procSum", [](int) { return write_file(proc_path("sum"), "5\t-7\n1000000000000"); }, 1},
    };
}

std::vector<Writer> reset_writers() {
    return {
        {"ioctl", [](int rw) { return reset(rw); }, 1},
        {"sysfs", [](int) { return write_file(sysfs_path("reset"), "1\n"); }, 1},
        {"proc", [](int) { return write_file(proc_path("reset"), "1"); }, 1},
    };
}

class MessageSetThrough : public KdemoTest, public ::testing::WithParamInterface<Writer> {};

TEST_P(MessageSetThrough, ReadsBackIdenticallyEverywhere) {
    Sum before = state();
    ASSERT_EQ(GetParam().write(rw.get()), 0);
    expect_everywhere(
        {kMessage, 0, 0, before.generation + GetParam().generations, kMessage.size()});
}

INSTANTIATE_TEST_SUITE_P(Consistency, MessageSetThrough, ::testing::ValuesIn(message_writers()),
                         writer_name);

class ValuesAddedThrough : public KdemoTest, public ::testing::WithParamInterface<Writer> {};

TEST_P(ValuesAddedThrough, SumAndCountReadBackIdenticallyEverywhere) {
    ASSERT_EQ(set_msg(rw.get(), "kept"), 0);
    Sum before = state();
    ASSERT_EQ(GetParam().write(rw.get()), 0);
    expect_everywhere(
        {"kept", kValuesSum, kValues.size(), before.generation + GetParam().generations, 4});
}

INSTANTIATE_TEST_SUITE_P(Consistency, ValuesAddedThrough, ::testing::ValuesIn(add_writers()),
                         writer_name);

class ResetThrough : public KdemoTest, public ::testing::WithParamInterface<Writer> {};

TEST_P(ResetThrough, ZeroesSumAndCountEverywhereAndKeepsTheMessage) {
    ASSERT_EQ(set_msg(rw.get(), "kept"), 0);
    ASSERT_EQ(add_batch(rw.get(), kValues), 0);
    Sum before = state();
    ASSERT_EQ(GetParam().write(rw.get()), 0);
    expect_everywhere({"kept", 0, 0, before.generation + 1, 4});
}

INSTANTIATE_TEST_SUITE_P(Consistency, ResetThrough, ::testing::ValuesIn(reset_writers()),
                         writer_name);

using Message = KdemoTest;

TEST_F(Message, EndingInNewlineRoundTripsThroughTextWithOneExtraNewline) {
    ASSERT_EQ(write_file(sysfs_path("message"), "two\nlines\n\n"), 0);
    EXPECT_EQ(get_msg(rw.get()), "two\nlines\n");
    EXPECT_EQ(read_file(sysfs_path("message")).data, "two\nlines\n\n");
    EXPECT_EQ(read_file(proc_path("message")).data, "two\nlines\n\n");
}

TEST_F(Message, ArbitraryBytesSetThroughIoctlReadBackRawThroughText) {
    const std::string bytes("a\0b\xff\t c", 7);
    ASSERT_EQ(set_msg(rw.get(), bytes), 0);
    EXPECT_EQ(get_msg(rw.get()), bytes);
    EXPECT_EQ(read_file(sysfs_path("message")).data, bytes + "\n");
    EXPECT_EQ(read_file(proc_path("message")).data, bytes + "\n");
}

TEST_F(Message, EmptyMessageReadsAsOneNewline) {
    ASSERT_EQ(set_msg(rw.get(), "x"), 0);
    ASSERT_EQ(write_file(proc_path("message"), "\n"), 0);
    EXPECT_EQ(get_msg(rw.get()), "");
    EXPECT_EQ(read_file(sysfs_path("message")).data, "\n");
    EXPECT_EQ(get_info(rw.get()).msg_len, 0u);
}

TEST_F(Message, ExactlyMsgMaxBytesIsAcceptedEverywhere) {
    const std::string max(4095, 'm');
    ASSERT_EQ(set_msg(rw.get(), max), 0);
    EXPECT_EQ(get_msg(rw.get()), max);
    ASSERT_EQ(write_file(proc_path("message"), max + "\n"), 0);
    EXPECT_EQ(read_file(proc_path("message")).data, max + "\n");
}

using Generation = KdemoTest;

TEST_F(Generation, CountsEveryChangeAndNothingElse) {
    Sum s0 = state();
    (void)get_msg(rw.get());
    (void)read_file(sysfs_path("sum"));
    (void)read_file(proc_path("info"));
    EXPECT_EQ(state().generation, s0.generation) << "reads must not count as changes";
    ASSERT_EQ(set_msg(rw.get(), "same"), 0);
    ASSERT_EQ(set_msg(rw.get(), "same"), 0);
    ASSERT_EQ(add(rw.get(), 0), 0);
    ASSERT_EQ(reset(rw.get()), 0);
    EXPECT_EQ(state().generation, s0.generation + 4);
    EXPECT_EQ(to_u64(read_value(sysfs_path("generation"))), s0.generation + 4);
}

}  // namespace
}  // namespace kt
