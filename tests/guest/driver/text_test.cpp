// The text conventions of sysfs and proc: strict numbers, whole writes,
// newline handling and reads of any size.
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cctype>
#include <cerrno>
#include <climits>
#include <cstring>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "common/kdemo.hpp"

namespace kt {
namespace {

// The two files that add numbers: sysfs "add" and proc "sum".
struct AddFile {
    const char* name;
    std::string path;
};

std::vector<AddFile> add_files() {
    return {{"sysfsAdd", sysfs_path("add")}, {"procSum", proc_path("sum")}};
}

struct BadInput {
    const char* name;
    std::string_view text;
    int err;
};

const BadInput kBadInputs[] = {
    {"EmbeddedLetter", "12d34", EINVAL},
    {"Hex", "0x10", EINVAL},
    {"Exponent", "1e3", EINVAL},
    {"OnlyNewline", "\n", EINVAL},
    {"OnlyBlanks", " \t \n", EINVAL},
    {"LoneMinus", "-", EINVAL},
    {"DoubleSign", "--5", EINVAL},
    {"Decimal", "1.5", EINVAL},
    {"CommaSeparated", "1,2", EINVAL},
    {"GoodThenBad", "1 2 x", EINVAL},
    {"CarriageReturn", "5\r\n", EINVAL},
    {"NulByte", std::string_view("5\0", 2), EINVAL},
    {"PastInt64Max", "9223372036854775808", ERANGE},
    {"PastInt64Min", "-9223372036854775809", ERANGE},
    {"HugeThenBad", "99999999999999999999x", EINVAL},
};

class TextAdd : public KdemoTest,
                public ::testing::WithParamInterface<std::tuple<AddFile, BadInput>> {};

TEST_P(TextAdd, RejectsBadInputAndChangesNothing) {
    const auto& [file, bad] = GetParam();
    ASSERT_EQ(add(rw.get(), 42), 0);
    Sum before = state();
    const std::string text(bad.text);
    EXPECT_EQ(write_file(file.path, text), bad.err) << "input '" << text << "'";
    Sum after = state();
    EXPECT_EQ(after.sum, before.sum);
    EXPECT_EQ(after.count, before.count);
    EXPECT_EQ(after.generation, before.generation);
}

INSTANTIATE_TEST_SUITE_P(Text, TextAdd,
                         ::testing::Combine(::testing::ValuesIn(add_files()),
                                            ::testing::ValuesIn(kBadInputs)),
                         [](const auto& info) {
                             return std::string(std::get<0>(info.param).name) + "_" +
                                    std::get<1>(info.param).name;
                         });

class TextAddGood : public KdemoTest, public ::testing::WithParamInterface<AddFile> {};

TEST_P(TextAddGood, AcceptsSignsLeadingZerosAndEveryBlank) {
    ASSERT_EQ(write_file(GetParam().path, "+7 -2\t007\n-0 \n"), 0);
    Sum s = state();
    EXPECT_EQ(s.sum, 12);
    EXPECT_EQ(s.count, 4u);
}

TEST_P(TextAddGood, AcceptsBothInt64Extremes) {
    ASSERT_EQ(write_file(GetParam().path, "9223372036854775807"), 0);
    EXPECT_EQ(state().sum, INT64_MAX);
    ASSERT_EQ(reset(rw.get()), 0);
    ASSERT_EQ(write_file(GetParam().path, "-9223372036854775808\n"), 0);
    EXPECT_EQ(state().sum, INT64_MIN);
}

TEST_P(TextAddGood, OverflowIsERANGEAndAddsNothing) {
    ASSERT_EQ(add(rw.get(), INT64_MAX - 1), 0);
    Sum before = state();
    EXPECT_EQ(write_file(GetParam().path, "1 1"), ERANGE);
    Sum after = state();
    EXPECT_EQ(after.sum, before.sum);
    EXPECT_EQ(after.count, before.count);
    EXPECT_EQ(after.generation, before.generation);
    EXPECT_EQ(write_file(GetParam().path, "1"), 0);
    EXPECT_EQ(state().sum, INT64_MAX);
}

TEST_P(TextAddGood, NegativeOverflowIsERANGE) {
    ASSERT_EQ(add(rw.get(), INT64_MIN), 0);
    EXPECT_EQ(write_file(GetParam().path, "-1"), ERANGE);
    EXPECT_EQ(state().sum, INT64_MIN);
    EXPECT_EQ(state().count, 1u);
}

TEST_P(TextAddGood, ListIsAddedInOrderAllOrNothing) {
    // the partial sum overflows at the first value although the total would fit
    EXPECT_EQ(write_file(GetParam().path, "9223372036854775807 1 -5"), ERANGE);
    EXPECT_EQ(state().count, 0u);
    EXPECT_EQ(write_file(GetParam().path, "9223372036854775807 -5 1"), 0);
    EXPECT_EQ(state().sum, INT64_MAX - 4);
    EXPECT_EQ(state().count, 3u);
}

INSTANTIATE_TEST_SUITE_P(Text, TextAddGood, ::testing::ValuesIn(add_files()),
                         [](const auto& info) { return std::string(info.param.name); });

std::string repeat(const std::string& s, size_t n) {
    std::string out;
    for (size_t i = 0; i < n; i++)
        out += s;
    return out;
}

using ProcSum = KdemoTest;

TEST_F(ProcSum, MoreThanBatchMaxValuesIsE2BIGAndAddsNothing) {
    EXPECT_EQ(write_file(proc_path("sum"), repeat("1 ", KDEMO_BATCH_MAX + 1)), E2BIG);
    EXPECT_EQ(state().count, 0u);
    EXPECT_EQ(write_file(proc_path("sum"), repeat("1 ", KDEMO_BATCH_MAX)), 0);
    EXPECT_EQ(state().count, static_cast<uint64_t>(KDEMO_BATCH_MAX));
}

TEST_F(ProcSum, ReadsTheSum) {
    ASSERT_EQ(add(rw.get(), -12), 0);
    EXPECT_EQ(read_file(proc_path("sum")).data, "-12\n");
}

using SysfsAdd = KdemoTest;

TEST_F(SysfsAdd, AlmostAPageOfValuesIsAccepted) {
    ASSERT_EQ(write_file(sysfs_path("add"), repeat("1 ", 2047) + "1"), 0);  // 4095 bytes
    EXPECT_EQ(state().count, 2048u);
}

TEST_F(SysfsAdd, APageOrMoreIsE2BIGRatherThanSplitIntoTwoWrites) {
    // kernfs would pass the first page and report a short write: the rest
    // would arrive as a second write, cutting a number in two
    EXPECT_EQ(write_file(sysfs_path("add"), repeat("1 ", 2048)), E2BIG);
    EXPECT_EQ(write_file(sysfs_path("add"), repeat("12345 ", 1000)), E2BIG);
    EXPECT_EQ(state().count, 0u);
}

TEST_F(SysfsAdd, ZeroLengthWriteNeverReachesTheDriver) {
    // kernfs returns 0 for an empty write without calling the attribute
    Sum before = state();
    EXPECT_EQ(write_file(sysfs_path("add"), ""), 0);
    EXPECT_EQ(state().generation, before.generation);
}

// Every proc file that takes writes refuses an empty one.
class ProcEmptyWrite : public KdemoTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(ProcEmptyWrite, IsEINVALAndChangesNothing) {
    ASSERT_EQ(set_msg(rw.get(), "kept"), 0);
    Sum before = state();
    EXPECT_EQ(write_file(proc_path(GetParam()), ""), EINVAL);
    EXPECT_EQ(state().generation, before.generation);
    EXPECT_EQ(get_msg(rw.get()), "kept");
}

INSTANTIATE_TEST_SUITE_P(Text, ProcEmptyWrite, ::testing::Values("message", "sum", "reset"));

// Reset files take "1" and nothing else.
class ResetText : public KdemoTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(ResetText, AcceptsOnlyOne) {
    const std::string path = GetParam();
    ASSERT_EQ(add(rw.get(), 9), 0);
    for (const char* bad : {"2", "0", "11", "1 ", " 1", "one", "\n", "1\n\n"}) {
        EXPECT_EQ(write_file(path, bad), EINVAL) << "'" << bad << "'";
        EXPECT_EQ(state().sum, 9) << "'" << bad << "'";
    }
    EXPECT_EQ(write_file(path, "1\n"), 0);
    EXPECT_EQ(state().sum, 0);
    EXPECT_EQ(add(rw.get(), 9), 0);
    EXPECT_EQ(write_file(path, "1"), 0);
    EXPECT_EQ(state().sum, 0);
}

INSTANTIATE_TEST_SUITE_P(Text, ResetText,
                         ::testing::Values(sysfs_path("reset"), proc_path("reset")),
                         [](const auto& info) {
                             return info.param.find("/sys/") == 0 ? std::string("sysfs")
                                                                  : std::string("proc");
                         });

// A message longer than msg_max (4095) is refused whole: EMSGSIZE through
// proc; through sysfs such a write is a page or more, which sysfs refuses.
class TextMessage : public KdemoTest, public ::testing::WithParamInterface<std::string> {
  protected:
    int too_long_error() const { return GetParam().find("/sys/") == 0 ? E2BIG : EMSGSIZE; }
};

TEST_P(TextMessage, LongerThanMsgMaxIsRefusedAndChangesNothing) {
    ASSERT_EQ(set_msg(rw.get(), "kept"), 0);
    Sum before = state();
    EXPECT_EQ(write_file(GetParam(), std::string(4096, 'x')), too_long_error());
    EXPECT_EQ(write_file(GetParam(), std::string(4097, 'x') + "\n"), too_long_error());
    EXPECT_EQ(get_msg(rw.get()), "kept");
    EXPECT_EQ(state().generation, before.generation);
    EXPECT_EQ(write_file(GetParam(), std::string(4095, 'x')), 0);
    EXPECT_EQ(get_msg(rw.get()), std::string(4095, 'x'));
}

TEST_F(ProcSum, MsgMaxBytesPlusTheNewlineAreAcceptedThroughProc) {
    EXPECT_EQ(write_file(proc_path("message"), std::string(4095, 'x') + "\n"), 0);
    EXPECT_EQ(get_msg(rw.get()), std::string(4095, 'x'));
}

TEST_P(TextMessage, OnlyOneTrailingNewlineIsDropped) {
    ASSERT_EQ(write_file(GetParam(), "hi\n"), 0);
    EXPECT_EQ(get_msg(rw.get()), "hi");
    ASSERT_EQ(write_file(GetParam(), "hi\n\n"), 0);
    EXPECT_EQ(get_msg(rw.get()), "hi\n");
    ASSERT_EQ(write_file(GetParam(), "\nhi"), 0);
    EXPECT_EQ(get_msg(rw.get()), "\nhi");
}

INSTANTIATE_TEST_SUITE_P(Text, TextMessage,
                         ::testing::Values(sysfs_path("message"), proc_path("message")),
                         [](const auto& info) {
                             return info.param.find("/sys/") == 0 ? std::string("sysfs")
                                                                  : std::string("proc");
                         });

using ProcWrite = KdemoTest;

TEST_F(ProcWrite, SecondWriteOnTheSameFileIsEINVALAndLosesNothing) {
    Fd fd = open_file(proc_path("message"), O_WRONLY);
    ASSERT_EQ(write_fd(fd.get(), "first half "), 0);
    EXPECT_EQ(write_fd(fd.get(), "second half"), EINVAL);
    EXPECT_EQ(get_msg(rw.get()), "first half ");
}

TEST_F(ProcWrite, PwriteAtOffsetZeroWorksOnAKeptOpenFile) {
    Fd fd = open_file(proc_path("sum"), O_WRONLY);
    for (int i = 0; i < 3; i++)
        ASSERT_EQ(::pwrite(fd.get(), "2", 1, 0), 1);
    EXPECT_EQ(state().sum, 6);
}

TEST_F(ProcWrite, WriteAtNonZeroOffsetIsEINVAL) {
    Fd fd = open_file(proc_path("sum"), O_RDWR);
    EXPECT_EQ(::pwrite(fd.get(), "5", 1, 3), -1);
    EXPECT_EQ(errno, EINVAL);
    EXPECT_EQ(state().count, 0u);
    EXPECT_EQ(::pwrite(fd.get(), "5", 1, 0), 1);
    EXPECT_EQ(state().sum, 5);
}

TEST_F(ProcWrite, WriteOnlyFileCannotBeOpenedForReading) {
    EXPECT_EQ(try_open(proc_path("reset"), O_RDONLY), -EACCES);
}

TEST_F(ProcWrite, ReadOnlyFilesCannotBeOpenedForWriting) {
    EXPECT_EQ(try_open(proc_path("count"), O_WRONLY), -EACCES);
    EXPECT_EQ(try_open(proc_path("info"), O_WRONLY), -EACCES);
}

// Reading one byte at a time reassembles exactly the text of a whole read.
class OneByteReads : public KdemoTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(OneByteReads, ReassembleTheSameText) {
    std::string msg;
    for (int i = 0; i < 3000; i++)
        msg += static_cast<char>('a' + i % 26);
    ASSERT_EQ(set_msg(rw.get(), msg), 0);
    ASSERT_EQ(add_batch(rw.get(), std::vector<int64_t>{-123456789, 42}), 0);
    Io bytewise = read_file(GetParam(), 1);
    Io whole = read_file(GetParam());
    ASSERT_EQ(bytewise.err, 0);
    ASSERT_EQ(whole.err, 0);
    EXPECT_EQ(bytewise.data, whole.data);
    EXPECT_FALSE(whole.data.empty());
    EXPECT_EQ(whole.data.back(), '\n');
}

INSTANTIATE_TEST_SUITE_P(Text, OneByteReads,
                         ::testing::Values(sysfs_path("message"), sysfs_path("sum"),
                                           sysfs_path("count"), sysfs_path("generation"),
                                           sysfs_path("msg_max"), sysfs_path("stats/opens"),
                                           sysfs_path("stats/ioctl_ops"),
                                           sysfs_path("stats/sysfs_ops"),
                                           sysfs_path("stats/proc_ops"), proc_path("message"),
                                           proc_path("sum"), proc_path("count")),
                         [](const auto& info) {
                             std::string name = info.param.find("/sys/") == 0 ? "sysfs_" : "proc_";
                             for (char c : info.param.substr(info.param.rfind("kdemo0/") + 7))
                                 name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                             return name;
                         });

std::map<std::string, std::string> info_fields(const std::string& text) {
    std::map<std::string, std::string> kv;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line))
        kv[line.substr(0, line.find(": "))] = line.substr(line.find(": ") + 2);
    return kv;
}

TEST_F(OneByteReads, OfRandomAndInfoAreWellFormed) {
    Io random = read_file(sysfs_path("random"), 1);
    ASSERT_EQ(random.err, 0);
    EXPECT_NO_THROW(to_u64(random.data));

    Io bytewise = read_file(proc_path("info"), 1);
    Io whole = read_file(proc_path("info"));
    auto a = info_fields(bytewise.data), b = info_fields(whole.data);
    ASSERT_EQ(a.size(), 16u);  // netlink_ops and uring_ops since KDEMO_INFO_SIZE_VER1
    for (const auto& [key, value] : a) {
        if (key != "random" && key != "proc_ops") {
            EXPECT_EQ(value, b[key]) << key;
        }
    }
    EXPECT_EQ(to_u64(b["proc_ops"]), to_u64(a["proc_ops"]) + 1);
}

TEST_F(OneByteReads, ReadsAtAnyOffsetReturnTheRestOfTheText) {
    ASSERT_EQ(set_msg(rw.get(), "0123456789"), 0);
    for (const std::string& path : {sysfs_path("message"), proc_path("message")}) {
        Fd fd = open_file(path, O_RDONLY);
        char buf[32];
        ssize_t n = ::pread(fd.get(), buf, sizeof(buf), 4);
        ASSERT_EQ(n, 7) << path;
        EXPECT_EQ(std::string(buf, 7), "456789\n") << path;
    }
}

}  // namespace
}  // namespace kt
