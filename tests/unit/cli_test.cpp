// SPDX-License-Identifier: GPL-2.0-or-later
// kctl's command line, table-driven like ethtool's test-cmdline.c: arguments -> exit status.
// Device commands name a device that does not exist, so they fail the same way everywhere.
#include <gtest/gtest.h>

#include <stdlib.h>
#include <filesystem>

#include <nlohmann/json.hpp>

#include <sstream>

#include "context.hpp"
#include "run_kctl.hpp"

namespace kctl::cli {
namespace {

using test::result;
using test::run_kctl;

struct cmdline_case {
    std::vector<std::string> args;
    int status;
};

std::string show(const std::vector<std::string>& args) {
    std::string s = "kctl";
    for (const std::string& a : args)
        s += " '" + a + "'";
    return s;
}

class Cmdline : public testing::TestWithParam<cmdline_case> {};

TEST_P(Cmdline, ExitStatus) {
    const result r = run_kctl(GetParam().args);
    EXPECT_EQ(r.status, GetParam().status) << show(GetParam().args) << "\n" << r.err;
}

constexpr int ok = exit_ok;
constexpr int fail = exit_failure;  // parsed, but the device is not there
constexpr int usage = exit_usage;

INSTANTIATE_TEST_SUITE_P(
    Table, Cmdline,
    testing::Values(
        // usage
        cmdline_case{{}, usage}, cmdline_case{{"--bogus"}, usage},
        cmdline_case{{"frobnicate"}, usage}, cmdline_case{{"-t", "bogus", "sum"}, usage},
        cmdline_case{{"--transport"}, usage}, cmdline_case{{"-d"}, usage},
        cmdline_case{{"set-msg"}, usage}, cmdline_case{{"set-msg", "a", "b"}, usage},
        cmdline_case{{"add"}, usage}, cmdline_case{{"add", "12d34"}, usage},
        cmdline_case{{"add", "0x10"}, usage}, cmdline_case{{"add", "1e3"}, usage},
        cmdline_case{{"add", ""}, usage}, cmdline_case{{"add", "1", "x"}, usage},
        cmdline_case{{"add", "9223372036854775808"}, usage}, cmdline_case{{"sum", "extra"}, usage},
        cmdline_case{{"watch", "--count", "0"}, usage}, cmdline_case{{"watch", "-c", "x"}, usage},
        cmdline_case{{"watch", "-T", "-1"}, usage}, cmdline_case{{"udev"}, usage},
        cmdline_case{{"udev", "upgrade"}, usage}, cmdline_case{{"module"}, usage},
        cmdline_case{{"module", "load", "--path", "/nonexistent/kdemo.ko"}, usage},
        cmdline_case{{"module", "load", "--path", "/dev/null", "kdemo"}, usage},
        cmdline_case{{"get-msg", "--nope"}, usage},
        // help and version, for every command
        cmdline_case{{"--help"}, ok}, cmdline_case{{"-h"}, ok}, cmdline_case{{"--version"}, ok},
        cmdline_case{{"-V"}, ok}, cmdline_case{{"list", "--help"}, ok},
        cmdline_case{{"get-msg", "--help"}, ok}, cmdline_case{{"set-msg", "--help"}, ok},
        cmdline_case{{"add", "--help"}, ok}, cmdline_case{{"sum", "--help"}, ok},
        cmdline_case{{"reset", "--help"}, ok}, cmdline_case{{"info", "--help"}, ok},
        cmdline_case{{"watch", "--help"}, ok}, cmdline_case{{"udev", "--help"}, ok},
        cmdline_case{{"udev", "install", "--help"}, ok},
        cmdline_case{{"udev", "uninstall", "--help"}, ok}, cmdline_case{{"module", "--help"}, ok},
        cmdline_case{{"module", "load", "--help"}, ok},
        cmdline_case{{"module", "unload", "--help"}, ok},
        // parsed; the device is missing
        cmdline_case{{"get-msg"}, fail}, cmdline_case{{"get-msg", "-n"}, fail},
        cmdline_case{{"set-msg", "hi"}, fail}, cmdline_case{{"set-msg", ""}, fail},
        cmdline_case{{"set-msg", "-"}, fail}, cmdline_case{{"set-msg", "--", "-x"}, fail},
        cmdline_case{{"--transport", "ioctl", "set-msg", "hi"}, fail},
        cmdline_case{{"add", "1"}, fail}, cmdline_case{{"add", "-5", "+7", "0"}, fail},
        cmdline_case{{"add", "-9223372036854775808"}, fail}, cmdline_case{{"sum"}, fail},
        cmdline_case{{"reset"}, fail}, cmdline_case{{"info"}, fail}, cmdline_case{{"watch"}, fail},
        cmdline_case{{"watch", "--count", "2"}, fail},
        cmdline_case{{"watch", "-c", "1", "-T", "0.5"}, fail},
        cmdline_case{{"-d", "0", "-t", "mmap", "sum"}, fail},
        cmdline_case{{"-d", "/dev/kdemo/kdemo0", "sum"}, fail},
        cmdline_case{{"-d", "/sys/class/kdemo/kdemo0", "sum"}, fail},
        cmdline_case{{"sum", "--json", "-t", "sysfs"}, fail},
        cmdline_case{{"-j", "-v", "info"}, fail},
        // work without a device
        cmdline_case{{"list"}, ok}, cmdline_case{{"--json", "list"}, ok},
        cmdline_case{{"udev", "install", "--dry-run"}, ok},
        cmdline_case{{"udev", "install", "-n", "--json"}, ok},
        cmdline_case{{"udev", "uninstall", "-n"}, ok}));

TEST(Cmdline, DeviceErrorNamesCommandDeviceAndStrerror) {
    const result r = run_kctl({"sum"});
    EXPECT_EQ(r.err, "kctl: sum: kdemo-unit-test-none: No such device\n" + test::no_module_hint());
    EXPECT_EQ(r.out, "");
}

TEST(Cmdline, DeviceFlagOverridesTheEnvironment) {
    const result r = run_kctl({"-d", "kdemo63", "set-msg", "hi"});
    EXPECT_EQ(r.err, "kctl: set-msg: kdemo63: No such device\n" + test::no_module_hint());
}

TEST(Cmdline, TransportFromTheEnvironmentIsChecked) {
    ::setenv("KCTL_TRANSPORT", "bogus", 1);
    std::vector<const char*> argv = {"kctl", "sum"};
    std::istringstream in;
    std::ostringstream out, err;
    io streams{in, out, err};
    EXPECT_EQ(run(2, argv.data(), streams), exit_usage);
    ::unsetenv("KCTL_TRANSPORT");
}

TEST(Cmdline, OutOfRangeNumbersSayWhatIsExpected) {
    const result count = run_kctl({"watch", "--count", "0"});
    EXPECT_EQ(count.status, usage);
    EXPECT_NE(count.err.find("--count: must be a number greater than 0, not 0"), std::string::npos)
        << count.err;
    const result timeout = run_kctl({"watch", "-T", "-1"});
    EXPECT_NE(timeout.err.find("must be a number of at least 0, not -1"), std::string::npos)
        << timeout.err;
    const result duration = run_kctl({"bench", "--duration", "0"});
    EXPECT_EQ(duration.status, usage);
    EXPECT_EQ(duration.err.find("1797693"), std::string::npos) << duration.err;
}

TEST(Cmdline, VersionNamesToolAndLibrary) {
    const result r = run_kctl({"--version"});
    EXPECT_EQ(r.out,
              std::string("kctl ") + KCTL_VERSION_STRING + " (libkctl " + kctl::version() + ")\n");
}

TEST(Cmdline, JsonListIsOneDocument) {
    const result r = run_kctl({"list", "--json"});
    ASSERT_EQ(r.status, exit_ok);
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_TRUE(j.at("devices").is_array());
}

TEST(Cmdline, UdevDryRunSaysWhatItWouldDo) {
    const result r = run_kctl({"udev", "install", "--dry-run"});
    EXPECT_NE(r.out.find("udevadm trigger --settle --subsystem-match=kdemo --action=add\n"),
              std::string::npos)
        << r.out;
}

}  // namespace
}  // namespace kctl::cli
