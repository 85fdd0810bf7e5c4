// Every libkctl operation through every transport that offers it, each
// reading back what another transport wrote, and cross-checked with raw
// system calls (common/kdemo.hpp) so that a library bug cannot hide.
#include <gtest/gtest.h>
#include <kctl/kctl.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <tuple>
#include <vector>

#include "kctl/fixture.hpp"

namespace kt {
namespace {

using kctl::operation;
using kctl::transport_kind;
using T = transport_kind;

constexpr T kWriters[] = {T::ioctl, T::sysfs, T::proc, T::uring, T::automatic};
constexpr T kReaders[] = {T::mmap, T::ioctl, T::sysfs, T::proc, T::uring, T::automatic};
constexpr T kMsgReaders[] = {T::ioctl, T::sysfs, T::proc, T::uring, T::automatic};

// What automatic picks for root when nothing stands in the way.
T chosen(T requested, operation op) {
    if (requested != T::automatic)
        return requested;
    return op == operation::sum ? T::mmap : T::ioctl;
}

std::string pair_name(const ::testing::TestParamInfo<std::tuple<T, T>>& info) {
    return name_of(std::get<0>(info.param)) + "_to_" + name_of(std::get<1>(info.param));
}

std::string one_name(const ::testing::TestParamInfo<T>& info) {
    return name_of(info.param);
}

// --- message -------------------------------------------------------------------

class LibkctlMessage : public KctlTest, public ::testing::WithParamInterface<std::tuple<T, T>> {};

TEST_P(LibkctlMessage, ReaderGetsWhatTheWriterSet) {
    auto [w, r] = GetParam();
    Sum before = state();
    std::string msg = "set via " + name_of(w) + ", read via " + name_of(r) + "\twith a tab\n";
    kctl::device writer = open_with(w);
    writer.set_msg(msg);
    EXPECT_EQ(writer.last_transport(operation::set_msg), chosen(w, operation::set_msg));
    EXPECT_EQ(get_msg(ro.get()), msg) << "raw GET_MSG";
    EXPECT_EQ(state().generation, before.generation + 1) << "one set, one change";

    kctl::device reader = open_with(r);
    EXPECT_EQ(reader.get_msg(), msg);
    EXPECT_EQ(reader.last_transport(operation::get_msg), chosen(r, operation::get_msg));
}

INSTANTIATE_TEST_SUITE_P(Libkctl, LibkctlMessage,
                         ::testing::Combine(::testing::ValuesIn(kWriters),
                                            ::testing::ValuesIn(kMsgReaders)),
                         pair_name);

class LibkctlMessageOn : public KctlTest, public ::testing::WithParamInterface<T> {};

TEST_P(LibkctlMessageOn, EmptyMessageRoundTrips) {
    ASSERT_EQ(set_msg(rw.get(), "not empty"), 0);
    kctl::device d = open_with(GetParam());
    d.set_msg("");
    EXPECT_EQ(get_msg(ro.get()), "");
    EXPECT_EQ(d.get_msg(), "");
}

TEST_P(LibkctlMessageOn, MessageOfOnlyNewlinesRoundTrips) {
    kctl::device d = open_with(GetParam());
    d.set_msg("\n\n");
    EXPECT_EQ(get_msg(ro.get()), "\n\n");
    EXPECT_EQ(d.get_msg(), "\n\n");
}

// sysfs carries 4094 bytes; the others up to msg_max.
TEST_P(LibkctlMessageOn, LargestMessageItCarriesRoundTrips) {
    size_t largest = GetParam() == T::sysfs ? kctl::sysfs_msg_max : kKctlConfig.msg_max;
    std::string msg(largest, 'L');
    msg.front() = '<';
    msg.back() = '>';
    kctl::device d = open_with(GetParam());
    d.set_msg(msg);
    EXPECT_EQ(get_msg(ro.get()), msg);
    EXPECT_EQ(d.get_msg(), msg);
}

INSTANTIATE_TEST_SUITE_P(Libkctl, LibkctlMessageOn, ::testing::ValuesIn(kMsgReaders), one_name);

TEST_F(LibkctlMessage, IoctlCarriesEveryByteValue) {
    std::string bytes;
    for (int i = 0; i < 256; i++)
        bytes.push_back(static_cast<char>(255 - i));
    bytes += std::string("\0\0", 2);
    kctl::device d = open_with(T::ioctl);
    d.set_msg(bytes);
    EXPECT_EQ(get_msg(ro.get()), bytes);
    EXPECT_EQ(d.get_msg(), bytes);
    EXPECT_EQ(kctl::device::open("0").get_msg(), bytes) << "automatic picks ioctl for bytes too";
}

TEST_F(LibkctlMessage, IoctlGetMsgFollowsAGrowingMessage) {
    kctl::device d = open_with(T::ioctl);
    for (size_t len : {1ul, 4096ul, 4097ul, 8192ul, 10ul, 8000ul}) {
        std::string msg(len, static_cast<char>('a' + len % 26));
        ASSERT_EQ(set_msg(rw.get(), msg), 0);
        EXPECT_EQ(d.get_msg(), msg) << len << " bytes";
    }
}

// --- accumulator ---------------------------------------------------------------

class LibkctlAccumulator : public KctlTest,
                           public ::testing::WithParamInterface<std::tuple<T, T>> {};

TEST_P(LibkctlAccumulator, SumReadsWhatTheWriterAdded) {
    auto [w, r] = GetParam();
    Sum before = state();
    kctl::device writer = open_with(w);
    writer.add(std::vector<int64_t>{5, -7, 100});
    writer.add(1);
    EXPECT_EQ(writer.last_transport(operation::add), chosen(w, operation::add));
    Sum raw = state();
    EXPECT_EQ(raw.sum, 99);
    EXPECT_EQ(raw.count, 4u);
    EXPECT_EQ(raw.generation, before.generation + 2) << "a list is one change";

    kctl::device reader = open_with(r);
    kctl::sum_result s = reader.sum();
    EXPECT_EQ(reader.last_transport(operation::sum), chosen(r, operation::sum));
    EXPECT_EQ(s.sum, raw.sum);
    EXPECT_EQ(s.count, raw.count);
    EXPECT_EQ(s.generation, raw.generation);
}

INSTANTIATE_TEST_SUITE_P(Libkctl, LibkctlAccumulator,
                         ::testing::Combine(::testing::ValuesIn(kWriters),
                                            ::testing::ValuesIn(kReaders)),
                         pair_name);

class LibkctlAccumulatorOn : public KctlTest, public ::testing::WithParamInterface<T> {};

TEST_P(LibkctlAccumulatorOn, ResetZeroesSumAndCountAndKeepsTheMessage) {
    ASSERT_EQ(set_msg(rw.get(), "kept"), 0);
    ASSERT_EQ(add(rw.get(), 42), 0);
    Sum before = state();
    kctl::device d = open_with(GetParam());
    d.reset();
    Sum after = state();
    EXPECT_EQ(after.sum, 0);
    EXPECT_EQ(after.count, 0u);
    EXPECT_EQ(after.generation, before.generation + 1);
    EXPECT_EQ(get_msg(ro.get()), "kept");
}

TEST_P(LibkctlAccumulatorOn, AddsTheExtremesOfInt64) {
    kctl::device d = open_with(GetParam());
    // partial sums: MAX, -1, MIN, -1: every one in range
    d.add(std::vector<int64_t>{INT64_MAX, INT64_MIN, INT64_MIN + 1, INT64_MAX});
    Sum s = state();
    EXPECT_EQ(s.sum, -1);
    EXPECT_EQ(s.count, 4u);
    d.add(INT64_MIN + 1);
    EXPECT_EQ(state().sum, INT64_MIN);
    EXPECT_EQ(d.sum().sum, INT64_MIN);
}

INSTANTIATE_TEST_SUITE_P(Libkctl, LibkctlAccumulatorOn, ::testing::ValuesIn(kWriters), one_name);

// --- info ----------------------------------------------------------------------

class LibkctlInfo : public KctlTest, public ::testing::WithParamInterface<T> {};

TEST_P(LibkctlInfo, MatchesGetInfo) {
    ASSERT_EQ(set_msg(rw.get(), "seven b"), 0);
    ASSERT_EQ(add_batch(rw.get(), std::vector<int64_t>{-40, -2}), 0);
    kctl::device d = open_with(GetParam());
    kctl::info first = d.info();
    kctl::info i = d.info();
    kdemo_info raw = get_info(ro.get());
    EXPECT_EQ(d.last_transport(operation::info), chosen(GetParam(), operation::info));

    bool partial = GetParam() == T::sysfs;  // no driver, version, abi, msg_len
    using F = kctl::info_field;
    for (F f : {F::driver, F::version, F::abi, F::msg_len})
        EXPECT_EQ(i.has(f), !partial) << kctl::to_string(f);
    for (F f : {F::device, F::msg_max, F::sum, F::count, F::generation, F::opens, F::ioctl_ops,
                F::sysfs_ops, F::proc_ops, F::netlink_ops, F::uring_ops, F::random})
        EXPECT_TRUE(i.has(f)) << kctl::to_string(f);
    if (!partial) {
        EXPECT_EQ(i.driver(), raw.driver);
        EXPECT_EQ(i.version(), raw.version);
        EXPECT_EQ(i.abi_version(), raw.abi_version);
        EXPECT_EQ(i.msg_len(), 7u);
    }
    EXPECT_EQ(i.device(), "kdemo0");
    EXPECT_EQ(i.msg_max(), kKctlConfig.msg_max);
    EXPECT_EQ(i.sum(), -42);
    EXPECT_EQ(i.count(), 2u);
    EXPECT_EQ(i.generation(), raw.generation);
    EXPECT_EQ(i.opens(), raw.opens) << "no descriptor came or went in between";
    // the counters only grow, and raw GET_INFO came after
    EXPECT_LE(i.ioctl_ops(), raw.ioctl_ops);
    EXPECT_LE(i.sysfs_ops(), raw.sysfs_ops);
    EXPECT_LE(i.proc_ops(), raw.proc_ops);
    EXPECT_NE(first.random(), i.random()) << "a fresh random number on every read";
}

INSTANTIATE_TEST_SUITE_P(Libkctl, LibkctlInfo, ::testing::ValuesIn(kMsgReaders), one_name);

// --- what a transport does not offer ------------------------------------------------

struct Unsupported {
    T kind;
    operation op;
};

class LibkctlUnsupported : public KctlTest, public ::testing::WithParamInterface<Unsupported> {};

TEST_P(LibkctlUnsupported, IsEOPNOTSUPPNamingDeviceTransportAndOperation) {
    auto [kind, op] = GetParam();
    Sum before = state();
    kctl::device d = open_with(kind);
    try {
        switch (op) {
            case operation::get_msg:
                (void)d.get_msg();
                break;
            case operation::set_msg:
                d.set_msg("x");
                break;
            case operation::add:
                d.add(1);
                break;
            case operation::reset:
                d.reset();
                break;
            case operation::info:
                (void)d.info();
                break;
            case operation::watch:
                (void)d.watch();
                break;
            case operation::sum:
                (void)d.sum();
                break;
        }
        ADD_FAILURE() << "no error";
    } catch (const kctl::error& e) {
        EXPECT_EQ(e.code().value(), EOPNOTSUPP);
        EXPECT_EQ(std::string(e.what()), "kdemo0: " + name_of(kind) + ": " + name_of(op) + ": " +
                                             std::strerror(EOPNOTSUPP));
        EXPECT_EQ(e.device(), "kdemo0");
        EXPECT_EQ(e.transport(), name_of(kind));
        EXPECT_EQ(e.op(), name_of(op));
    }
    EXPECT_EQ(state().generation, before.generation);
}

INSTANTIATE_TEST_SUITE_P(Libkctl, LibkctlUnsupported,
                         ::testing::Values(Unsupported{T::mmap, operation::get_msg},
                                           Unsupported{T::mmap, operation::set_msg},
                                           Unsupported{T::mmap, operation::add},
                                           Unsupported{T::mmap, operation::reset},
                                           Unsupported{T::mmap, operation::info},
                                           Unsupported{T::mmap, operation::watch},
                                           Unsupported{T::proc, operation::watch}),
                         [](const auto& info) {
                             std::string op = name_of(info.param.op);
                             op.erase(std::remove(op.begin(), op.end(), '-'), op.end());
                             return name_of(info.param.kind) + "_" + op;
                         });

}  // namespace
}  // namespace kt
