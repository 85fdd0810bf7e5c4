// kctl against the module: every command on every transport, in text and
// JSON, its exit statuses and error lines, and the spec's examples as
// written. Effects are checked with raw system calls.
#include <gtest/gtest.h>
#include <kctl/kctl.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "kctl/fixture.hpp"

namespace kt {
namespace {

using json = nlohmann::json;

// Parses stdout as one JSON document (and only one: a single line).
json parse(const Proc& p) {
    EXPECT_EQ(p.status, 0) << p.err;
    EXPECT_FALSE(p.out.empty());
    EXPECT_EQ(p.out.find('\n'), p.out.size() - 1) << "one line: " << p.out;
    try {
        return json::parse(p.out);
    } catch (const json::exception& e) {
        ADD_FAILURE() << "not JSON: " << e.what() << ": " << p.out;
        return json::object();
    }
}

std::string unsupported(const std::string& command, const std::string& transport) {
    return "kctl: " + command + ": kdemo0 via " + transport + ": " + std::strerror(EOPNOTSUPP) +
           "\n";
}

// --- every command on every transport ---------------------------------------------

class KctlCommand : public KctlTest, public ::testing::WithParamInterface<const char*> {
  protected:
    std::string t() const { return GetParam(); }
    bool mmap() const { return t() == "mmap"; }
    // kctl -t T ARGS...
    Proc run(std::vector<std::string> args, bool as_json = false) {
        args.insert(args.begin(), {"-t", t()});
        if (as_json)
            args.insert(args.begin(), "--json");
        return kctl(args);
    }
    void expect_refused(const Proc& p, const char* command) {
        EXPECT_EQ(p.status, 1);
        EXPECT_EQ(p.out, "");
        EXPECT_EQ(p.err, unsupported(command, t()));
    }
};

TEST_P(KctlCommand, SetMsg) {
    Sum before = state();
    Proc text = run({"set-msg", "text via " + t()});
    Proc js = run({"set-msg", "json via " + t()}, true);
    if (mmap()) {
        expect_refused(text, "set-msg");
        expect_refused(js, "set-msg");
        EXPECT_EQ(state().generation, before.generation);
        return;
    }
    EXPECT_EQ(text.status, 0) << text.err;
    EXPECT_EQ(text.out, "");
    EXPECT_EQ(text.err, "");
    json j = parse(js);
    EXPECT_EQ(j, json({{"format", "kctl-set-msg"},
                       {"version", 1},
                       {"device", "kdemo0"},
                       {"length", 9 + t().size()}}));
    EXPECT_TRUE(j["length"].is_number_unsigned());
    EXPECT_EQ(get_msg(ro.get()), "json via " + t());
    EXPECT_EQ(state().generation, before.generation + 2);
}

TEST_P(KctlCommand, GetMsg) {
    std::string msg = "read \"via\" " + t();
    ASSERT_EQ(set_msg(rw.get(), msg), 0);
    Proc text = run({"get-msg"});
    Proc bytes = run({"get-msg", "--no-newline"});
    Proc js = run({"get-msg"}, true);
    if (mmap()) {
        expect_refused(text, "get-msg");
        expect_refused(js, "get-msg");
        return;
    }
    EXPECT_EQ(text.status, 0) << text.err;
    EXPECT_EQ(text.out, msg + "\n");
    EXPECT_EQ(bytes.out, msg);
    json j = parse(js);
    EXPECT_EQ(j.at("message"), msg);
    EXPECT_EQ(j.at("length"), msg.size());
    EXPECT_TRUE(j.at("message_base64").is_string());
}

TEST_P(KctlCommand, GetMsgJsonCarriesBinaryBytesLosslessly) {
    const std::string msg("\x00\xff\xfehi", 5);
    ASSERT_EQ(set_msg(rw.get(), msg), 0);
    Proc js = run({"get-msg"}, true);
    if (mmap()) {
        expect_refused(js, "get-msg");
        return;
    }
    json j = parse(js);
    EXPECT_EQ(j.at("message_base64"), "AP/+aGk=");  // base64 -w0 of those five bytes
    EXPECT_EQ(j.at("length"), 5u);
}

TEST_P(KctlCommand, Add) {
    ASSERT_EQ(add(rw.get(), 1000), 0);
    Proc text = run({"add", "1", "-2", "40"});
    // MIN first: every partial sum stays in range
    Proc js = run({"add", "-9223372036854775808", "9223372036854775807"}, true);
    if (mmap()) {
        expect_refused(text, "add");
        expect_refused(js, "add");
        EXPECT_EQ(state().sum, 1000);
        return;
    }
    EXPECT_EQ(text.status, 0) << text.err;
    EXPECT_EQ(text.out, "");
    EXPECT_EQ(parse(js),
              json({{"format", "kctl-add"}, {"version", 1}, {"device", "kdemo0"}, {"values", 2}}));
    Sum s = state();
    EXPECT_EQ(s.sum, 1000 + 39 - 1);
    EXPECT_EQ(s.count, 6u);
}

TEST_P(KctlCommand, Sum) {
    ASSERT_EQ(add_batch(rw.get(), std::vector<int64_t>{-50, 8}), 0);
    Sum s = state();
    Proc text = run({"sum"});
    Proc js = run({"sum"}, true);
    EXPECT_EQ(text.status, 0) << text.err;
    EXPECT_EQ(text.out, "sum: -42\ncount: 2\ngeneration: " + std::to_string(s.generation) + "\n");
    json j = parse(js);
    EXPECT_EQ(j, json({{"format", "kctl-sum"},
                       {"version", 1},
                       {"sum", -42},
                       {"count", 2},
                       {"generation", s.generation}}));
    EXPECT_TRUE(j["sum"].is_number_integer());
    EXPECT_TRUE(j["count"].is_number_unsigned());
    EXPECT_TRUE(j["generation"].is_number_unsigned());
}

TEST_P(KctlCommand, Reset) {
    ASSERT_EQ(add(rw.get(), 7), 0);
    Proc text = run({"reset"});
    if (mmap()) {
        expect_refused(text, "reset");
        expect_refused(run({"reset"}, true), "reset");
        EXPECT_EQ(state().sum, 7);
        return;
    }
    EXPECT_EQ(text.status, 0) << text.err;
    EXPECT_EQ(text.out, "");
    EXPECT_EQ(state().count, 0u);
    ASSERT_EQ(add(rw.get(), 7), 0);
    EXPECT_EQ(parse(run({"reset"}, true)),
              json({{"format", "kctl-reset"}, {"version", 1}, {"device", "kdemo0"}}));
    EXPECT_EQ(state().count, 0u);
}

const char* const kInfoKeys[] = {"driver",     "version",     "abi",       "device",
                                 "msg_max",    "msg_len",     "sum",       "count",
                                 "generation", "opens",       "ioctl_ops", "sysfs_ops",
                                 "proc_ops",   "netlink_ops", "uring_ops", "random"};

TEST_P(KctlCommand, Info) {
    ASSERT_EQ(set_msg(rw.get(), "12345"), 0);
    ASSERT_EQ(add(rw.get(), -9), 0);
    Sum s = state();
    Proc text = run({"info"});
    Proc js = run({"info"}, true);
    if (mmap()) {
        expect_refused(text, "info");
        expect_refused(js, "info");
        return;
    }
    bool partial = t() == "sysfs";
    // text: one "key: value" line per field, in the proc info order
    EXPECT_EQ(text.status, 0) << text.err;
    std::istringstream in(text.out);
    std::string l;
    std::vector<std::string> keys;
    std::map<std::string, std::string> values;
    while (std::getline(in, l)) {
        auto colon = l.find(": ");
        ASSERT_NE(colon, std::string::npos) << l;
        keys.push_back(l.substr(0, colon));
        values[keys.back()] = l.substr(colon + 2);
    }
    EXPECT_EQ(keys, std::vector<std::string>(std::begin(kInfoKeys), std::end(kInfoKeys)));
    EXPECT_EQ(values["driver"], partial ? "-" : "kdemo");
    EXPECT_EQ(values["msg_len"], partial ? "-" : "5");
    EXPECT_EQ(values["device"], "kdemo0");
    EXPECT_EQ(values["msg_max"], "8192");
    EXPECT_EQ(values["sum"], "-9");
    EXPECT_EQ(values["generation"], std::to_string(s.generation));

    const json doc = parse(js);
    ASSERT_TRUE(doc.is_object());
    EXPECT_EQ(doc["format"], "kctl-info");
    json j = doc["info"];
    ASSERT_TRUE(j.is_object());
    EXPECT_EQ(j.size(), std::size(kInfoKeys));
    for (const char* k : kInfoKeys) {
        ASSERT_TRUE(j.contains(k)) << k;
        std::string key = k;
        if (partial && (key == "driver" || key == "version" || key == "abi" || key == "msg_len")) {
            EXPECT_TRUE(j[k].is_null()) << k;
        } else if (key == "driver" || key == "version" || key == "device") {
            EXPECT_TRUE(j[k].is_string()) << k;
        } else {
            EXPECT_TRUE(j[k].is_number_integer()) << k << " is " << j[k].dump();
        }
    }
    kdemo_info raw = get_info(ro.get());
    EXPECT_EQ(j["sum"], -9);
    EXPECT_EQ(j["count"], 1);
    EXPECT_EQ(j["generation"], s.generation);
    EXPECT_EQ(j["msg_max"], 8192);
    EXPECT_EQ(j["device"], "kdemo0");
    if (!partial) {
        EXPECT_EQ(j["driver"], raw.driver);
        EXPECT_EQ(j["version"], raw.version);
        EXPECT_EQ(j["abi"], raw.abi_version);
        EXPECT_EQ(j["msg_len"], 5);
    }
}

INSTANTIATE_TEST_SUITE_P(Kctl, KctlCommand,
                         ::testing::Values("ioctl", "sysfs", "proc", "mmap", "uring", "auto"),
                         [](const auto& info) { return std::string(info.param); });

// --- set-msg - -----------------------------------------------------------------------

using KctlStdin = KctlTest;

TEST_F(KctlStdin, SetMsgDashStoresEveryByteExactly) {
    std::string bytes;
    for (int i = 0; i < 256; i++)
        bytes.push_back(static_cast<char>(i));
    bytes += "\n\n";  // trailing newlines are message bytes too
    for (const char* t : {"auto", "ioctl"}) {
        ASSERT_EQ(set_msg(rw.get(), ""), 0);
        ExecOptions o;
        o.input = bytes;
        Proc p = kctl({"-t", t, "set-msg", "-"}, o);
        EXPECT_EQ(p.status, 0) << t << ": " << p.err;
        EXPECT_EQ(get_msg(ro.get()), bytes) << t;
        Proc back = kctl({"-t", t, "get-msg", "-n"});
        EXPECT_EQ(back.out, bytes) << t;
    }
    Proc js = kctl({"--json", "get-msg"});
    EXPECT_EQ(parse(js)["length"], bytes.size()) << "bytes that are not UTF-8 do not break JSON";
}

TEST_F(KctlStdin, SetMsgDashThroughTextTransportsKeepsNewlines) {
    std::string text = "line one\nline two\n";
    for (const char* t : {"sysfs", "proc"}) {
        ASSERT_EQ(set_msg(rw.get(), ""), 0);
        ExecOptions o;
        o.input = text;
        EXPECT_EQ(kctl({"-t", t, "set-msg", "-"}, o).status, 0) << t;
        EXPECT_EQ(get_msg(ro.get()), text) << t;
        EXPECT_EQ(kctl({"-t", t, "get-msg"}).out, text + "\n") << t;
    }
}

TEST_F(KctlStdin, SetMsgDashWithEmptyInputEmptiesTheMessage) {
    ASSERT_EQ(set_msg(rw.get(), "full"), 0);
    EXPECT_EQ(kctl({"set-msg", "-"}).status, 0);
    EXPECT_EQ(get_msg(ro.get()), "");
}

TEST_F(KctlStdin, SetMsgDashLongerThanMsgMaxFailsAndChangesNothing) {
    ASSERT_EQ(set_msg(rw.get(), "kept"), 0);
    ExecOptions o;
    o.input = std::string(kKctlConfig.msg_max + 1, 'z');
    Proc p = kctl({"set-msg", "-"}, o);
    EXPECT_EQ(p.status, 1);
    EXPECT_EQ(p.out, "");
    EXPECT_EQ(p.err,
              std::string("kctl: set-msg: kdemo0 via ioctl: ") + std::strerror(EMSGSIZE) + "\n");
    EXPECT_EQ(get_msg(ro.get()), "kept");
}

// --- choosing the device and the transport -----------------------------------------------

struct DeviceForm {
    const char* test_name;
    const char* form;
};

class KctlDeviceName : public KctlTest, public ::testing::WithParamInterface<DeviceForm> {};

TEST_P(KctlDeviceName, DashDAcceptsIt) {
    std::string name = GetParam().form;
    Proc p = kctl({"-d", name, "set-msg", name});
    EXPECT_EQ(p.status, 0) << p.err;
    EXPECT_EQ(read_value(sysfs_path("message", 1)), name);
    Proc js = kctl({"--json", "--device", name, "reset"});
    EXPECT_EQ(parse(js), json({{"format", "kctl-reset"}, {"version", 1}, {"device", "kdemo1"}}));
}

INSTANTIATE_TEST_SUITE_P(Kctl, KctlDeviceName,
                         ::testing::Values(DeviceForm{"Number", "1"}, DeviceForm{"Name", "kdemo1"},
                                           DeviceForm{"Node", "/dev/kdemo1"},
                                           DeviceForm{"UdevSymlink", "/dev/kdemo/kdemo1"},
                                           DeviceForm{"ClassPath", "/sys/class/kdemo/kdemo1"},
                                           DeviceForm{"DevicePath",
                                                      "/sys/devices/virtual/kdemo/kdemo1"}),
                         [](const auto& info) { return std::string(info.param.test_name); });

using KctlEnvironment = KctlTest;

TEST_F(KctlEnvironment, KCTL_DEVICENamesTheDeviceAndDashDWins) {
    ExecOptions o;
    o.env = {{"KCTL_DEVICE", "kdemo1"}};
    EXPECT_EQ(kctl({"set-msg", "env"}, o).status, 0);
    EXPECT_EQ(kctl({"-d", "2", "set-msg", "option"}, o).status, 0);
    EXPECT_EQ(read_value(sysfs_path("message", 1)), "env");
    EXPECT_EQ(read_value(sysfs_path("message", 2)), "option");
    EXPECT_EQ(get_msg(ro.get()), "") << "kdemo0 untouched";
}

TEST_F(KctlEnvironment, KCTL_TRANSPORTChoosesTheTransportAndDashTWins) {
    ExecOptions o;
    o.env = {{"KCTL_TRANSPORT", "proc"}};
    Proc p = kctl({"-v", "sum"}, o);
    EXPECT_EQ(p.status, 0);
    EXPECT_EQ(p.err, "kctl: sum: using proc (requested)\n");
    Proc over = kctl({"-v", "-t", "sysfs", "sum"}, o);
    EXPECT_EQ(over.err, "kctl: sum: using sysfs (requested)\n");
    o.env = {{"KCTL_TRANSPORT", "mmap"}};
    Proc refused = kctl({"get-msg"}, o);
    EXPECT_EQ(refused.status, 1);
    EXPECT_EQ(refused.err, unsupported("get-msg", "mmap"));
}

// --- -v, --version, --help --------------------------------------------------------------

struct Verbose {
    const char* test_name;
    std::vector<std::string> args;
    const char* err;  // all of stderr
};

class KctlVerbose : public KctlTest, public ::testing::WithParamInterface<Verbose> {};

TEST_P(KctlVerbose, PrintsTheChoosersDecisionOnStderr) {
    Proc p = kctl(GetParam().args);
    EXPECT_EQ(p.status, 0);
    EXPECT_EQ(p.err, GetParam().err);
}

INSTANTIATE_TEST_SUITE_P(
    Kctl, KctlVerbose,
    ::testing::Values(
        Verbose{"Sum", {"-v", "sum"}, "kctl: sum: using mmap (fastest usable)\n"},
        Verbose{"LongOption",
                {"--verbose", "get-msg"},
                "kctl: get-msg: using ioctl (fastest usable)\n"},
        Verbose{"AfterTheCommand",
                {"set-msg", "x", "-v"},
                "kctl: set-msg: using ioctl (fastest usable)\n"},
        Verbose{"Requested", {"-v", "-t", "proc", "info"}, "kctl: info: using proc (requested)\n"},
        Verbose{"Quiet", {"sum"}, ""}),
    [](const auto& info) { return std::string(info.param.test_name); });

TEST(KctlVersion, PrintsToolAndLibraryVersions) {
    for (const char* flag : {"--version", "-V"}) {
        Proc p = kctl({flag});
        EXPECT_EQ(p.status, 0);
        EXPECT_EQ(p.out, std::string("kctl 1.0.0 (libkctl ") + kctl::version() + ")\n") << flag;
        EXPECT_EQ(p.err, "");
    }
}

class KctlHelp : public ::testing::TestWithParam<std::vector<std::string>> {};

TEST_P(KctlHelp, ExitsZeroWithUsageOnStdout) {
    std::vector<std::string> args = GetParam();
    std::string path = "kctl";
    for (const std::string& a : args)
        path += " " + a;
    args.push_back("--help");
    Proc p = kctl(args);
    EXPECT_EQ(p.status, 0);
    EXPECT_EQ(p.err, "");
    EXPECT_NE(p.out.find("Usage: " + path + " [OPTIONS]"), std::string::npos) << p.out;
    EXPECT_NE(p.out.find("-h,--help"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    Kctl, KctlHelp,
    ::testing::Values(
        std::vector<std::string>{}, std::vector<std::string>{"list"},
        std::vector<std::string>{"get-msg"}, std::vector<std::string>{"set-msg"},
        std::vector<std::string>{"add"}, std::vector<std::string>{"sum"},
        std::vector<std::string>{"reset"}, std::vector<std::string>{"info"},
        std::vector<std::string>{"watch"}, std::vector<std::string>{"udev"},
        std::vector<std::string>{"udev", "install"}, std::vector<std::string>{"udev", "uninstall"},
        std::vector<std::string>{"module"}, std::vector<std::string>{"module", "load"},
        std::vector<std::string>{"module", "unload"}, std::vector<std::string>{"bench"}),
    [](const auto& info) {
        std::string name = "kctl";
        for (std::string w : info.param) {
            w.erase(std::remove(w.begin(), w.end(), '-'), w.end());
            name += "_" + w;
        }
        return name;
    });

// --- exit statuses -----------------------------------------------------------------------

struct Exit {
    const char* test_name;
    std::vector<std::string> args;
    int status;
    // status 1: all of stderr; status 2: a part of it
    std::string err;
    std::optional<std::string> env_device = std::nullopt;
    std::optional<std::string> env_transport = std::nullopt;
    int64_t preset_sum = 0;
};

class KctlExitStatus : public KctlTest, public ::testing::WithParamInterface<Exit> {};

TEST_P(KctlExitStatus, IsAsSpecifiedWithNothingOnStdoutAndNothingChanged) {
    const Exit& e = GetParam();
    if (e.preset_sum) {
        ASSERT_EQ(add(rw.get(), e.preset_sum), 0);
    }
    ASSERT_EQ(set_msg(rw.get(), "unchanged"), 0);
    Sum before = state();
    ExecOptions o;
    if (e.env_device)
        o.env.emplace_back("KCTL_DEVICE", *e.env_device);
    if (e.env_transport)
        o.env.emplace_back("KCTL_TRANSPORT", *e.env_transport);
    Proc p = kctl(e.args, o);
    EXPECT_EQ(p.status, e.status) << p.err;
    EXPECT_EQ(p.out, "") << "errors go to stderr only";
    if (e.status == 1) {
        EXPECT_EQ(p.err, e.err);
    } else {
        EXPECT_NE(p.err.find(e.err), std::string::npos) << p.err;
    }
    EXPECT_EQ(state().generation, before.generation) << "a failed command changes nothing";
    EXPECT_EQ(get_msg(ro.get()), "unchanged");
}

std::string device_error(const char* command, const char* what, int err) {
    return std::string("kctl: ") + command + ": " + what + ": " + std::strerror(err) + "\n";
}

std::vector<std::string> many(size_t n, const std::string& first, const std::string& value) {
    std::vector<std::string> v{first};
    v.insert(v.end(), n, value);
    return v;
}

INSTANTIATE_TEST_SUITE_P(
    Kctl, KctlExitStatus,
    ::testing::Values(
        // usage errors: 2
        Exit{"NoCommand", {}, 2, "A subcommand is required"},
        Exit{"UnknownCommand", {"frobnicate"}, 2, "frobnicate"},
        Exit{"UnknownOption", {"--frobnicate", "sum"}, 2, "--frobnicate"},
        Exit{"UnknownTransport", {"-t", "pigeon", "sum"}, 2, "pigeon"},
        Exit{"UnknownTransportInEnvironment", {"sum"}, 2, "pigeon", std::nullopt, "pigeon"},
        Exit{"TransportWithoutValue", {"sum", "-t"}, 2, "--transport"},
        Exit{"SetMsgWithoutText", {"set-msg"}, 2, "TEXT"},
        Exit{"SetMsgWithTwoTexts", {"set-msg", "a", "b"}, 2, "b"},
        Exit{"AddWithoutNumbers", {"add"}, 2, "N"}, Exit{"AddHex", {"add", "0x10"}, 2, "0x10"},
        Exit{"AddExponent", {"add", "1e3"}, 2, "1e3"},
        Exit{"AddDigitsWithALetter", {"add", "1", "12d34", "3"}, 2, "12d34"},
        Exit{"AddPastInt64", {"add", "9223372036854775808"}, 2, "9223372036854775808"},
        Exit{"AddEmptyString", {"add", ""}, 2, "integer"},
        Exit{"SumWithAnArgument", {"sum", "5"}, 2, "5"},
        Exit{"WatchCountZero", {"watch", "--count", "0"}, 2, "--count"},
        Exit{"WatchNegativeTimeout", {"watch", "--timeout", "-1"}, 2, "--timeout"},
        Exit{"UdevWithoutSubcommand", {"udev"}, 2, "A subcommand is required"},
        Exit{"ModuleWithoutSubcommand", {"module"}, 2, "A subcommand is required"},
        Exit{"ModuleLoadMissingFile",
             {"module", "load", "--path", "/nonexistent.ko"},
             2,
             "/nonexistent.ko"},
        // device errors: 1, "kctl: COMMAND: WHAT: STRERROR"
        Exit{"MissingDevice", {"-d", "kdemo9", "sum"}, 1, device_error("sum", "kdemo9", ENODEV)},
        Exit{"MissingDeviceInEnvironment",
             {"get-msg"},
             1,
             device_error("get-msg", "/dev/kdemo9", ENODEV),
             "/dev/kdemo9"},
        Exit{"MissingDeviceWithJson",
             {"--json", "-d", "7", "info"},
             1,
             device_error("info", "7", ENODEV)},
        Exit{"MmapCannotGetMsg",
             {"-t", "mmap", "get-msg"},
             1,
             device_error("get-msg", "kdemo0 via mmap", EOPNOTSUPP)},
        Exit{"MmapCannotWatch",
             {"-t", "mmap", "watch"},
             1,
             device_error("watch", "kdemo0 via mmap", EOPNOTSUPP)},
        Exit{"ProcCannotWatch",
             {"-t", "proc", "watch", "--count", "1"},
             1,
             device_error("watch", "kdemo0 via proc", EOPNOTSUPP)},
        Exit{"Overflow",
             {"add", "1"},
             1,
             device_error("add", "kdemo0 via ioctl", ERANGE),
             std::nullopt,
             std::nullopt,
             INT64_MAX},
        Exit{"OverflowThroughProc",
             {"-t", "proc", "add", "2", "-3"},
             1,
             device_error("add", "kdemo0 via proc", ERANGE),
             std::nullopt,
             std::nullopt,
             INT64_MAX - 1},
        Exit{"MessageTooLong",
             {"set-msg", std::string(8193, 'x')},
             1,
             device_error("set-msg", "kdemo0 via ioctl", EMSGSIZE)},
        Exit{"MessageTooLongForSysfs",
             {"-t", "sysfs", "set-msg", std::string(4095, 'x')},
             1,
             device_error("set-msg", "kdemo0 via sysfs", EFBIG)},
        Exit{"TooManyValues", many(4097, "add", "1"), 1,
             device_error("add", "kdemo0 via auto", E2BIG)},
        Exit{"TooManyValuesForSysfs", many(2100, "add", "-1"), 1,
             device_error("add", "kdemo0 via sysfs", EFBIG), std::nullopt, "sysfs"},
        Exit{"ModuleAlreadyLoadedFromAFile",
             {"module", "load", "--path", "/kdemo/kdemo.ko"},
             1,
             device_error("module load", "/kdemo/kdemo.ko", EEXIST)}),
    [](const auto& info) { return std::string(info.param.test_name); });

TEST_F(KctlExitStatus, SuccessIsZero) {
    for (const std::vector<std::string>& args : {std::vector<std::string>{"list"},
                                                 {"sum"},
                                                 {"info"},
                                                 {"get-msg"},
                                                 {"set-msg", "ok"},
                                                 {"add", "1"},
                                                 {"reset"},
                                                 {"udev", "install", "--dry-run"}}) {
        Proc p = kctl(args);
        EXPECT_EQ(p.status, 0) << args[0] << ": " << p.err;
    }
}

// --- list -----------------------------------------------------------------------------------

using KctlList = KctlTest;

TEST_F(KctlList, ShowsEveryDeviceWithNodeAndNumbers) {
    Proc text = kctl({"list"});
    ASSERT_EQ(text.status, 0);
    std::istringstream in(text.out);
    std::string header;
    std::getline(in, header);
    EXPECT_EQ(header.rfind("DEVICE", 0), 0u) << header;
    json j = parse(kctl({"--json", "list"}));
    ASSERT_EQ(j["devices"].size(), 3u);
    for (int dev = 0; dev < 3; dev++) {
        std::string row;
        std::getline(in, row);
        std::istringstream words(row);
        std::string name, node, numbers;
        words >> name >> node >> numbers;
        std::string n = "kdemo" + std::to_string(dev);
        std::string majmin = read_value(sysfs_path("dev", dev));
        EXPECT_EQ(name, n);
        EXPECT_EQ(node, "/dev/" + n);
        EXPECT_EQ(numbers, majmin);
        const json& d = j["devices"][dev];
        EXPECT_EQ(d["name"], n);
        EXPECT_EQ(d["node"], "/dev/" + n);
        ASSERT_TRUE(d["major"].is_number_unsigned());
        ASSERT_TRUE(d["minor"].is_number_unsigned());
        EXPECT_EQ(std::to_string(d["major"].get<unsigned>()) + ":" +
                      std::to_string(d["minor"].get<unsigned>()),
                  majmin);
        for (const char* t : {"mmap", "ioctl", "sysfs", "proc"}) {
            EXPECT_TRUE(d["transports"][t]["read"].is_boolean()) << t;
            EXPECT_TRUE(d["transports"][t]["write"].is_boolean()) << t;
        }
    }
    std::string rest;
    EXPECT_FALSE(std::getline(in, rest)) << "one row per device: " << rest;
}

// --- the spec's examples, as written ------------------------------------------------------

using KctlSpecExample = KctlTest;

TEST_F(KctlSpecExample, TransportIoctlSetMsgHi) {
    Io io = run("kctl --transport ioctl set-msg hi");
    EXPECT_EQ(io.err, 0);
    EXPECT_EQ(get_msg(ro.get()), "hi");
}

TEST_F(KctlSpecExample, CatSysfsSum) {
    ASSERT_EQ(add_batch(rw.get(), std::vector<int64_t>{40, 2}), 0);
    Io io = run("cat /sys/class/kdemo/kdemo0/sum");
    EXPECT_EQ(io.err, 0);
    EXPECT_EQ(io.data, "42\n");
}

TEST_F(KctlSpecExample, EchoToSysfsMessageStoresWithoutTheNewline) {
    Io io = run("echo hi > /sys/class/kdemo/kdemo0/message && kctl get-msg");
    EXPECT_EQ(io.err, 0);
    EXPECT_EQ(io.data, "hi\n");
    EXPECT_EQ(get_msg(ro.get()), "hi");
}

TEST_F(KctlSpecExample, KctlBenchExists) {
    Proc p = kctl({"bench", "--help"});
    EXPECT_EQ(p.status, 0);
    EXPECT_NE(p.out.find("Usage: kctl bench"), std::string::npos) << p.out;
}

}  // namespace
}  // namespace kt
