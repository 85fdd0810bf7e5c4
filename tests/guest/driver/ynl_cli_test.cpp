// The family driven by the kernel's own YNL CLI (linux-source-6.12
// tools/net/ynl/cli.py), which knows nothing of kdemo but its YAML spec:
// --do of every operation against what ioctl sees, --dump of the devices, and
// --subscribe to the monitor group while the state changes. tests/vm/run packs
// the CLI, python3 and the spec (/kdemo/ynl, /kdemo/netlink); without them
// these tests fail.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "common/kdemo.hpp"
#include "common/process.hpp"

namespace kt {
namespace {

using json = nlohmann::json;

constexpr const char* kPython = "/usr/bin/python3";
constexpr const char* kCli = "/kdemo/ynl/tools/net/ynl/cli.py";
constexpr const char* kSchema = "/kdemo/ynl/Documentation/netlink/genetlink.yaml";
constexpr const char* kSpec = "/kdemo/netlink/kdemo.yaml";

// The CLI's command line, JSON out. Validating the spec against the schema
// (jsonschema) costs half of a CLI run under TCG: one test does it, with the
// CLI's own check, the others pass --no-schema.
std::vector<std::string> cli(std::vector<std::string> args, bool validate = false) {
    std::vector<std::string> argv{kPython, kCli, "--spec", kSpec, "--output-json"};
    if (validate)
        argv.insert(argv.end(), {"--schema", kSchema});
    else
        argv.push_back("--no-schema");
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
}

// Hex of @bytes: how 6.12's ynl.py takes and prints a binary attribute.
std::string hex(const std::string& bytes) {
    static const char digits[] = "0123456789abcdef";
    std::string h;
    for (unsigned char c : bytes) {
        h += digits[c >> 4];
        h += digits[c & 15];
    }
    return h;
}

// True once process @pid has exited (a zombie, not yet reaped) or is gone.
bool exited(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line))
        return true;
    const auto paren = line.rfind(')');
    return paren == std::string::npos || line.substr(paren + 2, 1) == "Z";
}

class YnlCliTest : public KdemoTest {
  protected:
    void SetUp() override {
        // Missing pieces are a failure of the rig, not a reason to skip.
        for (const char* f : {kPython, kCli, kSchema, kSpec}) {
            struct stat st;
            ASSERT_EQ(stat(f, &st), 0) << f << " is missing in the guest (tests/vm/run packs it)";
        }
        KdemoTest::SetUp();
    }

    // Runs the CLI with --do @op and @request; its one reply (null when the
    // operation has none).
    json run_do(const std::string& op, const json& request) {
        Proc p = exec(cli({"--do", op, "--json", request.dump()}));
        EXPECT_EQ(p.status, 0) << op << ": " << p.out << p.err;
        return p.status == 0 ? json::parse(p.out) : json();
    }
};

// The spec passes the CLI's schema validation, and the CLI finds every
// operation of the family in it.
TEST_F(YnlCliTest, SpecValidatesAndListsEveryOperation) {
    Proc p = exec(cli({"--list-ops"}, true));
    ASSERT_EQ(p.status, 0) << p.out << p.err;
    for (const char* op : {"get-dev", "get-msg", "set-msg", "add", "get-sum", "reset", "get-info"})
        EXPECT_NE(p.out.find(std::string(op) + " "), std::string::npos) << op << " in " << p.out;
}

TEST_F(YnlCliTest, SetMsgAndGetMsgCarryTheBytesAsHex) {
    const std::string msg("hi\0there", 8);
    EXPECT_TRUE(run_do("set-msg", {{"dev-index", 0}, {"msg", hex(msg)}}).is_null());
    EXPECT_EQ(get_msg(rw.get()), msg);

    ASSERT_EQ(set_msg(rw.get(), "from ioctl"), 0);
    const json r = run_do("get-msg", {{"dev-index", 0}});
    EXPECT_EQ(r.value("msg", ""), hex("from ioctl"));
    EXPECT_EQ(r.value("msg-len", 0U), 10U);
    EXPECT_EQ(r.value("dev-index", 99U), 0U);
    EXPECT_EQ(r.value("generation", 0ULL), state().generation);
}

TEST_F(YnlCliTest, AddTakesAListOfValuesAndGetSumMatchesIoctl) {
    ASSERT_EQ(reset(rw.get()), 0);
    EXPECT_TRUE(run_do("add", {{"dev-index", 0}, {"value", {5, -2, 40}}}).is_null());
    const Sum s = state();
    EXPECT_EQ(s.sum, 43);
    EXPECT_EQ(s.count, 3U);

    const json r = run_do("get-sum", {{"dev-index", 0}});
    EXPECT_EQ(r.value("sum", int64_t{0}), 43);
    EXPECT_EQ(r.value("count", 0ULL), 3U);
    EXPECT_EQ(r.value("generation", 0ULL), s.generation);
}

TEST_F(YnlCliTest, ResetZeroesTheAccumulator) {
    ASSERT_EQ(add(rw.get(), 12), 0);
    EXPECT_TRUE(run_do("reset", {{"dev-index", 0}}).is_null());
    const Sum s = state();
    EXPECT_EQ(s.sum, 0);
    EXPECT_EQ(s.count, 0U);
}

TEST_F(YnlCliTest, GetDevAndGetInfoMatchIoctl) {
    ASSERT_EQ(set_msg(rw.get(), "four"), 0);
    ASSERT_EQ(add(rw.get(), 9), 0);
    const json d = run_do("get-dev", {{"dev-index", 0}});
    const json r = run_do("get-info", {{"dev-index", 0}});
    const kdemo_info i = get_info(rw.get());
    EXPECT_EQ(d.value("dev-name", ""), "kdemo0");
    EXPECT_EQ(d.value("msg-len", 0U), 4U);
    EXPECT_EQ(d.value("msg-max", 0ULL), i.msg_max);
    EXPECT_EQ(d.value("sum", int64_t{0}), 9);
    EXPECT_EQ(d.value("count", 0ULL), 1U);
    EXPECT_EQ(d.value("generation", 0ULL), i.generation);

    EXPECT_EQ(r.value("driver", ""), i.driver);
    EXPECT_EQ(r.value("version", ""), i.version);
    EXPECT_EQ(r.value("dev-name", ""), i.device);
    EXPECT_EQ(r.value("abi", 0U), i.abi_version);
    EXPECT_EQ(r.value("msg-max", 0ULL), i.msg_max);
    EXPECT_EQ(r.value("sum", int64_t{0}), 9);
    EXPECT_EQ(r.value("generation", 0ULL), i.generation);
    EXPECT_EQ(r.value("opens", 0ULL), i.opens);
    EXPECT_GE(r.value("netlink-ops", 0ULL), 2U);  // get-dev, get-info
    for (const char* a : {"ioctl-ops", "sysfs-ops", "proc-ops", "uring-ops", "random"})
        EXPECT_TRUE(r.contains(a)) << a;
}

// A refusal reaches the CLI with its errno and the driver's extack text.
TEST_F(YnlCliTest, RefusalPrintsTheErrnoAndTheExtackText) {
    Proc p = exec(cli({"--do", "reset", "--json", json{{"dev-index", 5}}.dump()}));
    EXPECT_NE(p.status, 0);
    EXPECT_NE(p.out.find("No such device"), std::string::npos) << p.out << p.err;
    EXPECT_NE(p.out.find("extack"), std::string::npos) << p.out << p.err;
}

class YnlCliFourDevices : public YnlCliTest {
  protected:
    ModuleConfig config() const override { return {.ndevs = 4}; }
};

TEST_F(YnlCliFourDevices, DumpGetDevListsEveryDevice) {
    Fd two = open_file(node_path(2), O_RDWR);
    ASSERT_EQ(reset(two.get()), 0);
    ASSERT_EQ(add(two.get(), -7), 0);
    Proc p = exec(cli({"--dump", "get-dev"}));
    ASSERT_EQ(p.status, 0) << p.out << p.err;
    const json devs = json::parse(p.out);
    ASSERT_TRUE(devs.is_array());
    ASSERT_EQ(devs.size(), 4U);
    for (unsigned i = 0; i < 4; ++i) {
        EXPECT_EQ(devs[i].value("dev-index", 99U), i);
        EXPECT_EQ(devs[i].value("dev-name", ""), "kdemo" + std::to_string(i));
    }
    EXPECT_EQ(devs[2].value("sum", int64_t{0}), -7);
    EXPECT_EQ(devs[2].value("generation", 0ULL), get_sum(two.get()).generation);
}

// --subscribe monitor --sleep N: the CLI joins the group, sleeps, and prints
// the notifications that arrived. The test changes the device until the CLI
// has exited, so changes fall into its sleep whenever python starts. Every
// notification printed must be of one of those changes, in increasing
// generation order, with the state of that generation; it may cover earlier
// changes too (the driver coalesces a burst), so "changed" holds at least what
// that generation's own change touched.
TEST_F(YnlCliTest, SubscribeMonitorSeesTheChangesMadeMeanwhile) {
    ASSERT_EQ(reset(rw.get()), 0);
    struct At {
        Sum sum;
        std::string msg;
        const char* what;  // the change that made this generation
    };
    std::map<uint64_t, At> at;
    std::string msg = get_msg(rw.get());
    Background mon(cli({"--subscribe", "monitor", "--sleep", "2"}));
    for (int i = 1; !exited(mon.pid()); ++i) {
        ASSERT_LT(i, 2400) << "the CLI did not exit within minutes (hang guard)";
        std::this_thread::sleep_for(std::chrono::milliseconds(50));  // pacing only
        if (i % 2) {
            ASSERT_EQ(add(rw.get(), 1), 0);
        } else {
            msg = "m" + std::to_string(i);
            ASSERT_EQ(set_msg(rw.get(), msg), 0);
        }
        const Sum s = state();
        at[s.generation] = {s, msg, i % 2 ? "acc" : "msg"};
    }
    Proc p = mon.wait();
    ASSERT_EQ(p.status, 0) << p.out << p.err;
    const json events = json::parse(p.out);
    ASSERT_TRUE(events.is_array()) << p.out << p.err;
    ASSERT_FALSE(events.empty()) << "no change-ntf while " << at.size()
                                 << " changes were made; stderr: " << p.err;
    uint64_t previous = 0;
    for (const json& e : events) {
        EXPECT_EQ(e.value("name", ""), "change-ntf");
        const json& m = e.at("msg");
        const uint64_t gen = m.value("generation", 0ULL);
        EXPECT_EQ(m.value("dev-index", 99U), 0U);
        EXPECT_GT(gen, previous) << m.dump();
        previous = gen;
        auto it = at.find(gen);
        if (it == at.end()) {
            ADD_FAILURE() << "an event for no change of this test: " << m.dump();
            continue;
        }
        const At& want = it->second;
        const json changed = m.value("changed", json::array());
        EXPECT_TRUE(std::find(changed.begin(), changed.end(), want.what) != changed.end())
            << m.dump();
        for (const json& c : changed)
            EXPECT_TRUE(c == "acc" || c == "msg") << m.dump();
        EXPECT_EQ(m.value("sum", int64_t{-1}), want.sum.sum) << m.dump();
        EXPECT_EQ(m.value("count", 0ULL), want.sum.count) << m.dump();
        EXPECT_EQ(m.value("msg-len", 0ULL), want.msg.size()) << m.dump();
        if (std::find(changed.begin(), changed.end(), "msg") != changed.end()) {
            EXPECT_EQ(m.value("msg", ""), hex(want.msg)) << m.dump();
        }
    }
}

}  // namespace
}  // namespace kt
