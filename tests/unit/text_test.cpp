// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>

#include <cerrno>
#include <climits>

#include "text.hpp"

namespace kctl::detail {
namespace {

struct number_case {
    const char* text;
    int err;
    std::int64_t value;
};

class ParseI64 : public testing::TestWithParam<number_case> {};

TEST_P(ParseI64, AcceptsOnlyDecimalSigned64) {
    const number_case& c = GetParam();
    std::int64_t v = 12345;
    EXPECT_EQ(parse_i64(c.text, v), c.err) << '"' << c.text << '"';
    EXPECT_EQ(v, c.err == 0 ? c.value : 12345) << "written only on success";
}

INSTANTIATE_TEST_SUITE_P(
    Table, ParseI64,
    testing::Values(number_case{"0", 0, 0}, number_case{"42", 0, 42}, number_case{"-42", 0, -42},
                    number_case{"+42", 0, 42}, number_case{"007", 0, 7},
                    number_case{"9223372036854775807", 0, INT64_MAX},
                    number_case{"-9223372036854775808", 0, INT64_MIN},
                    number_case{"9223372036854775808", ERANGE, 0},
                    number_case{"-9223372036854775809", ERANGE, 0}, number_case{"", EINVAL, 0},
                    number_case{"-", EINVAL, 0}, number_case{"+", EINVAL, 0},
                    number_case{"+-1", EINVAL, 0}, number_case{"--1", EINVAL, 0},
                    number_case{"12d34", EINVAL, 0}, number_case{"0x10", EINVAL, 0},
                    number_case{"1e3", EINVAL, 0}, number_case{" 1", EINVAL, 0},
                    number_case{"1 ", EINVAL, 0}, number_case{"1\n", EINVAL, 0},
                    number_case{"1.0", EINVAL, 0}));

TEST(ParseU64, RejectsNegativeNumbers) {
    std::uint64_t v = 0;
    EXPECT_EQ(parse_u64("-1", v), EINVAL);
    EXPECT_EQ(parse_u64("18446744073709551615", v), 0);
    EXPECT_EQ(v, UINT64_MAX);
    EXPECT_EQ(parse_u64("18446744073709551616", v), ERANGE);
}

TEST(StripNewline, RemovesExactlyOneTrailingNewline) {
    EXPECT_EQ(strip_newline("hi\n"), "hi");
    EXPECT_EQ(strip_newline("hi\n\n"), "hi\n");
    EXPECT_EQ(strip_newline("hi"), "hi");
    EXPECT_EQ(strip_newline("\n"), "");
    EXPECT_EQ(strip_newline(""), "");
}

TEST(ParseReply, WantsOneNumberAndOneNewline) {
    std::int64_t v = 0;
    EXPECT_EQ(parse_i64_reply("-17\n", v), 0);
    EXPECT_EQ(v, -17);
    EXPECT_EQ(parse_i64_reply("-17", v), EPROTO);
    EXPECT_EQ(parse_i64_reply("-17\n\n", v), EPROTO);
    EXPECT_EQ(parse_i64_reply("\n", v), EPROTO);
    EXPECT_EQ(parse_i64_reply("x\n", v), EPROTO);
    std::uint64_t u = 0;
    EXPECT_EQ(parse_u64_reply("99\n", u), 0);
    EXPECT_EQ(u, 99U);
    EXPECT_EQ(parse_u64_reply("-1\n", u), EPROTO);
}

TEST(FormatValues, SeparatesBySpaceAndEndsInNewline) {
    std::string out;
    const std::int64_t values[] = {1, -2, INT64_MIN, INT64_MAX};
    format_values(values, out);
    EXPECT_EQ(out, "1 -2 -9223372036854775808 9223372036854775807\n");
    EXPECT_LE(std::string("-9223372036854775808 ").size(), max_value_text);
}

TEST(FormatValues, RoundTripsThroughTheParser) {
    std::string out;
    const std::int64_t values[] = {-5};
    format_values(values, out);
    std::int64_t back = 0;
    EXPECT_EQ(parse_i64_reply(out, back), 0);
    EXPECT_EQ(back, -5);
}

}  // namespace
}  // namespace kctl::detail
