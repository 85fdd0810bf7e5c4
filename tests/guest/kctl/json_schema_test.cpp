// Every kctl command's --json against the real module, validated against the schema kctl
// carries (`kctl schema COMMAND`, docs/schema/): each transport for the device commands, a
// watch, a batch with every command and a failing line, list and udev. Strict: a key the
// schema does not name fails. The guest has no Python: the checker is the C++ one the host
// unit tests share (tests/unit/json_schema_check.hpp).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "../../unit/json_schema_check.hpp"
#include "common/process.hpp"
#include "kctl/fixture.hpp"

namespace kt {
namespace {

using json = nlohmann::json;

class KctlJsonSchema : public KctlTest {
  protected:
    const json& schema(const std::string& command) {
        auto it = schemas_.find(command);
        if (it == schemas_.end()) {
            const Proc p = kctl({"schema", command});
            EXPECT_EQ(p.status, 0) << p.err;
            it = schemas_.emplace(command, json::parse(p.out)).first;
        }
        return it->second;
    }

    // Every line of stdout of a run that exited with @status validates against @command's
    // schema; returns the documents.
    std::vector<json> expect_valid(const std::string& command, const Proc& p, int status = 0) {
        EXPECT_EQ(p.status, status) << p.err;
        EXPECT_FALSE(p.out.empty()) << command << " printed nothing";
        std::vector<json> docs;
        std::istringstream in(p.out);
        for (std::string line; std::getline(in, line);) {
            json doc;
            try {
                doc = json::parse(line);
            } catch (const json::exception& e) {
                ADD_FAILURE() << command << ": not JSON: " << e.what() << ": " << line;
                continue;
            }
            for (const std::string& e : kdemo::strict_schema_errors(schema(command), doc))
                ADD_FAILURE() << command << ": " << e << "\n  in " << line;
            docs.push_back(std::move(doc));
        }
        return docs;
    }

  private:
    std::map<std::string, json> schemas_;
};

TEST_F(KctlJsonSchema, DeviceCommandsOnEveryTransport) {
    for (const char* t : {"auto", "ioctl", "sysfs", "proc", "netlink", "uring"}) {
        SCOPED_TRACE(t);
        auto run = [t](std::vector<std::string> args) {
            args.insert(args.begin(), {"--json", "-t", t});
            return kctl(args);
        };
        expect_valid("set-msg", run({"set-msg", std::string("\xff schema ") + t}));
        const json msg = expect_valid("get-msg", run({"get-msg"})).at(0);
        EXPECT_EQ(msg["length"], 9 + std::string(t).size());
        expect_valid("add", run({"add", "-9223372036854775808", "5"}));
        expect_valid("sum", run({"sum"}));
        expect_valid("info", run({"info"}));
        expect_valid("reset", run({"reset"}));
    }
    // mmap serves sum only
    expect_valid("sum", kctl({"--json", "-t", "mmap", "sum"}));
}

TEST_F(KctlJsonSchema, ListAndUdevDryRun) {
    const json list = expect_valid("list", kctl({"--json", "list"})).at(0);
    EXPECT_EQ(list["devices"].size(), 3u);
    expect_valid("udev", kctl({"--json", "udev", "install", "--dry-run"}));
    expect_valid("udev", kctl({"--json", "udev", "uninstall", "--dry-run"}));
}

TEST_F(KctlJsonSchema, WatchLines) {
    Background bg({KCTL_BINARY, "--json", "watch", "--count", "2"});
    ASSERT_TRUE(eventually([&] { return blocked_in_poll(bg.pid()); })) << "never waited";
    ASSERT_EQ(set_msg(rw.get(), "watched"), 0);
    const auto first = bg.line();
    ASSERT_TRUE(first);
    ASSERT_TRUE(eventually([&] { return blocked_in_poll(bg.pid()); }));
    ASSERT_EQ(add(rw.get(), -3), 0);
    const auto second = bg.line();
    ASSERT_TRUE(second);
    EXPECT_EQ(bg.wait().status, 0);
    expect_valid("watch", Proc{0, *first + "\n" + *second + "\n", ""});
}

TEST_F(KctlJsonSchema, BatchLinesOfEveryCommandAndAFailure) {
    ExecOptions o;
    o.input =
        "set-msg 'batched'\nget-msg\nadd 1 2\nsum\ninfo\nreset\n-d kdemo9 sum\n"
        "add 9223372036854775807 1\n";
    for (const char* t : {"auto", "ioctl"}) {
        SCOPED_TRACE(t);
        const std::vector<json> docs =
            expect_valid("batch", kctl({"--json", "-t", t, "batch"}, o), 1);
        ASSERT_EQ(docs.size(), 8u);
        for (std::size_t i = 0; i < 6; ++i)
            EXPECT_EQ(docs[i]["ok"], true) << docs[i].dump();
        EXPECT_EQ(docs[6]["error"], "ENODEV");
        EXPECT_EQ(docs[7]["error"], "ERANGE");
    }
}

}  // namespace
}  // namespace kt
