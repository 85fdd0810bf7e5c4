// SPDX-License-Identifier: GPL-2.0-or-later
// Every command's --json against its schema (docs/schema/kctl-COMMAND.json, as kctl embeds
// it): the documents the output functions make, and those kctl prints without a device
// (list, udev --dry-run, a batch whose device is missing, schema). The guest test
// (tests/guest/kctl/json_schema_test.cpp) runs every command against the real module.
#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "info_data.hpp"
#include "json_schema_check.hpp"
#include "make.hpp"
#include "output.hpp"
#include "run_kctl.hpp"
#include "schemas.hpp"

namespace kctl::cli {
namespace {

using test::lines;
using test::result;
using test::run_kctl;

nlohmann::json schema_of(std::string_view command) {
    for (const json_schema& s : json_schemas())
        if (s.command == command)
            return nlohmann::json::parse(s.text);
    ADD_FAILURE() << "no schema for " << command;
    return nlohmann::json::object();
}

void expect_valid(std::string_view command, const json& doc) {
    const nlohmann::json plain = nlohmann::json::parse(dump(doc));
    for (const std::string& e : kdemo::strict_schema_errors(schema_of(command), plain))
        ADD_FAILURE() << command << ": " << e << "\n  in " << plain.dump();
}

void expect_invalid(std::string_view command, const nlohmann::json& doc) {
    EXPECT_FALSE(kdemo::schema_errors(schema_of(command), doc).empty())
        << command << " accepts " << doc.dump();
}

kctl::info some_info(bool full) {
    auto d = std::make_shared<detail::info_data>();
    d->set(info_field::device, std::string("kdemo0"));
    d->set(info_field::sum, static_cast<std::uint64_t>(-7));
    d->set(info_field::msg_max, 4095);
    if (full) {
        d->set(info_field::driver, std::string("kdemo"));
        d->set(info_field::version, std::string("1.0.0"));
        for (const info_field f :
             {info_field::abi, info_field::msg_len, info_field::count, info_field::generation,
              info_field::opens, info_field::ioctl_ops, info_field::sysfs_ops, info_field::proc_ops,
              info_field::netlink_ops, info_field::uring_ops, info_field::random})
            d->set(f, 3);
    }
    return detail::make::info(d);
}

TEST(JsonSchema, EveryCommandWithJsonHasOneAndItNamesItsFormat) {
    std::set<std::string> names;
    for (const json_schema& s : json_schemas()) {
        SCOPED_TRACE(std::string(s.command));
        names.emplace(s.command);
        const nlohmann::json schema = nlohmann::json::parse(s.text);
        EXPECT_EQ(schema.at("$schema"), "https://json-schema.org/draft/2020-12/schema");
        const std::string format =
            s.command == "bench" ? "kdemo-bench" : "kctl-" + std::string(s.command);
        EXPECT_EQ(schema.at("properties").at("format").at("const"), format);
        if (s.command == "bench")  // version 2 now; 1 is still read (kctl bench --from)
            EXPECT_EQ(schema.at("properties").at("version").at("enum"),
                      nlohmann::json::array({1, 2}));
        else
            EXPECT_EQ(schema.at("properties").at("version").at("const"), 1);
        const nlohmann::json required = schema.at("required");
        EXPECT_NE(std::find(required.begin(), required.end(), "format"), required.end());
        EXPECT_NE(std::find(required.begin(), required.end(), "version"), required.end());
    }
    EXPECT_EQ(names, (std::set<std::string>{"list", "get-msg", "set-msg", "add", "sum", "reset",
                                            "info", "watch", "udev", "module", "batch", "bench"}));
}

TEST(JsonSchema, DocumentPutsFormatAndVersionFirst) {
    EXPECT_EQ(dump(document("sum", sum_json({-3, 2, 9}))),
              R"({"format":"kctl-sum","version":1,"sum":-3,"count":2,"generation":9})");
}

TEST(JsonSchema, DeviceCommandDocumentsValidate) {
    device_row r{"kdemo0", "/dev/kdemo0", 240, 0, {}};
    r.access[1] = {true, true};
    expect_valid("list", document("list", list_json({r, r})));
    expect_valid("list", document("list", list_json({})));
    expect_valid("get-msg", document("get-msg", msg_json(std::string("a\xff\0b", 4))));
    expect_valid("get-msg", document("get-msg", msg_json("")));
    expect_valid("set-msg", document("set-msg", set_msg_json("kdemo0", 0)));
    expect_valid("add", document("add", add_json("kdemo1", 3)));
    expect_valid("sum", document("sum", sum_json({INT64_MIN, 0, 0})));
    expect_valid("reset", document("reset", reset_json("kdemo0")));
    for (const bool full : {true, false})
        expect_valid("info", document("info", {{"info", info_json(some_info(full))}}));
    const kctl::state before{4, 1, 1, "a"};
    const kctl::state after{5, 3, 2, "\xff"};
    expect_valid("watch", document("watch", change_json(diff(before, after, {}))));
    expect_valid("watch", document("watch", change_json(diff(before, before, {}))));
    expect_valid("module", document("module", module_json("kdemo", true)));
}

TEST(JsonSchema, SchemasRejectWhatKctlMustNotPrint) {
    expect_invalid("sum", {{"format", "kctl-sum"}, {"version", 1}, {"sum", 1}, {"count", 1}});
    expect_invalid(
        "sum",
        {{"format", "kctl-info"}, {"version", 1}, {"sum", 1}, {"count", 1}, {"generation", 1}});
    expect_invalid("get-msg", {{"format", "kctl-get-msg"},
                               {"version", 2},
                               {"message", ""},
                               {"message_base64", ""},
                               {"length", 0}});
    expect_invalid("batch", {{"format", "kctl-batch"},
                             {"version", 1},
                             {"line", 1},
                             {"command", "sum"},
                             {"device", "kdemo0"},
                             {"transport", "uring"},
                             {"ok", false}});
    expect_invalid("batch", {{"format", "kctl-batch"},
                             {"version", 1},
                             {"line", 1},
                             {"command", "sum"},
                             {"device", "kdemo0"},
                             {"transport", "uring"},
                             {"ok", true}});
    const nlohmann::json extra = {
        {"format", "kctl-reset"}, {"version", 1}, {"device", "kdemo0"}, {"undocumented", 1}};
    EXPECT_TRUE(kdemo::schema_errors(schema_of("reset"), extra).empty())
        << "consumers must accept fields a newer kctl adds";
    EXPECT_FALSE(kdemo::strict_schema_errors(schema_of("reset"), extra).empty())
        << "but kctl itself prints only documented fields";
}

TEST(JsonSchema, ListPrintedValidates) {
    const result r = run_kctl({"--json", "list"});
    ASSERT_EQ(r.status, exit_ok) << r.err;
    expect_valid("list", json::parse(r.out));
}

TEST(JsonSchema, UdevDryRunPrintedValidates) {
    for (const char* what : {"install", "uninstall"}) {
        const result r = run_kctl({"--json", "udev", what, "--dry-run"});
        ASSERT_EQ(r.status, exit_ok) << r.err;
        expect_valid("udev", json::parse(r.out));
    }
}

TEST(JsonSchema, BatchErrorLinesValidateAndNameTheErrorPlainly) {
    const result r = run_kctl({"--json", "batch"}, "sum\n-d kdemo-nope get-msg\ninfo\n");
    EXPECT_EQ(r.status, exit_failure);
    const std::vector<std::string> l = lines(r.out);
    ASSERT_EQ(l.size(), 3u) << r.out;
    for (const std::string& line : l) {
        const json j = json::parse(line);
        expect_valid("batch", j);
        EXPECT_EQ(j.at("ok"), false);
        EXPECT_EQ(j.at("error"), "ENODEV");
        EXPECT_EQ(j.at("errno"), ENODEV);
        EXPECT_EQ(j.at("strerror"), std::strerror(ENODEV));
        EXPECT_FALSE(j.contains("message")) << "message is get-msg's field";
    }
}

TEST(JsonSchema, SchemaCommandPrintsEachAndListsThem) {
    result r = run_kctl({"schema"});
    ASSERT_EQ(r.status, exit_ok) << r.err;
    EXPECT_EQ(lines(r.out).size(), json_schemas().size());
    for (const json_schema& s : json_schemas()) {
        r = run_kctl({"schema", std::string(s.command)});
        EXPECT_EQ(r.status, exit_ok) << r.err;
        EXPECT_EQ(r.out, s.text);
    }
    EXPECT_EQ(run_kctl({"schema", "metrics"}).status, exit_usage) << "metrics has no --json";
}

}  // namespace
}  // namespace kctl::cli
