// libkctl finds the module's devices through udev, by every name a user may
// give, and says ENODEV for the others.
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <gtest/gtest.h>
#include <kctl/kctl.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "kctl/fixture.hpp"

namespace kt {
namespace {

using LibkctlDiscovery = KctlTest;

TEST_F(LibkctlDiscovery, ListsEveryDeviceWithNodeSyspathProcdirAndNumbers) {
    std::vector<kctl::device_entry> list = kctl::list_devices();
    ASSERT_EQ(list.size(), kKctlConfig.ndevs);
    for (unsigned i = 0; i < list.size(); i++) {
        const kctl::device_entry& e = list[i];
        std::string name = "kdemo" + std::to_string(i);
        SCOPED_TRACE(name);
        EXPECT_EQ(e.name(), name);
        EXPECT_EQ(e.node(), "/dev/" + name);
        EXPECT_EQ(e.syspath(), "/sys/devices/virtual/kdemo/" + name);
        EXPECT_EQ(e.procdir(), "/proc/kdemo/" + name);
        // the numbers as the kernel prints them, and as the node carries them
        EXPECT_EQ(std::to_string(e.major_number()) + ":" + std::to_string(e.minor_number()),
                  read_value(sysfs_path("dev", static_cast<int>(i))));
        struct stat st {};
        ASSERT_EQ(::stat(e.node().c_str(), &st), 0);
        EXPECT_TRUE(S_ISCHR(st.st_mode));
        EXPECT_EQ(::major(st.st_rdev), e.major_number());
        EXPECT_EQ(::minor(st.st_rdev), e.minor_number());
    }
}

// A device name with %d where the device number goes.
struct NameForm {
    const char* test_name;
    const char* form;
};

std::string fill(const char* form, int dev) {
    std::string s(form);
    auto at = s.find("%d");
    return s.replace(at, 2, std::to_string(dev));
}

class LibkctlDeviceName : public KctlTest, public ::testing::WithParamInterface<NameForm> {};

TEST_P(LibkctlDeviceName, FindsTheDeviceAndOpensIt) {
    for (int dev : {0, 2}) {
        std::string given = fill(GetParam().form, dev);
        SCOPED_TRACE(given);
        kctl::device_entry e = kctl::find_device(given);
        EXPECT_EQ(e.name(), "kdemo" + std::to_string(dev));
        EXPECT_EQ(e.node(), node_path(dev));
        // the opened device is that one: what it sets, the raw sysfs file shows
        kctl::device d = kctl::device::open(given);
        d.set_msg("named " + given);
        EXPECT_EQ(read_value(sysfs_path("message", dev)), "named " + given);
    }
}

INSTANTIATE_TEST_SUITE_P(
    Libkctl, LibkctlDeviceName,
    ::testing::Values(NameForm{"Number", "%d"}, NameForm{"Name", "kdemo%d"},
                      NameForm{"Node", "/dev/kdemo%d"},
                      NameForm{"UdevSymlink", "/dev/kdemo/kdemo%d"},
                      NameForm{"ClassPath", "/sys/class/kdemo/kdemo%d"},
                      NameForm{"DevicePath", "/sys/devices/virtual/kdemo/kdemo%d"},
                      NameForm{"ClassPathWithSlash", "/sys/class/kdemo/kdemo%d/"}),
    [](const auto& info) { return std::string(info.param.test_name); });

struct Missing {
    const char* test_name;
    const char* name;
};

class LibkctlMissingDevice : public KctlTest, public ::testing::WithParamInterface<Missing> {};

TEST_P(LibkctlMissingDevice, IsENODEVNamingWhatWasAskedFor) {
    std::string given = GetParam().name;
    try {
        (void)kctl::find_device(given);
        ADD_FAILURE() << given << " was found";
    } catch (const kctl::error& e) {
        EXPECT_EQ(e.code().value(), ENODEV) << e.what();
        EXPECT_EQ(e.device(), given);
        EXPECT_EQ(std::string(e.what()), given + ": open: " + std::strerror(ENODEV));
    }
    EXPECT_EQ(error_of([&] { (void)kctl::device::open(given); }), ENODEV);
}

INSTANTIATE_TEST_SUITE_P(Libkctl, LibkctlMissingDevice,
                         ::testing::Values(Missing{"NumberPastTheLast", "3"},
                                           Missing{"NamePastTheLast", "kdemo3"},
                                           Missing{"MissingNode", "/dev/kdemo3"},
                                           Missing{"MissingSymlink", "/dev/kdemo/kdemo3"},
                                           Missing{"MissingClassPath", "/sys/class/kdemo/kdemo3"},
                                           Missing{"OtherSubsystemNode", "/dev/null"},
                                           Missing{"OtherSubsystemSysfs", "/sys/class/mem/null"},
                                           Missing{"OtherSubsystemName", "null"},
                                           Missing{"ProcDirectory", "/proc/kdemo/kdemo0"},
                                           Missing{"RegularFile", "/etc/passwd"},
                                           Missing{"NoSuchPath", "/nonexistent"},
                                           Missing{"NegativeNumber", "-1"},
                                           Missing{"HugeNumber", "99999999999999999999"}),
                         [](const auto& info) { return std::string(info.param.test_name); });

// $KCTL_DEVICE names the default device; the library reads it, not the caller.
TEST_F(LibkctlDiscovery, EmptyNameMeansKCTL_DEVICEElseKdemo0) {
    ::unsetenv("KCTL_DEVICE");
    EXPECT_EQ(kctl::default_device_name(), "kdemo0");
    EXPECT_EQ(kctl::find_device("").name(), "kdemo0");
    ::setenv("KCTL_DEVICE", "/dev/kdemo2", 1);
    EXPECT_EQ(kctl::find_device("").name(), "kdemo2");
    kctl::device d = kctl::device::open();
    ::unsetenv("KCTL_DEVICE");
    d.set_msg("default");
    EXPECT_EQ(read_value(sysfs_path("message", 2)), "default");
}

TEST_F(LibkctlDiscovery, KCTL_TRANSPORTIsReadByDefaultTransportOnly) {
    ::setenv("KCTL_TRANSPORT", "proc", 1);
    EXPECT_EQ(kctl::default_transport(), kctl::transport_kind::proc);
    // open() itself ignores it: automatic picks mmap for sum
    kctl::device d = kctl::device::open("0");
    (void)d.sum();
    EXPECT_EQ(d.last_transport(kctl::operation::sum), kctl::transport_kind::mmap);
    ::setenv("KCTL_TRANSPORT", "carrier-pigeon", 1);
    EXPECT_EQ(error_of([] { (void)kctl::default_transport(); }), EINVAL);
    ::unsetenv("KCTL_TRANSPORT");
    EXPECT_EQ(kctl::default_transport(), kctl::transport_kind::automatic);
}

}  // namespace
}  // namespace kt
