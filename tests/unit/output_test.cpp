// SPDX-License-Identifier: GPL-2.0-or-later
// The shapes of kctl's output: JSON fields and types, and the matching text.
#include <gtest/gtest.h>

#include "info_data.hpp"
#include "make.hpp"
#include "output.hpp"

namespace kctl::cli {
namespace {

using std::chrono::system_clock;

system_clock::time_point at(long long seconds, long long micros = 0) {
    return system_clock::time_point(std::chrono::seconds(seconds)) +
           std::chrono::microseconds(micros);
}

kctl::info full_info() {
    auto d = std::make_shared<detail::info_data>();
    d->set(info_field::driver, std::string("kdemo"));
    d->set(info_field::version, std::string("1.0.0"));
    d->set(info_field::device, std::string("kdemo0"));
    d->set(info_field::abi, 1);
    d->set(info_field::msg_max, 4095);
    d->set(info_field::msg_len, 2);
    d->set(info_field::sum, static_cast<std::uint64_t>(-7));
    for (const info_field f : {info_field::count, info_field::generation, info_field::opens,
                               info_field::ioctl_ops, info_field::sysfs_ops, info_field::proc_ops,
                               info_field::netlink_ops, info_field::uring_ops, info_field::random})
        d->set(f, 3);
    return detail::make::info(d);
}

TEST(ListOutput, JsonHasNodeNumbersAndTransportAccess) {
    device_row r{"kdemo0", "/dev/kdemo0", 240, 0, {}};
    r.access[1] = {true, false};  // ioctl
    const json j = list_json({r});
    const json& d = j.at("devices").at(0);
    EXPECT_EQ(d.at("name"), "kdemo0");
    EXPECT_EQ(d.at("node"), "/dev/kdemo0");
    EXPECT_TRUE(d.at("major").is_number_unsigned());
    EXPECT_EQ(d.at("major"), 240);
    EXPECT_EQ(d.at("minor"), 0);
    EXPECT_EQ(d.at("transports").at("ioctl"), json({{"read", true}, {"write", false}}));
    EXPECT_EQ(d.at("transports").at("mmap").at("read"), false);
    std::vector<std::string> keys;
    for (const auto& [k, v] : d.at("transports").items())
        keys.push_back(k);
    EXPECT_EQ(keys,
              (std::vector<std::string>{"mmap", "ioctl", "sysfs", "proc", "netlink", "uring"}));
}

TEST(ListOutput, TextHasTheSameFields) {
    device_row r{"kdemo0", "/dev/kdemo0", 240, 3, {}};
    r.access[0] = {true, false};
    r.access[1] = {true, true};
    r.access[3] = {false, true};
    r.access[4] = {true, false};
    const std::string t = list_text({r});
    EXPECT_NE(t.find("kdemo0     /dev/kdemo0      240:3     mmap:r ioctl:rw sysfs:- proc:w "
                     "netlink:r uring:-\n"),
              std::string::npos)
        << t;
}

TEST(ListOutput, NoDevicesIsAnEmptyArray) {
    EXPECT_EQ(dump(list_json({})), R"({"devices":[]})");
}

TEST(MsgOutput, HasMessageAndLength) {
    EXPECT_EQ(dump(msg_json("hi")), R"({"message":"hi","message_base64":"aGk=","length":2})");
}

TEST(MsgOutput, Base64IsRfc4648) {
    // RFC 4648, section 10
    const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                           {"f", "Zg=="},
                                                           {"fo", "Zm8="},
                                                           {"foo", "Zm9v"},
                                                           {"foob", "Zm9vYg=="},
                                                           {"fooba", "Zm9vYmE="},
                                                           {"foobar", "Zm9vYmFy"}};
    for (const auto& [in, out] : vectors)
        EXPECT_EQ(base64(in), out) << in;
    EXPECT_EQ(base64(std::string("\x00\xff\xfe", 3)), "AP/+");
}

TEST(MsgOutput, BytesThatAreNotUtf8DoNotBreakTheDocument) {
    const std::string out = dump(msg_json(std::string("a\xff", 2)));
    EXPECT_EQ(out, "{\"message\":\"a\xEF\xBF\xBD\",\"message_base64\":\"Yf8=\",\"length\":2}");
}

TEST(SumOutput, NumbersAreNumbers) {
    const json j = sum_json({-3, 2, 9});
    EXPECT_EQ(dump(j), R"({"sum":-3,"count":2,"generation":9})");
    EXPECT_EQ(sum_text({-3, 2, 9}), "sum: -3\ncount: 2\ngeneration: 9\n");
}

TEST(InfoOutput, JsonHasEveryKeyOfTheProcFileInOrder) {
    const json j = info_json(full_info());
    std::vector<std::string> keys;
    for (const auto& [k, v] : j.items())
        keys.push_back(k);
    EXPECT_EQ(keys, (std::vector<std::string>{"driver", "version", "abi", "device", "msg_max",
                                              "msg_len", "sum", "count", "generation", "opens",
                                              "ioctl_ops", "sysfs_ops", "proc_ops", "netlink_ops",
                                              "uring_ops", "random"}));
    EXPECT_EQ(j.at("driver"), "kdemo");
    EXPECT_EQ(j.at("sum"), -7);
    EXPECT_TRUE(j.at("sum").is_number_integer());
    EXPECT_TRUE(j.at("msg_max").is_number_unsigned());
}

TEST(InfoOutput, TextIsKeyValueLines) {
    const std::string t = info_text(full_info());
    EXPECT_EQ(t.substr(0, t.find("msg_len")),
              "driver: kdemo\nversion: 1.0.0\nabi: 1\ndevice: kdemo0\nmsg_max: 4095\n");
    EXPECT_NE(t.find("\nsum: -7\n"), std::string::npos);
}

TEST(InfoOutput, MissingFieldsAreNullAndDash) {
    auto d = std::make_shared<detail::info_data>();
    d->set(info_field::device, std::string("kdemo0"));
    d->set(info_field::sum, 5);
    const kctl::info partial = detail::make::info(d);
    const json j = info_json(partial);
    EXPECT_TRUE(j.at("driver").is_null());
    EXPECT_TRUE(j.at("msg_len").is_null());
    EXPECT_EQ(j.at("sum"), 5);
    EXPECT_EQ(j.size(), info_field_count);
    EXPECT_NE(info_text(partial).find("driver: -\n"), std::string::npos);
}

TEST(WatchOutput, JsonLineHasTimeGenerationWhatChangedAndValues) {
    const kctl::state before{4, 1, 1, "a"};
    const kctl::state now{5, 3, 2, "a"};
    const change c = diff(before, now, at(1700000000, 42));
    EXPECT_EQ(
        dump(change_json(c)),
        R"({"time":"2023-11-14T22:13:20.000042Z","generation":5,)"
        R"("changed":["sum","count"],"message":"a","message_base64":"YQ==","sum":3,"count":2})");
    EXPECT_EQ(change_text(c), "2023-11-14T22:13:20.000042Z generation 5: sum=3 count=2\n");
}

TEST(WatchOutput, MessageChangeIsQuoted) {
    const change c = diff({1, 0, 0, "a"}, {2, 0, 0, "x\"y\n\x01"}, at(0));
    EXPECT_EQ(change_text(c),
              "1970-01-01T00:00:00.000000Z generation 2: message=\"x\\\"y\\n\\x01\"\n");
    EXPECT_EQ(change_json(c).at("changed"), json::array({"message"}));
}

TEST(WatchOutput, GenerationOnlyChangeSaysSo) {
    const change c = diff({1, 0, 0, "a"}, {2, 0, 0, "a"}, at(0));
    EXPECT_EQ(change_text(c), "1970-01-01T00:00:00.000000Z generation 2: no visible change\n");
    EXPECT_TRUE(change_json(c).at("changed").empty());
}

}  // namespace
}  // namespace kctl::cli
