// kctl metrics against the real module: every device and family, the values
// the other commands report, the transport a user without the node reads
// through, the textfile replaced atomically, and what a missing module, a
// missing device, an unreadable device or an unwritable directory produce.
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "common/module.hpp"
#include "kctl/fixture.hpp"

namespace kt {
namespace {

using json = nlohmann::json;

// Samples by "name{labels}", and the HELP and TYPE lines by family.
struct Exposition {
    std::map<std::string, std::string> samples;
    std::map<std::string, std::string> types;
    std::vector<std::string> helps;
    size_t lines = 0;

    bool has(const std::string& key) const { return samples.count(key) != 0; }
    // The value of @name for device @dev ("" labels = the device label only).
    std::string at(const std::string& name, int dev, const std::string& more = "") const {
        const std::string key = name + "{device=\"kdemo" + std::to_string(dev) + "\"" + more + "}";
        auto it = samples.find(key);
        return it == samples.end() ? "<missing " + key + ">" : it->second;
    }
};

Exposition parse(const std::string& text) {
    Exposition e;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) {
        ++e.lines;
        if (l.rfind("# HELP ", 0) == 0) {
            e.helps.push_back(l.substr(7, l.find(' ', 7) - 7));
        } else if (l.rfind("# TYPE ", 0) == 0) {
            const size_t sp = l.find(' ', 7);
            e.types[l.substr(7, sp - 7)] = l.substr(sp + 1);
        } else {
            const size_t sp = l.rfind(' ');
            e.samples[l.substr(0, sp)] = l.substr(sp + 1);
        }
    }
    return e;
}

std::string ops(const std::string& transport) {
    return ",transport=\"" + transport + "\"";
}

// A directory under /tmp, removed afterwards; mode and owner as given.
class Dir {
  public:
    explicit Dir(mode_t mode) {
        char tmpl[] = "/tmp/kdemo-metrics-XXXXXX";
        path_ = ::mkdtemp(tmpl);
        ::chmod(path_.c_str(), mode);
    }
    ~Dir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    const std::string& path() const { return path_; }
    std::string file() const { return path_ + "/kdemo.prom"; }
    std::vector<std::string> names() const {
        std::vector<std::string> out;
        for (const auto& e : std::filesystem::directory_iterator(path_))
            out.push_back(e.path().filename().string());
        return out;
    }

  private:
    std::string path_;
};

// chmod @mode on @path for the test's duration, the old mode back afterwards.
class Chmod {
  public:
    Chmod(const std::string& path, mode_t mode) : path_(path) {
        struct stat st {};
        EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
        old_ = st.st_mode & 07777;
        EXPECT_EQ(::chmod(path.c_str(), mode), 0) << path;
    }
    ~Chmod() { ::chmod(path_.c_str(), old_); }

  private:
    std::string path_;
    mode_t old_ = 0;
};

const char* const kUpZero =
    "# HELP kdemo_up Whether kctl found the kdemo devices and read every one of them (1) or "
    "not (0).\n"
    "# TYPE kdemo_up gauge\n"
    "kdemo_up 0\n";

class Metrics : public KctlTest {};

TEST_F(Metrics, EveryDeviceHasEveryFamily) {
    Proc p = kctl({"metrics"});
    ASSERT_EQ(p.status, 0) << p.err;
    EXPECT_EQ(p.err, "");
    const Exposition e = parse(p.out);
    EXPECT_EQ(e.samples.at("kdemo_up"), "1");
    const std::vector<std::string> families{"kdemo_up",
                                            "kdemo_device_up",
                                            "kdemo_info",
                                            "kdemo_accumulator",
                                            "kdemo_accumulator_values_total",
                                            "kdemo_changes_total",
                                            "kdemo_message_length_bytes",
                                            "kdemo_message_max_bytes",
                                            "kdemo_open_files",
                                            "kdemo_operations_total"};
    EXPECT_EQ(e.helps, families);
    for (const std::string& f : families)
        EXPECT_EQ(e.types.at(f), f.ends_with("_total") ? "counter" : "gauge") << f;
    for (int dev = 0; dev < static_cast<int>(kKctlConfig.ndevs); dev++) {
        EXPECT_EQ(e.at("kdemo_device_up", dev), "1");
        for (const char* t : {"ioctl", "sysfs", "proc", "netlink", "uring"})
            EXPECT_TRUE(e.has("kdemo_operations_total{device=\"kdemo" + std::to_string(dev) + "\"" +
                              ops(t) + "}"))
                << t << " of kdemo" << dev;
    }
    // HELP, TYPE and one sample each, 5 per device for the ops (ioctl, sysfs, proc, netlink,
    // uring), and kdemo_up.
    EXPECT_EQ(e.samples.size(), 1 + 3 * 8 + 3 * 5u);
    EXPECT_EQ(e.lines, 2 * families.size() + e.samples.size());
}

TEST_F(Metrics, ValuesEqualWhatInfoAndSumReport) {
    ASSERT_EQ(kctl({"-d", "0", "set-msg", "hello"}).status, 0);
    ASSERT_EQ(kctl({"-d", "0", "add", "5", "-7"}).status, 0);
    ASSERT_EQ(kctl({"-d", "1", "set-msg", std::string(5000, 'x')}).status, 0);
    ASSERT_EQ(kctl({"-d", "1", "add", "9223372036854775807"}).status, 0);
    ASSERT_EQ(kctl({"-d", "2", "add", "1", "2", "3"}).status, 0);
    ASSERT_EQ(kctl({"-d", "2", "reset"}).status, 0);

    Proc p = kctl({"metrics"});
    ASSERT_EQ(p.status, 0) << p.err;
    const Exposition e = parse(p.out);
    for (int dev = 0; dev < 3; dev++) {
        SCOPED_TRACE("kdemo" + std::to_string(dev));
        const std::string d = std::to_string(dev);
        Proc info = kctl({"--json", "-d", d, "info"});
        Proc sum = kctl({"--json", "-d", d, "sum"});
        ASSERT_EQ(info.status, 0) << info.err;
        ASSERT_EQ(sum.status, 0) << sum.err;
        const json i = json::parse(info.out)["info"];
        const json s = json::parse(sum.out);
        EXPECT_EQ(e.at("kdemo_accumulator", dev), std::to_string(s["sum"].get<int64_t>()));
        EXPECT_EQ(e.at("kdemo_accumulator_values_total", dev),
                  std::to_string(s["count"].get<uint64_t>()));
        EXPECT_EQ(e.at("kdemo_changes_total", dev),
                  std::to_string(s["generation"].get<uint64_t>()));
        EXPECT_EQ(e.at("kdemo_message_length_bytes", dev),
                  std::to_string(i["msg_len"].get<uint64_t>()));
        EXPECT_EQ(e.at("kdemo_message_max_bytes", dev),
                  std::to_string(i["msg_max"].get<uint64_t>()));
        EXPECT_EQ(e.at("kdemo_info", dev,
                       ",driver=\"" + i["driver"].get<std::string>() + "\",version=\"" +
                           i["version"].get<std::string>() + "\",abi=\"" +
                           std::to_string(i["abi"].get<uint64_t>()) + "\""),
                  "1");
    }
    // And what that state is, so that equal-but-wrong cannot pass.
    EXPECT_EQ(e.at("kdemo_accumulator", 0), "-2");
    EXPECT_EQ(e.at("kdemo_accumulator_values_total", 0), "2");
    EXPECT_EQ(e.at("kdemo_message_length_bytes", 0), "5");
    EXPECT_EQ(e.at("kdemo_accumulator", 1), "9223372036854775807");
    EXPECT_EQ(e.at("kdemo_message_length_bytes", 1), "5000");
    EXPECT_EQ(e.at("kdemo_message_max_bytes", 1), "8192");
    EXPECT_EQ(e.at("kdemo_accumulator", 2), "0");
    EXPECT_EQ(e.at("kdemo_accumulator_values_total", 2), "0");
}

// sysfs stats/ read the counters without counting; root reads the metrics
// through the node (one GET_INFO), so the other transports' counters and the
// number of open files must match exactly.
TEST_F(Metrics, CountersMatchTheDriversStatistics) {
    for (int i = 0; i < 3; i++)
        ASSERT_EQ(read_file(sysfs_path("message", 1)).err, 0);
    const Exposition first = parse(kctl({"metrics"}).out);
    for (int dev = 0; dev < 3; dev++) {
        SCOPED_TRACE("kdemo" + std::to_string(dev));
        EXPECT_EQ(first.at("kdemo_operations_total", dev, ops("sysfs")),
                  std::to_string(stat_counter("sysfs_ops", dev)));
        EXPECT_EQ(first.at("kdemo_operations_total", dev, ops("proc")),
                  std::to_string(stat_counter("proc_ops", dev)));
        // kctl's own descriptor was open while it asked
        EXPECT_EQ(first.at("kdemo_open_files", dev),
                  std::to_string(stat_counter("opens", dev) + 1));
    }
    EXPECT_EQ(first.at("kdemo_open_files", 0), "3");  // the fixture's rw and ro, and kctl's

    // Between two runs: 2 proc reads, 4 sysfs reads and the second run's own ioctl.
    for (int i = 0; i < 2; i++)
        ASSERT_EQ(read_file(proc_path("message", 2)).err, 0);
    for (int i = 0; i < 4; i++)
        ASSERT_EQ(read_file(sysfs_path("sum", 2)).err, 0);
    const Exposition second = parse(kctl({"metrics"}).out);
    auto delta = [&](const std::string& t) {
        return std::stoull(second.at("kdemo_operations_total", 2, ops(t))) -
               std::stoull(first.at("kdemo_operations_total", 2, ops(t)));
    };
    EXPECT_EQ(delta("proc"), 2u);
    EXPECT_EQ(delta("sysfs"), 4u);
    EXPECT_EQ(delta("ioctl"), 1u);
}

// Without the node, kctl reads /proc's info file (everyone may): the same
// state, counted as proc operations.
TEST_F(Metrics, OutsiderReadsThroughProcTheSameState) {
    ASSERT_EQ(kctl({"-d", "1", "set-msg", "from root"}).status, 0);
    ASSERT_EQ(kctl({"-d", "1", "add", "-3"}).status, 0);
    const uint64_t proc_before = stat_counter("proc_ops", 1);
    Proc p = kctl({"-v", "metrics"}, as("outsider"));
    ASSERT_EQ(p.status, 0) << p.err;
    EXPECT_NE(p.err.find("using proc"), std::string::npos) << p.err;
    const Exposition e = parse(p.out);
    EXPECT_EQ(e.samples.at("kdemo_up"), "1");
    EXPECT_EQ(e.at("kdemo_accumulator", 1), "-3");
    EXPECT_EQ(e.at("kdemo_message_length_bytes", 1), "9");
    EXPECT_EQ(e.at("kdemo_info", 1, ",driver=\"kdemo\",version=\"1.0.0\",abi=\"1\""), "1");
    EXPECT_EQ(stat_counter("proc_ops", 1), proc_before + 1);
    EXPECT_EQ(e.at("kdemo_open_files", 1), std::to_string(stat_counter("opens", 1)));
}

// A reader never finds the file half-written: each read is one whole run's
// output (same number of lines, the last family's last sample at the end).
TEST_F(Metrics, TextfileIsNeverSeenHalfWritten) {
    Dir dir(0755);
    const std::string path = dir.file();
    const size_t lines = parse(kctl({"metrics"}).out).lines;
    ASSERT_EQ(kctl({"metrics", "--textfile", dir.path()}).status, 0);
    const std::string stop = dir.path() + "/.stop";

    Background reader("outsider", [&] {
        long reads = 0;
        while (::access(stop.c_str(), F_OK) != 0) {
            Io r = read_file(path, 256);  // small reads: a writer in place would show
            if (r.err != 0) {
                std::printf("read error %d\n", r.err);
                return 1;
            }
            const Exposition e = parse(r.data);
            if (e.lines != lines || !r.data.ends_with("\n") ||
                !e.has("kdemo_operations_total{device=\"kdemo2\",transport=\"proc\"}")) {
                std::printf("torn read of %zu bytes\n", r.data.size());
                return 1;
            }
            ++reads;
        }
        std::printf("%ld\n", reads);
        return 0;
    });
    for (int i = 0; i < 30; i++)
        ASSERT_EQ(kctl({"metrics", "--textfile", dir.path()}).status, 0);
    { std::ofstream(stop) << ""; }
    Proc r = reader.wait();
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_GE(std::stol(r.out), 30) << "the reader hardly read: the test proves little";
    std::vector<std::string> names = dir.names();
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, (std::vector<std::string>{".stop", "kdemo.prom"}));
}

TEST_F(Metrics, TextfileIsReadableByEveryone) {
    Dir dir(0755);
    ASSERT_EQ(kctl({"metrics", "--textfile", dir.path()}).status, 0);
    struct stat st {};
    ASSERT_EQ(::stat(dir.file().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0644u);
    const std::string text = as_user("outsider", [&] { return read_file(dir.file()).data; });
    EXPECT_EQ(parse(text).samples.at("kdemo_up"), "1") << text;
}

TEST_F(Metrics, UnwritableDirectoryFailsClearlyAndLeavesNothing) {
    Dir dir(0755);  // root's
    Proc p = kctl({"metrics", "--textfile", dir.path()}, as("kuser"));
    EXPECT_EQ(p.status, 1);
    EXPECT_EQ(p.out, "");
    EXPECT_EQ(p.err, "kctl: metrics: cannot create a temporary file in " + dir.path() +
                         ": Permission denied\n");
    EXPECT_EQ(dir.names(), std::vector<std::string>{});
}

TEST_F(Metrics, NoSuchDeviceIsUpZero) {
    Proc p = kctl({"-d", "kdemo9", "metrics"});
    EXPECT_EQ(p.status, 0);
    EXPECT_EQ(p.out, kUpZero);
    EXPECT_EQ(p.err, "kctl: metrics: kdemo9: No such device\n");
}

// No file of one device readable: netlink, whose reads are open to everyone,
// still reports it (a device nobody can read is covered by MetricsNoModule).
TEST_F(Metrics, DeviceWithUnreadableFilesIsReportedThroughNetlink) {
    Chmod info(proc_path("info", 1), 0400);
    Chmod sum(sysfs_path("sum", 1), 0400);
    Proc p = kctl({"metrics"}, as("outsider"));
    EXPECT_EQ(p.status, 0) << p.err;
    const Exposition e = parse(p.out);
    EXPECT_EQ(e.samples.at("kdemo_up"), "1");
    for (int dev : {0, 1, 2}) {
        EXPECT_EQ(e.at("kdemo_device_up", dev), "1");
        EXPECT_EQ(e.at("kdemo_accumulator", dev), "0");
    }
    EXPECT_EQ(p.err, "");
}

class MetricsNoModule : public Metrics {
  protected:
    void TearDown() override {
        if (!module_loaded()) {
            EXPECT_EQ(load_module(kKctlConfig.params()), 0);
        }
        ensure_module(kKctlConfig);
        (void)run("udevadm settle --timeout=30");
    }
};

TEST_F(MetricsNoModule, IsUpZeroWithAMessageOnStdoutAndInTheTextfile) {
    rw.reset();
    ro.reset();
    ASSERT_EQ(unload_module(), 0);
    Dir dir(0755);
    for (const std::string user : {"root", "outsider"}) {
        Proc p = kctl({"metrics"}, as(user));
        EXPECT_EQ(p.status, 0) << user;
        EXPECT_EQ(p.out, kUpZero) << user;
        EXPECT_EQ(p.err, "kctl: metrics: no kdemo devices (is the module loaded?)\n") << user;
    }
    Proc t = kctl({"metrics", "--textfile", dir.path()});
    EXPECT_EQ(t.status, 0) << t.err;
    EXPECT_EQ(t.out, "");
    EXPECT_EQ(read_file(dir.file()).data, kUpZero);
}

}  // namespace
}  // namespace kt
