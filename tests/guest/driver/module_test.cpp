// The module's life: parameters, devices, unloading, and its kernel log.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/kdemo.hpp"
#include "common/kernel_log.hpp"

namespace kt {
namespace {

bool exists(const std::string& path) {
    return ::access(path.c_str(), F_OK) == 0;
}

// Nothing of the module may be left behind.
void expect_gone() {
    EXPECT_FALSE(exists("/sys/module/kdemo"));
    EXPECT_FALSE(exists("/sys/class/kdemo"));
    EXPECT_FALSE(exists("/proc/kdemo"));
    EXPECT_FALSE(exists("/dev/kdemo0"));
    EXPECT_EQ(run("grep -w kdemo /proc/devices").err, 1) << "char major still registered";
}

struct BadParam {
    const char* name;
    const char* params;
    const char* log;  // the one line that explains it
};

class BadModuleParameter : public ::testing::TestWithParam<BadParam> {
  protected:
    void SetUp() override {
        if (module_loaded()) {
            ASSERT_EQ(unload_module(), 0);
        }
    }
};

// The kernel's once-per-boot taint notices are not the module's to print.
// The module's own lines: "kdemo: ..." (its pr_fmt), without the kernel's taint notice and
// the other subsystems' chatter (the debug kernel logs every delayed kobject release).
std::vector<std::string> module_lines(KernelLog& log) {
    std::vector<std::string> lines;
    for (auto& line : log.new_lines())
        if ((line.starts_with("kdemo: ") || line.starts_with("kdemo kdemo")) &&
            line.find("taint") == std::string::npos)
            lines.push_back(line);
    return lines;
}

TEST_P(BadModuleParameter, IsRefusedWithEINVALAndOneClearLine) {
    KernelLog log;
    EXPECT_EQ(load_module(GetParam().params), EINVAL);
    auto lines = module_lines(log);
    ASSERT_EQ(lines.size(), 1u) << "expected one line, got " << lines.size()
                                << (lines.empty() ? "" : ": " + lines[0]);
    EXPECT_NE(lines[0].find(GetParam().log), std::string::npos) << lines[0];
    expect_gone();
}

INSTANTIATE_TEST_SUITE_P(
    Module, BadModuleParameter,
    ::testing::Values(BadParam{"NoDevices", "ndevs=0", "ndevs=0 is out of range (1..64)"},
                      BadParam{"TooManyDevices", "ndevs=65", "ndevs=65 is out of range (1..64)"},
                      BadParam{"ZeroMsgMax", "msg_max=0", "msg_max=0 is out of range"},
                      BadParam{"HugeMsgMax", "msg_max=1048577", "msg_max=1048577 is out of range"},
                      BadParam{"NotANumber", "ndevs=two", "invalid for parameter `ndevs'"},
                      BadParam{"Negative", "msg_max=-1", "invalid for parameter `msg_max'"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(Module, ModinfoDescribesTheModuleAndEveryParameter) {
    Io io = run("modinfo " + module_file());
    ASSERT_EQ(io.err, 0);
    for (const char* needle :
         {"license:        GPL", "version:        1.0.0", "description:", "parm:           ndevs:",
          "parm:           msg_max:", "(1..64", "(1..1048576"})
        EXPECT_NE(io.data.find(needle), std::string::npos) << needle << " missing in\n" << io.data;
}

TEST(Module, UnloadIsRefusedWhileTheNodeIsOpenAndCleanAfterwards) {
    ensure_module();
    {
        Fd fd = open_file(node_path(), O_RDONLY);
        EXPECT_EQ(unload_module(), EWOULDBLOCK);
        EXPECT_TRUE(module_loaded());
        EXPECT_EQ(get_sum(fd.get()).count, get_sum(fd.get()).count) << "still usable";
        EXPECT_NE(run("rmmod kdemo 2>&1").err, 0);
    }
    KernelLog log;
    ASSERT_EQ(unload_module(), 0);
    expect_gone();
    EXPECT_TRUE(log.contains("kdemo kdemo0: removed"));
}

TEST(Module, UnloadWhileSysfsAndProcFilesAreOpenIsSafe) {
    ensure_module();
    Fd sysfs = open_file(sysfs_path("sum"), O_RDONLY);
    Fd proc = open_file(proc_path("sum"), O_RDWR);
    Fd proc_msg = open_file(proc_path("message"), O_RDONLY);
    ASSERT_EQ(pread_all(sysfs.get()).err, 0);
    ASSERT_EQ(pread_all(proc.get()).err, 0);
    ASSERT_EQ(unload_module(), 0) << "open sysfs/proc files must not pin the module";
    expect_gone();
    // the files are dead, not dangling
    EXPECT_EQ(pread_all(sysfs.get()).err, ENODEV);
    EXPECT_EQ(pread_all(proc.get()).err, EIO);
    EXPECT_EQ(pread_all(proc_msg.get()).err, EIO);
    EXPECT_EQ(::pwrite(proc.get(), "1", 1, 0), -1);
    ensure_module();
}

TEST(Module, LoadAndUnloadLogOneInfoLinePerDevice) {
    if (module_loaded()) {
        ASSERT_EQ(unload_module(), 0);
    }
    KernelLog log;
    ASSERT_EQ(load_module("ndevs=3"), 0);
    auto lines = module_lines(log);
    ASSERT_EQ(lines.size(), 3u);
    for (int i = 0; i < 3; i++)
        EXPECT_EQ(lines[i],
                  "kdemo kdemo" + std::to_string(i) + ": version 1.0.0 ready: msg_max 4095, ABI 1");
    ASSERT_EQ(unload_module(), 0);
    lines = module_lines(log);
    ASSERT_EQ(lines.size(), 3u);
    for (int i = 0; i < 3; i++)  // in reverse, as the devices go
        EXPECT_EQ(lines[i], "kdemo kdemo" + std::to_string(2 - i) + ": removed");
}

class Devices : public KdemoTest {
  protected:
    ModuleConfig config() const override { return {.ndevs = 2}; }
};

TEST_F(Devices, EachHasItsNodeClassDeviceAndProcDirectory) {
    struct stat s0 {
    }, s1{};
    ASSERT_EQ(::stat("/dev/kdemo0", &s0), 0);
    ASSERT_EQ(::stat("/dev/kdemo1", &s1), 0);
    EXPECT_TRUE(S_ISCHR(s0.st_mode));
    EXPECT_EQ(major(s0.st_rdev), major(s1.st_rdev));
    EXPECT_NE(minor(s0.st_rdev), minor(s1.st_rdev));
    EXPECT_EQ(read_value("/sys/class/kdemo/kdemo1/dev"),
              std::to_string(major(s1.st_rdev)) + ":" + std::to_string(minor(s1.st_rdev)));
    EXPECT_TRUE(exists("/proc/kdemo/kdemo1/info"));
    EXPECT_FALSE(exists("/dev/kdemo2"));
}

TEST_F(Devices, AreIndependentThroughEveryTransport) {
    Fd other = open_file(node_path(1), O_RDWR);
    ASSERT_EQ(set_msg(other.get(), ""), 0);
    ASSERT_EQ(reset(other.get()), 0);
    Sum other_before = get_sum(other.get());

    ASSERT_EQ(set_msg(rw.get(), "zero"), 0);
    ASSERT_EQ(add(rw.get(), 5), 0);
    ASSERT_EQ(write_file(sysfs_path("add", 0), "6"), 0);
    ASSERT_EQ(write_file(proc_path("sum", 0), "7"), 0);
    ASSERT_EQ(write_file(proc_path("message", 0), "zero again"), 0);

    Sum o = get_sum(other.get());
    EXPECT_EQ(o.sum, 0);
    EXPECT_EQ(o.count, 0u);
    EXPECT_EQ(o.generation, other_before.generation);
    EXPECT_EQ(get_msg(other.get()), "");
    EXPECT_EQ(read_value(sysfs_path("sum", 1)), "0");
    EXPECT_EQ(read_value(proc_path("message", 1)), "");
    EXPECT_STREQ(get_info(other.get()).device, "kdemo1");

    ASSERT_EQ(write_file(sysfs_path("message", 1), "one"), 0);
    EXPECT_EQ(get_msg(rw.get()), "zero again");
    EXPECT_EQ(get_sum(rw.get()).sum, 18);
}

TEST(Module, SixtyFourDevicesAreTheMaximum) {
    ensure_module({.ndevs = 64});
    EXPECT_TRUE(exists("/dev/kdemo63"));
    EXPECT_TRUE(exists("/sys/class/kdemo/kdemo63/stats/opens"));
    EXPECT_TRUE(exists("/proc/kdemo/kdemo63/info"));
    ensure_module();
}

class DynamicDebug : public KdemoTest {
  protected:
    ModuleConfig config() const override { return {.dyndbg = true}; }
};

TEST_F(DynamicDebug, LogsEveryChange) {
    if (::access("/proc/dynamic_debug/control", F_OK) != 0) {
        // Every kernel of the matrix has dynamic debug but the data-race one, which leaves
        // it out (tests/vm/kcsan.config: KCSAN and little else).
        const char* flavour = std::getenv("KDEMO_KERNEL_FLAVOUR");
        if (flavour && std::string(flavour) == "kcsan")
            GTEST_SKIP() << "the kcsan kernel has no dynamic debug";
        FAIL() << "this kernel has no dynamic debug (/proc/dynamic_debug/control)";
    }
    KernelLog log;
    ASSERT_EQ(set_msg(rw.get(), "hi"), 0);
    ASSERT_EQ(add_batch(rw.get(), std::vector<int64_t>{1, 2}), 0);
    ASSERT_EQ(reset(rw.get()), 0);
    auto lines = log.new_lines();
    auto has = [&](const std::string& needle) {
        for (const auto& l : lines)
            if (l.find(needle) != std::string::npos)
                return true;
        return false;
    };
    EXPECT_TRUE(has("kdemo0: message set (2 bytes)"));
    EXPECT_TRUE(has("kdemo0: added 2 value(s): sum 3, count 2"));
    EXPECT_TRUE(has("kdemo0: accumulator reset"));
}

using Quiet = KdemoTest;

TEST_F(Quiet, ChangesLogNothingWithoutDynamicDebug) {
    KernelLog log;
    ASSERT_EQ(set_msg(rw.get(), "hi"), 0);
    ASSERT_EQ(add(rw.get(), 1), 0);
    EXPECT_EQ(write_file(sysfs_path("add"), "x"), EINVAL);
    EXPECT_TRUE(log.new_lines().empty());
}

class BigMessages : public KdemoTest {
  protected:
    ModuleConfig config() const override { return {.msg_max = 8192}; }
};

TEST_F(BigMessages, MsgMaxIsReportedEverywhere) {
    EXPECT_EQ(read_value(sysfs_path("msg_max")), "8192");
    EXPECT_EQ(get_info(ro.get()).msg_max, 8192u);
}

TEST_F(BigMessages, SysfsReadOfAMessageTooLongForAPageIsEFBIG) {
    ASSERT_EQ(set_msg(rw.get(), std::string(4095, 'x')), 0);
    EXPECT_EQ(read_file(sysfs_path("message")).err, EFBIG);
    // the other transports carry it
    EXPECT_EQ(read_file(proc_path("message")).data, std::string(4095, 'x') + "\n");
    EXPECT_EQ(get_msg(ro.get()), std::string(4095, 'x'));
    ASSERT_EQ(set_msg(rw.get(), std::string(8192, 'y')), 0);
    EXPECT_EQ(read_file(sysfs_path("message")).err, EFBIG);
}

TEST_F(BigMessages, SysfsCarriesUpTo4094BytesPlusTheNewline) {
    ASSERT_EQ(set_msg(rw.get(), std::string(4094, 'x')), 0);
    Io io = read_file(sysfs_path("message"));
    ASSERT_EQ(io.err, 0);
    EXPECT_EQ(io.data, std::string(4094, 'x') + "\n");
}

TEST_F(BigMessages, SysfsWritesAreLimitedToLessThanAPage) {
    EXPECT_EQ(write_file(sysfs_path("message"), std::string(4094, 'z') + "\n"), 0);
    EXPECT_EQ(get_msg(ro.get()), std::string(4094, 'z'));
    EXPECT_EQ(write_file(sysfs_path("message"), std::string(4095, 'a')), 0);
    EXPECT_EQ(get_msg(ro.get()), std::string(4095, 'a'));
    EXPECT_EQ(write_file(sysfs_path("message"), std::string(4095, 'w') + "\n"), E2BIG);
    EXPECT_EQ(write_file(sysfs_path("message"), std::string(5000, 'w')), E2BIG);
    EXPECT_EQ(get_msg(ro.get()), std::string(4095, 'a'));
    EXPECT_EQ(write_file(proc_path("message"), std::string(8192, 'p')), 0);
    EXPECT_EQ(get_msg(ro.get()), std::string(8192, 'p'));
}

class TinyMessages : public KdemoTest {
  protected:
    ModuleConfig config() const override { return {.msg_max = 1}; }
};

TEST_F(TinyMessages, OneByteIsTheLimit) {
    EXPECT_EQ(set_msg(rw.get(), "a"), 0);
    EXPECT_EQ(set_msg(rw.get(), "ab"), EMSGSIZE);
    EXPECT_EQ(write_file(sysfs_path("message"), "b\n"), 0);
    EXPECT_EQ(write_file(proc_path("message"), "cd"), EMSGSIZE);
    EXPECT_EQ(write_file(sysfs_path("message"), "cd\n"), EMSGSIZE);
    EXPECT_EQ(get_msg(ro.get()), "b");
}

class HugeMessages : public KdemoTest {
  protected:
    ModuleConfig config() const override { return {.msg_max = 1048576}; }
};

TEST_F(HugeMessages, OneMebibyteTravelsThroughIoctlAndProc) {
    std::string big(1048576, '\0');
    for (size_t i = 0; i < big.size(); i++)
        big[i] = static_cast<char>('A' + (i * 7) % 26);
    ASSERT_EQ(set_msg(rw.get(), big), 0);
    EXPECT_EQ(get_msg(ro.get()), big);
    EXPECT_EQ(read_file(proc_path("message")).data, big + "\n");
    ASSERT_EQ(write_file(proc_path("message"), big + "\n"), 0);
    EXPECT_EQ(get_info(ro.get()).msg_len, big.size());
    EXPECT_EQ(set_msg(rw.get(), big + "!"), EMSGSIZE);
}

}  // namespace
}  // namespace kt
