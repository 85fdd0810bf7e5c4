// Every error of the spec through libkctl: the right errno, a message that
// names device, transport and operation, and no change to the device.
#include <gtest/gtest.h>
#include <kctl/kctl.hpp>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "kctl/fixture.hpp"

namespace kt {
namespace {

using kctl::operation;
using T = kctl::transport_kind;

std::string one_name(const ::testing::TestParamInfo<T>& info) {
    return name_of(info.param);
}

// Everything a failed operation must leave alone.
struct Untouched {
    Sum sum;
    std::string message;
    uint64_t ioctl_ops, sysfs_ops, proc_ops;
};

// One failed call and what it must say.
struct Failure {
    int err = 0;
    std::string what;
    std::string transport;
};

class LibkctlError : public KctlTest, public ::testing::WithParamInterface<T> {
  protected:
    Untouched snapshot() {
        return {state(), get_msg(ro.get()), stat_counter("ioctl_ops"), stat_counter("sysfs_ops"),
                stat_counter("proc_ops")};
    }
    void expect_unchanged(const Untouched& before) {
        Untouched now = snapshot();
        EXPECT_EQ(now.sum.generation, before.sum.generation);
        EXPECT_EQ(now.sum.sum, before.sum.sum);
        EXPECT_EQ(now.sum.count, before.sum.count);
        EXPECT_EQ(now.message, before.message);
    }
    static Failure fail(const std::function<void()>& fn) {
        Failure f;
        try {
            fn();
        } catch (const kctl::error& e) {
            f.err = e.code().value();
            f.what = e.what();
            f.transport = e.transport();
        }
        return f;
    }
    // "kdemo0: TRANSPORT: OP: strerror(err)"
    static std::string message(T kind, const char* op, int err) {
        return "kdemo0: " + name_of(kind) + ": " + op + ": " + std::strerror(err);
    }
    // the transport that must have answered (automatic: ioctl, for root)
    T answering() const { return GetParam() == T::automatic ? T::ioctl : GetParam(); }
};

// --- EMSGSIZE / EFBIG: messages too long ----------------------------------------

TEST_P(LibkctlError, MessageLongerThanMsgMaxIsEMSGSIZE) {
    ASSERT_EQ(set_msg(rw.get(), "before"), 0);
    Untouched before = snapshot();
    kctl::device d = open_with(GetParam());
    Failure f = fail([&] { d.set_msg(std::string(kKctlConfig.msg_max + 1, 'm')); });
    if (GetParam() == T::sysfs) {
        EXPECT_EQ(f.err, EFBIG) << "sysfs cannot carry it, whatever msg_max says";
        EXPECT_EQ(f.what, message(T::sysfs, "set-msg", EFBIG));
    } else {
        EXPECT_EQ(f.err, EMSGSIZE);
        EXPECT_EQ(f.what, message(answering(), "set-msg", EMSGSIZE));
    }
    expect_unchanged(before);
}

// --- ERANGE: the sum would leave int64 ---------------------------------------------

TEST_P(LibkctlError, OverflowIsERANGEAndAddsNothing) {
    ASSERT_EQ(add(rw.get(), INT64_MAX - 1), 0);
    Untouched before = snapshot();
    kctl::device d = open_with(GetParam());
    for (const std::vector<int64_t>& values :
         {std::vector<int64_t>{2}, {1, 1}, {-5, 1, 1, 1, 1, 1, 1, 1}, {1, 1, -100}}) {
        Failure f = fail([&] { d.add(values); });
        EXPECT_EQ(f.err, ERANGE) << values.size() << " values";
        EXPECT_EQ(f.what, message(answering(), "add", ERANGE));
    }
    expect_unchanged(before);
}

TEST_P(LibkctlError, UnderflowIsERANGEAndAddsNothing) {
    ASSERT_EQ(add(rw.get(), INT64_MIN), 0);
    Untouched before = snapshot();
    kctl::device d = open_with(GetParam());
    Failure f = fail([&] { d.add(-1); });
    EXPECT_EQ(f.err, ERANGE);
    EXPECT_EQ(f.what, message(answering(), "add", ERANGE));
    expect_unchanged(before);
}

// --- E2BIG / EINVAL: the length of a list ------------------------------------------

TEST_P(LibkctlError, MoreThanBatchMaxValuesIsE2BIGAndSendsNothing) {
    Untouched before = snapshot();
    kctl::device d = open_with(GetParam());
    Failure f = fail([&] { d.add(std::vector<int64_t>(kctl::batch_max + 1, 1)); });
    EXPECT_EQ(f.err, E2BIG);
    EXPECT_EQ(f.what, message(GetParam(), "add", E2BIG));
    EXPECT_EQ(stat_counter("ioctl_ops"), before.ioctl_ops) << "refused before sending";
    EXPECT_EQ(stat_counter("sysfs_ops"), before.sysfs_ops);
    EXPECT_EQ(stat_counter("proc_ops"), before.proc_ops);
    expect_unchanged(before);
}

TEST_P(LibkctlError, EmptyListIsEINVALAndSendsNothing) {
    Untouched before = snapshot();
    kctl::device d = open_with(GetParam());
    Failure f = fail([&] { d.add(std::vector<int64_t>{}); });
    EXPECT_EQ(f.err, EINVAL);
    EXPECT_EQ(f.what, message(GetParam(), "add", EINVAL));
    EXPECT_EQ(stat_counter("ioctl_ops"), before.ioctl_ops) << "refused before sending";
    EXPECT_EQ(stat_counter("sysfs_ops"), before.sysfs_ops);
    EXPECT_EQ(stat_counter("proc_ops"), before.proc_ops);
    expect_unchanged(before);
}

INSTANTIATE_TEST_SUITE_P(Libkctl, LibkctlError,
                         ::testing::Values(T::ioctl, T::sysfs, T::proc, T::automatic), one_name);

// sysfs is left out: 4096 values do not fit in one page of text (next test).
using LibkctlBatchMax = LibkctlError;

TEST_P(LibkctlBatchMax, BatchMaxValuesAreOneChange) {
    Sum before = state();
    kctl::device d = open_with(GetParam());
    d.add(std::vector<int64_t>(kctl::batch_max, -3));
    Sum after = state();
    EXPECT_EQ(after.sum, -3 * static_cast<int64_t>(kctl::batch_max));
    EXPECT_EQ(after.count, kctl::batch_max);
    EXPECT_EQ(after.generation, before.generation + 1);
}

INSTANTIATE_TEST_SUITE_P(Libkctl, LibkctlBatchMax,
                         ::testing::Values(T::ioctl, T::proc, T::automatic), one_name);

using LibkctlSysfsLimit = LibkctlError;

TEST_F(LibkctlSysfsLimit, AddLongerThanAPageIsEFBIGAndWritesNothing) {
    Untouched before = snapshot();
    kctl::device d = open_with(T::sysfs);
    // 4096 values of "-1 ": over 4095 bytes of text
    Failure f = fail([&] { d.add(std::vector<int64_t>(kctl::batch_max, -1)); });
    EXPECT_EQ(f.err, EFBIG);
    EXPECT_EQ(f.what, message(T::sysfs, "add", EFBIG));
    EXPECT_EQ(stat_counter("sysfs_ops"), before.sysfs_ops) << "nothing reached the driver";
    expect_unchanged(before);
}

TEST_F(LibkctlSysfsLimit, ReadingAMessageLongerThan4094IsEFBIG) {
    ASSERT_EQ(set_msg(rw.get(), std::string(kctl::sysfs_msg_max + 1, 'r')), 0);
    kctl::device d = open_with(T::sysfs);
    Failure f = fail([&] { (void)d.get_msg(); });
    EXPECT_EQ(f.err, EFBIG) << "the kernel's answer";
    EXPECT_EQ(f.what, message(T::sysfs, "get-msg", EFBIG));
}

TEST_F(LibkctlSysfsLimit, WritingAMessageLongerThan4094IsEFBIGAndWritesNothing) {
    ASSERT_EQ(set_msg(rw.get(), "before"), 0);
    Untouched before = snapshot();
    kctl::device d = open_with(T::sysfs);
    Failure f = fail([&] { d.set_msg(std::string(kctl::sysfs_msg_max + 1, 'w')); });
    EXPECT_EQ(f.err, EFBIG);
    EXPECT_EQ(f.what, message(T::sysfs, "set-msg", EFBIG));
    EXPECT_EQ(stat_counter("sysfs_ops"), before.sysfs_ops) << "refused before writing";
    expect_unchanged(before);
}

// --- parse_number: the library's text rules are the kernel's -----------------------

struct Token {
    const char* test_name;
    const char* text;
    int err;  // what both must say
};

class LibkctlParseNumber : public KctlTest, public ::testing::WithParamInterface<Token> {};

TEST_P(LibkctlParseNumber, AgreesWithTheKernel) {
    const Token& t = GetParam();
    int64_t value = 12345;
    EXPECT_EQ(kctl::parse_number(t.text, value), t.err) << "libkctl";
    if (t.err) {
        EXPECT_EQ(value, 12345) << "written only on success";
    }
    Sum before = state();
    // the kernel's verdict on the same token, written raw to proc sum
    EXPECT_EQ(write_file(proc_path("sum"), t.text), t.err) << "kernel";
    Sum after = state();
    if (t.err) {
        EXPECT_EQ(after.generation, before.generation) << "a refused token adds nothing";
    } else {
        EXPECT_EQ(after.sum, value);
        EXPECT_EQ(after.count, 1u);
    }
}

INSTANTIATE_TEST_SUITE_P(
    Libkctl, LibkctlParseNumber,
    ::testing::Values(Token{"Decimal", "42", 0}, Token{"Negative", "-42", 0},
                      Token{"ExplicitPlus", "+42", 0}, Token{"Max", "9223372036854775807", 0},
                      Token{"Min", "-9223372036854775808", 0},
                      Token{"PastMax", "9223372036854775808", ERANGE},
                      Token{"PastMin", "-9223372036854775809", ERANGE},
                      Token{"HexDigitInside", "12d34", EINVAL}, Token{"Hex", "0x10", EINVAL},
                      Token{"Exponent", "1e3", EINVAL}, Token{"Empty", "", EINVAL},
                      Token{"SignOnly", "-", EINVAL}, Token{"TwoSigns", "+-1", EINVAL},
                      Token{"Fraction", "1.5", EINVAL}, Token{"Word", "ten", EINVAL}),
    [](const auto& info) { return std::string(info.param.test_name); });

// --- a closed device -------------------------------------------------------------------

TEST_F(LibkctlSysfsLimit, ClosedDeviceIsEBADF) {
    kctl::device d = kctl::device::open("0");
    EXPECT_TRUE(d);
    d.close();
    EXPECT_FALSE(d);
    for (operation op : kctl::all_operations)
        EXPECT_EQ(run_op(d, op), EBADF) << name_of(op);
    kctl::device never;
    EXPECT_EQ(run_op(never, operation::sum), EBADF);
}

}  // namespace
}  // namespace kt
