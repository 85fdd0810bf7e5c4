// kctl bench against the module, with tiny durations: the JSON document validates against
// the schema kctl carries (docs/bench-schema.json), every planned row is there and sane, rows
// a user may not run are skipped with a note, and the device is left usable. No timing
// threshold anywhere: how fast things are is the benchmark's business, not the tests'.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "../../unit/bench_schema_check.hpp"
#include "kctl/fixture.hpp"

namespace kt {
namespace {

using json = nlohmann::json;

json parse_out(const Proc& p) {
    EXPECT_EQ(p.status, 0) << p.err;
    try {
        return json::parse(p.out);
    } catch (const json::exception& e) {
        ADD_FAILURE() << "not JSON: " << e.what() << ": " << p.out.substr(0, 500);
        return json::object();
    }
}

class KctlBench : public KctlTest {
  protected:
    // kctl bench --json with a tiny run; the schema and the plan of the same options.
    json bench(std::vector<std::string> args, const ExecOptions& options = {}) {
        std::vector<std::string> run = {"bench", "--json", "--duration", "1", "--samples", "3"};
        run.insert(run.end(), args.begin(), args.end());
        const Proc p = kctl(run, options);
        EXPECT_EQ(p.err, "") << "no progress line when stderr is not a terminal";
        json doc = parse_out(p);
        const json schema = parse_out(kctl({"bench", "--schema"}));
        for (const std::string& e : kdemo::schema_errors(schema, doc))
            ADD_FAILURE() << e;

        std::vector<std::string> list = {"--json", "bench", "--list"};
        list.insert(list.end(), args.begin(), args.end());
        const json plan = parse_out(kctl(list, options));
        std::vector<std::string> planned, got;
        for (const auto& r : plan["rows"])
            planned.push_back(r["id"]);
        for (const auto& r : doc["rows"])
            got.push_back(r["id"]);
        EXPECT_EQ(got, planned) << "every planned row, in order";
        return doc;
    }

    static void expect_sane(const json& row) {
        SCOPED_TRACE(row.dump());
        ASSERT_EQ(row["status"], "ok");
        for (const char* k : {"median_of_medians_ns", "median_of_means_ns", "group_p99_ns",
                              "min_sample_median_ns", "max_sample_median_ns", "ops_per_s"}) {
            ASSERT_TRUE(row[k].is_number()) << k;
            EXPECT_TRUE(std::isfinite(row[k].get<double>())) << k;
            EXPECT_GT(row[k].get<double>(), 0) << k;
        }
        EXPECT_GE(row["samples"].get<int>(), 3);
        // one median and one mean per sample, each between the row's extremes
        ASSERT_EQ(row["sample_medians_ns"].size(), row["samples"].get<std::size_t>());
        ASSERT_EQ(row["sample_means_ns"].size(), row["samples"].get<std::size_t>());
        for (const auto& m : row["sample_medians_ns"]) {
            EXPECT_GE(m.get<double>(), row["min_sample_median_ns"].get<double>());
            EXPECT_LE(m.get<double>(), row["max_sample_median_ns"].get<double>());
        }
        EXPECT_GE(row["ops"].get<long long>(), 1);
        if (!row["ratio_to_null_ioctl"].is_null()) {
            EXPECT_TRUE(std::isfinite(row["ratio_to_null_ioctl"].get<double>()));
            EXPECT_GT(row["ratio_to_null_ioctl"].get<double>(), 0);
        }
        if (!row["items"].is_null()) {
            EXPECT_GT(row["items_per_s"].get<double>(), 0);
        }
    }
};

TEST_F(KctlBench, EveryRowAsRoot) {
    ASSERT_EQ(set_msg(rw.get(), "before the bench"), 0);
    const json doc = bench({});
    ASSERT_TRUE(doc["rows"].is_array());
    std::set<std::string> sections;
    for (const auto& row : doc["rows"]) {
        sections.insert(row["section"]);
        expect_sane(row);
    }
    EXPECT_EQ(sections, (std::set<std::string>{"floor", "operation", "file", "batch", "message",
                                               "threads", "wakeup", "submit"}));
    for (const auto& t : doc["targets"]) {
        SCOPED_TRACE(t.dump());
        ASSERT_TRUE(t["ratio"].is_number()) << "every target measured";
        EXPECT_TRUE(std::isfinite(t["ratio"].get<double>()));
        ASSERT_TRUE(t["ci_low"].is_number() && t["ci_high"].is_number()) << "an interval";
        EXPECT_LE(t["ci_low"].get<double>(), t["ratio"].get<double>());
        EXPECT_GE(t["ci_high"].get<double>(), t["ratio"].get<double>());
        EXPECT_TRUE(t["verdict"] == "met" || t["verdict"] == "not-met" ||
                    t["verdict"] == "inconclusive");
    }
    const json& env = doc["environment"];
    EXPECT_EQ(env["device"]["name"], "kdemo0");
    EXPECT_EQ(env["device"]["msg_max"], kKctlConfig.msg_max);
    EXPECT_EQ(env["user"]["can_write"], true);
    EXPECT_FALSE(env["kernel"]["release"].get<std::string>().empty());
    EXPECT_FALSE(env["build_type"].get<std::string>().empty());
    EXPECT_TRUE(env["cpu"]["measuring_cpu"].is_number()) << "the measuring thread was pinned";
    EXPECT_FALSE(env["clock"]["group_clock_reason"].get<std::string>().empty());

    // Left usable: the message as it was, the accumulator reset, every transport working.
    EXPECT_EQ(get_msg(ro.get()), "before the bench");
    const Sum s = state();
    EXPECT_EQ(s.sum, 0);
    EXPECT_EQ(s.count, 0U);
    EXPECT_EQ(add(rw.get(), 5), 0);
    EXPECT_EQ(state().sum, 5);
    EXPECT_EQ(stat_counter("opens"), 2U) << "the bench closed every descriptor it opened";
}

TEST_F(KctlBench, FiltersAndTheTable) {
    const Proc p = kctl(
        {"bench", "--duration", "1", "--samples", "3", "--transports", "proc", "--ops", "info"});
    EXPECT_EQ(p.status, 0) << p.err;
    EXPECT_EQ(p.err, "");
    for (const char* want : {"null ioctl (ENOTTY)", "proc info", "proc info, kept open",
                             "proc info, open/read/close", "Targets", "not measured"})
        EXPECT_NE(p.out.find(want), std::string::npos) << want << "\n" << p.out;
    for (const char* filtered_out : {"ioctl get-msg", "sysfs info", "proc add x"})
        EXPECT_EQ(p.out.find(filtered_out), std::string::npos) << filtered_out << "\n" << p.out;
}

// The netlink floor, and the listing of every device by one dump against one
// get-dev per device: the rig loads kKctlConfig.ndevs devices.
TEST_F(KctlBench, TheNetlinkFloorAndTheListingOfEveryDevice) {
    const json doc = bench({"--transports", "netlink", "--ops", "info"});
    std::set<std::string> ids;
    for (const auto& row : doc["rows"]) {
        expect_sane(row);
        ids.insert(row["id"]);
        if (row["id"] == "floor.null-netlink") {
            EXPECT_EQ(row["transport"], "netlink");
            EXPECT_EQ(row["op"], "null");
        }
        if (row["variant"] == "dump" || row["variant"] == "get-each") {
            EXPECT_EQ(row["param"], kKctlConfig.ndevs) << row.dump();
        }
    }
    for (const char* id :
         {"floor.null-netlink", "netlink.info", "netlink.list.dump", "netlink.list.get-each"})
        EXPECT_TRUE(ids.count(id)) << id;
}

TEST_F(KctlBench, VerboseWithoutATerminalLogsALinePerRound) {
    const Proc p = kctl({"-v", "bench", "--duration", "1", "--samples", "3", "--transports",
                         "ioctl", "--ops", "sum"});
    EXPECT_EQ(p.status, 0) << p.err;
    for (const char* want :
         {"kctl bench: warm-up ", "kctl bench: round 1/3 ", "kctl bench: round 3/3 "})
        EXPECT_NE(p.err.find(want), std::string::npos) << want << "\n" << p.err;
    EXPECT_EQ(p.err.find('\r'), std::string::npos) << "no terminal updates in a log";
}

TEST_F(KctlBench, WithoutWritePermissionMutationsAreSkippedWithANote) {
    ASSERT_EQ(set_msg(rw.get(), "kept"), 0);
    ASSERT_EQ(add(rw.get(), 7), 0);
    const json doc =
        bench({"--transports", "sysfs,proc", "--ops", "sum,set-msg,add"}, as("outsider"));
    int skipped = 0, measured = 0;
    for (const auto& row : doc["rows"]) {
        SCOPED_TRACE(row.dump());
        const std::string op = row["op"];
        if (op == "set-msg" || op == "add" || row["id"] == "floor.null-ioctl") {
            EXPECT_EQ(row["status"], "skipped");
            EXPECT_FALSE(row["note"].get<std::string>().empty());
            ++skipped;
        } else {
            expect_sane(row);
            ++measured;
        }
    }
    EXPECT_GT(skipped, 0);
    EXPECT_GT(measured, 0);
    EXPECT_EQ(doc["environment"]["user"]["can_write"], false);
    // Nothing was changed.
    EXPECT_EQ(get_msg(ro.get()), "kept");
    EXPECT_EQ(state().sum, 7);
}

TEST_F(KctlBench, UsageErrorsExitTwo) {
    for (const auto& args :
         std::vector<std::vector<std::string>>{{"bench", "--duration", "0"},
                                               {"bench", "--samples", "1"},
                                               {"bench", "--transports", "auto"},
                                               {"-t", "ioctl", "bench"},
                                               {"bench", "--ops", "watch,frob"}}) {
        const Proc p = kctl(args);
        EXPECT_EQ(p.status, 2) << args.back() << ": " << p.err;
        EXPECT_EQ(p.out, "");
    }
}

}  // namespace
}  // namespace kt
