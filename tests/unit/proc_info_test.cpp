// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>

#include <cerrno>

#include "info_data.hpp"
#include "text.hpp"

namespace kctl::detail {
namespace {

const std::string good =
    "driver: kdemo\n"
    "version: 1.0.0\n"
    "abi: 1\n"
    "device: kdemo0\n"
    "msg_max: 4095\n"
    "msg_len: 2\n"
    "sum: -7\n"
    "count: 3\n"
    "generation: 12\n"
    "opens: 1\n"
    "ioctl_ops: 100\n"
    "sysfs_ops: 5\n"
    "proc_ops: 6\n"
    "netlink_ops: 7\n"
    "uring_ops: 8\n"
    "random: 18446744073709551615\n";

std::string replace(std::string text, const std::string& from, const std::string& to) {
    text.replace(text.find(from), from.size(), to);
    return text;
}

TEST(ProcInfo, ParsesEveryField) {
    info_data d;
    ASSERT_EQ(parse_info_text(good, d), 0);
    EXPECT_EQ(d.present, all_info_fields);
    EXPECT_EQ(d.text[index(info_field::driver)], "kdemo");
    EXPECT_EQ(d.text[index(info_field::version)], "1.0.0");
    EXPECT_EQ(d.text[index(info_field::device)], "kdemo0");
    EXPECT_EQ(d.num[index(info_field::abi)], 1U);
    EXPECT_EQ(d.num[index(info_field::msg_max)], 4095U);
    EXPECT_EQ(d.num[index(info_field::msg_len)], 2U);
    EXPECT_EQ(static_cast<std::int64_t>(d.num[index(info_field::sum)]), -7);
    EXPECT_EQ(d.num[index(info_field::count)], 3U);
    EXPECT_EQ(d.num[index(info_field::generation)], 12U);
    EXPECT_EQ(d.num[index(info_field::opens)], 1U);
    EXPECT_EQ(d.num[index(info_field::ioctl_ops)], 100U);
    EXPECT_EQ(d.num[index(info_field::sysfs_ops)], 5U);
    EXPECT_EQ(d.num[index(info_field::proc_ops)], 6U);
    EXPECT_EQ(d.num[index(info_field::netlink_ops)], 7U);
    EXPECT_EQ(d.num[index(info_field::uring_ops)], 8U);
    EXPECT_EQ(d.num[index(info_field::random)], UINT64_MAX);
}

TEST(ProcInfo, SkipsKeysAddedByANewerModule) {
    info_data d;
    EXPECT_EQ(parse_info_text(good + "future_field: 9\n", d), 0);
    EXPECT_EQ(parse_info_text("new_key: x\n" + good, d), 0);
}

TEST(ProcInfo, AcceptsAnyOrder) {
    info_data d;
    const std::string first = "driver: kdemo\n";
    EXPECT_EQ(parse_info_text(good.substr(first.size()) + first, d), 0);
    EXPECT_EQ(d.text[index(info_field::driver)], "kdemo");
}

struct bad_case {
    const char* name;
    std::string text;
};

class ProcInfoRejects : public testing::TestWithParam<bad_case> {};

TEST_P(ProcInfoRejects, WithEprotoAndLeavesTheOutputAlone) {
    info_data d;
    d.set(info_field::count, 77);
    EXPECT_EQ(parse_info_text(GetParam().text, d), EPROTO);
    EXPECT_EQ(d.present, 1U << index(info_field::count));
    EXPECT_EQ(d.num[index(info_field::count)], 77U);
}

INSTANTIATE_TEST_SUITE_P(
    Table, ProcInfoRejects,
    testing::Values(bad_case{"Empty", ""},
                    bad_case{"NoFinalNewline", good.substr(0, good.size() - 1)},
                    bad_case{"MissingKey", replace(good, "opens: 1\n", "")},
                    bad_case{"DuplicateKey", good + "sum: 1\n"},
                    bad_case{"NoSpaceAfterColon", replace(good, "count: 3", "count:3")},
                    bad_case{"TwoSpacesAfterColon", replace(good, "count: 3", "count:  3")},
                    bad_case{"NoColon", replace(good, "count: 3", "count 3")},
                    bad_case{"EmptyKey", good + ": 3\n"},
                    bad_case{"UpperCaseKey", good + "Count: 3\n"},
                    bad_case{"EmptyValue", replace(good, "driver: kdemo", "driver: ")},
                    bad_case{"HexNumber", replace(good, "count: 3", "count: 0x3")},
                    bad_case{"TrailingJunk", replace(good, "count: 3", "count: 3 ")},
                    bad_case{"NegativeCount", replace(good, "count: 3", "count: -3")},
                    bad_case{"SumOutOfRange", replace(good, "sum: -7", "sum: 9223372036854775808")},
                    bad_case{"AbiOver32Bits", replace(good, "abi: 1", "abi: 4294967296")},
                    bad_case{"BlankLine", good + "\n"}),
    [](const testing::TestParamInfo<bad_case>& p) { return p.param.name; });

}  // namespace
}  // namespace kctl::detail
