// SPDX-License-Identifier: GPL-2.0-or-later
// kctl metrics without a device: the exposition text for given samples (exact, escaped,
// accepted by promtool), the atomic textfile write, and the command line's refusals.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "context.hpp"
#include "metrics.hpp"
#include "run_kctl.hpp"
#include "temp_dir.hpp"

namespace kctl::cli {
namespace {

using kctl::test::temp_dir;
using test::lines;
using test::run_kctl;

// A device as the ioctl or proc transport reports it: every field.
device_sample full(const std::string& name, std::int64_t sum, std::uint64_t ops) {
    device_sample d;
    d.device = name;
    d.driver = "kdemo";
    d.version = "1.0.0";
    d.abi = 1;
    d.sum = sum;
    d.count = 3;
    d.generation = 7;
    d.msg_len = 2;
    d.msg_max = 4095;
    d.opens = 1;
    d.ioctl_ops = ops;
    d.sysfs_ops = 0;
    d.proc_ops = 4;
    return d;
}

// As sysfs reports it: no driver, version, ABI version or message length.
device_sample partial(const std::string& name) {
    device_sample d = full(name, 5, 9);
    d.driver.reset();
    d.version.reset();
    d.abi.reset();
    d.msg_len.reset();
    return d;
}

device_sample failed(const std::string& name, int err) {
    device_sample d;
    d.device = name;
    d.error = err;
    return d;
}

TEST(MetricsExposition, NoDevicesIsUpZeroAlone) {
    EXPECT_EQ(exposition({}, false),
              "# HELP kdemo_up Whether kctl found the kdemo devices and read every one of them "
              "(1) or not (0).\n"
              "# TYPE kdemo_up gauge\n"
              "kdemo_up 0\n");
}

TEST(MetricsExposition, OneDeviceExactly) {
    EXPECT_EQ(
        exposition({full("kdemo0", -42, 10)}, true),
        R"(# HELP kdemo_up Whether kctl found the kdemo devices and read every one of them (1) or not (0).
# TYPE kdemo_up gauge
kdemo_up 1
# HELP kdemo_device_up Whether the device's state could be read (1) or not (0).
# TYPE kdemo_device_up gauge
kdemo_device_up{device="kdemo0"} 1
# HELP kdemo_info Driver name, driver version and ABI version of the device; always 1.
# TYPE kdemo_info gauge
kdemo_info{device="kdemo0",driver="kdemo",version="1.0.0",abi="1"} 1
# HELP kdemo_accumulator Sum of the values added since the last reset (kctl sum: sum).
# TYPE kdemo_accumulator gauge
kdemo_accumulator{device="kdemo0"} -42
# HELP kdemo_accumulator_values_total Values added to the accumulator since the last reset, which starts it again at 0 (kctl sum: count).
# TYPE kdemo_accumulator_values_total counter
kdemo_accumulator_values_total{device="kdemo0"} 3
# HELP kdemo_changes_total Changes of the message or the accumulator since the module was loaded (kctl sum: generation).
# TYPE kdemo_changes_total counter
kdemo_changes_total{device="kdemo0"} 7
# HELP kdemo_message_length_bytes Length of the message.
# TYPE kdemo_message_length_bytes gauge
kdemo_message_length_bytes{device="kdemo0"} 2
# HELP kdemo_message_max_bytes Largest message the device accepts (module parameter msg_max).
# TYPE kdemo_message_max_bytes gauge
kdemo_message_max_bytes{device="kdemo0"} 4095
# HELP kdemo_open_files Open files of the device node /dev/kdemoN right now.
# TYPE kdemo_open_files gauge
kdemo_open_files{device="kdemo0"} 1
# HELP kdemo_operations_total Operations the device served since the module was loaded, by transport; reading the metrics counts too.
# TYPE kdemo_operations_total counter
kdemo_operations_total{device="kdemo0",transport="ioctl"} 10
kdemo_operations_total{device="kdemo0",transport="sysfs"} 0
kdemo_operations_total{device="kdemo0",transport="proc"} 4
)");
}

// The exposition format wants each family's samples together, after its HELP and TYPE.
TEST(MetricsExposition, EachFamilyIsOneBlockAfterItsHelpAndType) {
    const std::string text =
        exposition({full("kdemo0", 1, 1), full("kdemo1", 2, 2), full("kdemo2", 3, 3)}, true);
    const std::regex sample(R"(^([a-z_]+)(\{.*\})? (-?[0-9]+)$)");
    std::set<std::string> closed;
    std::string current;
    std::map<std::string, int> samples;
    for (const std::string& l : lines(text)) {
        std::smatch m;
        if (l.rfind("# HELP ", 0) == 0) {
            const std::string name = l.substr(7, l.find(' ', 7) - 7);
            ASSERT_EQ(closed.count(name), 0u) << "family " << name << " appears twice";
            if (!current.empty())
                closed.insert(current);
            current = name;
        } else if (l.rfind("# TYPE ", 0) == 0) {
            EXPECT_EQ(l.substr(7, current.size() + 1), current + " ") << l;
        } else {
            ASSERT_TRUE(std::regex_match(l, m, sample)) << l;
            EXPECT_EQ(m[1].str(), current) << "a sample outside its family: " << l;
            ++samples[current];
        }
    }
    EXPECT_EQ(samples["kdemo_up"], 1);
    EXPECT_EQ(samples["kdemo_accumulator"], 3);
    EXPECT_EQ(samples["kdemo_operations_total"], 9);
    EXPECT_EQ(samples.size(), 10u);
}

TEST(MetricsExposition, CountersAndOnlyCountersEndInTotal) {
    const std::regex type(R"(^# TYPE ([a-z_]+) (gauge|counter)$)");
    int counters = 0;
    for (const std::string& l : lines(exposition({full("kdemo0", 1, 1)}, true))) {
        std::smatch m;
        if (!std::regex_match(l, m, type))
            continue;
        const bool total = m[1].str().ends_with("_total");
        EXPECT_EQ(total, m[2] == "counter") << l;
        counters += m[2] == "counter";
    }
    EXPECT_EQ(counters, 3);
}

TEST(MetricsExposition, UnreadableDeviceReportsOnlyThatItIsDown) {
    const std::string text = exposition({failed("kdemo0", EACCES), full("kdemo1", 5, 1)}, false);
    EXPECT_NE(text.find("\nkdemo_up 0\n"), std::string::npos);
    EXPECT_NE(text.find("\nkdemo_device_up{device=\"kdemo0\"} 0\n"), std::string::npos);
    EXPECT_NE(text.find("\nkdemo_device_up{device=\"kdemo1\"} 1\n"), std::string::npos);
    EXPECT_NE(text.find("kdemo_accumulator{device=\"kdemo1\"} 5\n"), std::string::npos);
    int kdemo0 = 0;
    for (const std::string& l : lines(text))
        kdemo0 += l.find("device=\"kdemo0\"") != std::string::npos;
    EXPECT_EQ(kdemo0, 1) << text;
}

TEST(MetricsExposition, PartialInfoLeavesOutWhatIsMissing) {
    const std::string text = exposition({partial("kdemo0")}, true);
    EXPECT_EQ(text.find("kdemo_info"), std::string::npos) << text;
    EXPECT_EQ(text.find("kdemo_message_length_bytes"), std::string::npos) << text;
    EXPECT_NE(text.find("kdemo_message_max_bytes{device=\"kdemo0\"} 4095\n"), std::string::npos);
    EXPECT_NE(text.find("kdemo_accumulator{device=\"kdemo0\"} 5\n"), std::string::npos);
}

TEST(MetricsExposition, ExtremeValuesPrintExactly) {
    device_sample d = full("kdemo0", std::numeric_limits<std::int64_t>::min(), 0);
    d.generation = std::numeric_limits<std::uint64_t>::max();
    const std::string text = exposition({d}, true);
    EXPECT_NE(text.find("kdemo_accumulator{device=\"kdemo0\"} -9223372036854775808\n"),
              std::string::npos);
    EXPECT_NE(text.find("kdemo_changes_total{device=\"kdemo0\"} 18446744073709551615\n"),
              std::string::npos);
}

TEST(MetricsExposition, LabelValuesAreEscaped) {
    EXPECT_EQ(escape_label_value("plain-1.0"), "plain-1.0");
    EXPECT_EQ(escape_label_value("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
    device_sample d = full("kdemo0", 0, 0);
    d.version = "1.0 \"rc\"\n";
    EXPECT_NE(exposition({d}, true).find("version=\"1.0 \\\"rc\\\"\\n\""), std::string::npos);
}

#ifdef KDEMO_PROMTOOL
// promtool's parser and its linter (names, units, HELP, _total): no finding at all.
TEST(MetricsExposition, PromtoolFindsNothing) {
    temp_dir dir;
    device_sample odd = full("kdemo3", 0, 0);
    odd.version = "weird \"\\ version\n";
    dir.write("m.prom",
              exposition({full("kdemo0", -1, 5), partial("kdemo1"), failed("kdemo2", EACCES), odd},
                         false));
    const std::string cmd =
        std::string(KDEMO_PROMTOOL) + " check metrics < " + (dir / "m.prom") + " 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    ASSERT_NE(p, nullptr);
    std::string out;
    char buf[512];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;)
        out.append(buf, n);
    const int status = ::pclose(p);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << out;
    EXPECT_EQ(out, "");
}
#endif

TEST(MetricsTextfile, WritesTheFileWithMode0644AndNothingElse) {
    temp_dir dir;
    write_atomically(dir.path(), "kdemo.prom", "kdemo_up 1\n");
    EXPECT_EQ(dir.read("kdemo.prom"), "kdemo_up 1\n");
    struct stat st {};
    ASSERT_EQ(::stat((dir / "kdemo.prom").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0644u);
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir.path()))
        names.push_back(e.path().filename().string());
    EXPECT_EQ(names, std::vector<std::string>{"kdemo.prom"});
}

// A reader that opened the old file keeps reading it whole: the new one is another inode.
TEST(MetricsTextfile, ReplacesTheOldFileByRename) {
    temp_dir dir;
    write_atomically(dir.path(), "kdemo.prom", "old\n");
    FILE* old = std::fopen((dir / "kdemo.prom").c_str(), "r");
    ASSERT_NE(old, nullptr);
    write_atomically(dir.path(), "kdemo.prom", "new\n");
    char buf[16] = {};
    EXPECT_EQ(std::fread(buf, 1, sizeof buf - 1, old), 4u);
    std::fclose(old);
    EXPECT_STREQ(buf, "old\n");
    EXPECT_EQ(dir.read("kdemo.prom"), "new\n");
}

TEST(MetricsTextfile, MissingDirectoryFailsWithENOENT) {
    temp_dir dir;
    try {
        write_atomically(dir / "missing", "kdemo.prom", "x\n");
        FAIL() << "no error";
    } catch (const failure& e) {
        EXPECT_EQ(e.err(), ENOENT);
        EXPECT_EQ(std::string(e.what()), "cannot create a temporary file in " + (dir / "missing"));
    }
}

// Renaming onto a directory fails after the temporary file was written: it is removed.
TEST(MetricsTextfile, FailedRenameLeavesNoTemporaryFile) {
    temp_dir dir;
    std::filesystem::create_directories(dir / "kdemo.prom/inside");
    try {
        write_atomically(dir.path(), "kdemo.prom", "x\n");
        FAIL() << "no error";
    } catch (const failure& e) {
        EXPECT_EQ(e.err(), EISDIR);
        EXPECT_EQ(std::string(e.what()), "cannot write " + (dir / "kdemo.prom"));
    }
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir.path()))
        names.push_back(e.path().filename().string());
    EXPECT_EQ(names, std::vector<std::string>{"kdemo.prom"});
}

TEST(MetricsCmdline, MissingDeviceIsUpZeroWithAMessage) {
    const auto r = run_kctl({"metrics"});  // KCTL_DEVICE names no device
    EXPECT_EQ(r.status, 0);
    EXPECT_NE(r.out.find("\nkdemo_up 0\n"), std::string::npos) << r.out;
    EXPECT_EQ(r.err, "kctl: metrics: kdemo-unit-test-none: No such device\n");
}

TEST(MetricsCmdline, TextfileGetsWhatStdoutWouldShow) {
    temp_dir dir;
    const auto printed = run_kctl({"metrics"});
    const auto written = run_kctl({"metrics", "--textfile", dir.path()});
    EXPECT_EQ(written.status, 0);
    EXPECT_EQ(written.out, "");
    EXPECT_EQ(dir.read("kdemo.prom"), printed.out);
}

TEST(MetricsCmdline, Refusals) {
    const auto json = run_kctl({"--json", "metrics"});
    EXPECT_EQ(json.status, exit_usage);
    EXPECT_EQ(json.out, "");
    EXPECT_NE(json.err.find("metrics prints the Prometheus text format only"), std::string::npos)
        << json.err;
    const auto nodir = run_kctl({"metrics", "--textfile", "/nonexistent/kdemo"});
    EXPECT_EQ(nodir.status, exit_usage);
    EXPECT_NE(nodir.err.find("Directory does not exist: /nonexistent/kdemo"), std::string::npos)
        << nodir.err;
    EXPECT_EQ(run_kctl({"metrics", "extra"}).status, exit_usage);
}

}  // namespace
}  // namespace kctl::cli
