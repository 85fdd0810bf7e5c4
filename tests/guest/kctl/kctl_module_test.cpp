// kctl module load|unload through libkmod, against the real kernel.
#include <unistd.h>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <string>

#include "../../unit/json_schema_check.hpp"
#include "common/kernel_log.hpp"
#include "kctl/fixture.hpp"

namespace kt {
namespace {

using json = nlohmann::json;

bool exists(const std::string& path) {
    return ::access(path.c_str(), F_OK) == 0;
}

std::string param(const char* name) {
    return read_value(std::string("/sys/module/kdemo/parameters/") + name);
}

class KctlModule : public KctlTest {
  protected:
    // The fixture's descriptors would keep the module in use.
    void close_and_unload() {
        rw.reset();
        ro.reset();
        if (module_loaded()) {
            ASSERT_EQ(unload_module(), 0);
        }
    }
    void TearDown() override {
        if (!module_loaded()) {
            EXPECT_EQ(load_module(kKctlConfig.params()), 0);
        }
        ensure_module(kKctlConfig);
        (void)run("udevadm settle --timeout=30");
    }
};

TEST_F(KctlModule, UnloadRemovesEveryDevice) {
    rw.reset();
    ro.reset();
    KernelLog log;
    Proc p = kctl({"module", "unload"});
    EXPECT_EQ(p.status, 0) << p.err;
    EXPECT_EQ(p.out, "");
    EXPECT_EQ(p.err, "");
    EXPECT_FALSE(module_loaded());
    EXPECT_FALSE(exists("/dev/kdemo0"));
    EXPECT_FALSE(exists("/sys/class/kdemo"));
    EXPECT_FALSE(exists("/proc/kdemo"));
    EXPECT_TRUE(log.contains("kdemo kdemo0: removed"));
}

TEST_F(KctlModule, LoadByNameWithParameters) {
    close_and_unload();
    KernelLog log;
    Proc p = kctl({"module", "load", "ndevs=2", "msg_max=100"});
    EXPECT_EQ(p.status, 0) << p.err;
    EXPECT_EQ(p.out, "");
    ASSERT_TRUE(module_loaded());
    EXPECT_EQ(param("ndevs"), "2");
    EXPECT_EQ(param("msg_max"), "100");
    EXPECT_TRUE(log.contains("kdemo kdemo1: version 1.0.0 ready: msg_max 100"));
    ASSERT_EQ(run("udevadm settle --timeout=30").err, 0);
    // the devices are usable at once, with the rule applied
    Proc list = kctl({"list"}, as("kuser"));
    EXPECT_NE(list.out.find("kdemo1     /dev/kdemo1"), std::string::npos) << list.out;
    EXPECT_EQ(kctl({"-d", "1", "set-msg", "loaded"}, as("kuser")).status, 0);
    EXPECT_EQ(read_value(sysfs_path("message", 1)), "loaded");
}

TEST_F(KctlModule, LoadFromAFileAndUnloadWithJson) {
    close_and_unload();
    Proc load = kctl({"--json", "module", "load", "--path", module_file(), "ndevs=3"});
    EXPECT_EQ(load.status, 0) << load.err;
    EXPECT_EQ(
        json::parse(load.out),
        json({{"format", "kctl-module"}, {"version", 1}, {"module", "kdemo"}, {"loaded", true}}));
    EXPECT_EQ(param("ndevs"), "3");
    ASSERT_EQ(run("udevadm settle --timeout=30").err, 0);
    Proc unload = kctl({"--json", "module", "unload"});
    EXPECT_EQ(unload.status, 0) << unload.err;
    EXPECT_EQ(
        json::parse(unload.out),
        json({{"format", "kctl-module"}, {"version", 1}, {"module", "kdemo"}, {"loaded", false}}));
    EXPECT_FALSE(module_loaded());
    const json schema = json::parse(kctl({"schema", "module"}).out);
    for (const Proc* p : {&load, &unload})
        for (const std::string& e : kdemo::strict_schema_errors(schema, json::parse(p->out)))
            ADD_FAILURE() << e << "\n  in " << p->out;
}

TEST_F(KctlModule, LoadByNameWhenLoadedChangesNothing) {
    Proc p = kctl({"module", "load", "ndevs=1"});
    EXPECT_EQ(p.status, 0) << "as modprobe: already loaded is success";
    EXPECT_EQ(param("ndevs"), "3") << "and the loaded module is left alone";
}

TEST_F(KctlModule, UnloadWhenNotLoadedExits1) {
    close_and_unload();
    Proc p = kctl({"module", "unload"});
    EXPECT_EQ(p.status, 1);
    EXPECT_EQ(p.out, "");
    EXPECT_EQ(p.err, std::string("kctl: module unload: kdemo is not loaded: ") +
                         std::strerror(ENOENT) + "\n");
}

TEST_F(KctlModule, UnloadWhileInUseExits1AndKeepsTheModule) {
    // rw and ro hold the node open
    Proc p = kctl({"module", "unload"});
    EXPECT_EQ(p.status, 1);
    EXPECT_EQ(p.out, "");
    // delete_module(O_NONBLOCK) refuses a module in use with EWOULDBLOCK
    EXPECT_EQ(p.err,
              std::string("kctl: module unload: kdemo: ") + std::strerror(EWOULDBLOCK) + "\n");
    EXPECT_TRUE(module_loaded());
    EXPECT_EQ(add(rw.get(), 1), 0) << "still working";
}

TEST_F(KctlModule, BadParameterExits1WithTheKernelsReason) {
    close_and_unload();
    KernelLog log;
    Proc p = kctl({"module", "load", "ndevs=0"});
    EXPECT_EQ(p.status, 1);
    EXPECT_EQ(p.out, "");
    EXPECT_EQ(p.err, std::string("kctl: module load: kdemo: ") + std::strerror(EINVAL) + "\n");
    EXPECT_FALSE(module_loaded());
    EXPECT_TRUE(log.contains("ndevs=0 is out of range"));
}

TEST_F(KctlModule, NonRootCannotLoadOrUnload) {
    Proc unload = kctl({"module", "unload"}, as("kuser"));
    EXPECT_EQ(unload.status, 1);
    EXPECT_EQ(unload.err,
              std::string("kctl: module unload: kdemo: ") + std::strerror(EPERM) + "\n");
    EXPECT_TRUE(module_loaded());
    close_and_unload();
    Proc load = kctl({"module", "load", "--path", module_file()}, as("kuser"));
    EXPECT_EQ(load.status, 1);
    EXPECT_EQ(load.err, "kctl: module load: " + module_file() + ": " + std::strerror(EPERM) + "\n");
    EXPECT_FALSE(module_loaded());
}

}  // namespace
}  // namespace kt
