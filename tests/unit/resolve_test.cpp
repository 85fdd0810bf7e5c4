// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>
#include <stdlib.h>
#include <kctl/kctl.hpp>

#include <cerrno>
#include <filesystem>

#include "resolve.hpp"

namespace kctl::detail {
namespace {

struct name_case {
    const char* text;
    device_ref::kind what;
    const char* value;
};

class DeviceName : public testing::TestWithParam<name_case> {};

TEST_P(DeviceName, IsClassifiedByItsForm) {
    device_ref ref;
    ASSERT_EQ(classify_device_name(GetParam().text, ref), 0);
    EXPECT_EQ(ref.what, GetParam().what);
    EXPECT_EQ(ref.value, GetParam().value);
}

constexpr auto name = device_ref::kind::name;
constexpr auto path = device_ref::kind::path;

INSTANTIATE_TEST_SUITE_P(
    Table, DeviceName,
    testing::Values(name_case{"0", name, "kdemo0"}, name_case{"12", name, "kdemo12"},
                    name_case{"kdemo0", name, "kdemo0"}, name_case{"kdemo63", name, "kdemo63"},
                    name_case{"/dev/kdemo0", path, "/dev/kdemo0"},
                    name_case{"/dev/kdemo/kdemo0", path, "/dev/kdemo/kdemo0"},
                    name_case{"/sys/class/kdemo/kdemo0", path, "/sys/class/kdemo/kdemo0"},
                    name_case{"/sys/devices/virtual/kdemo/kdemo0", path,
                              "/sys/devices/virtual/kdemo/kdemo0"},
                    name_case{"./kdemo0", path, "./kdemo0"}));

TEST(DeviceName, EmptyOrHugeNumberIsInvalid) {
    device_ref ref;
    EXPECT_EQ(classify_device_name("", ref), EINVAL);
    EXPECT_EQ(classify_device_name("99999999999999999999999", ref), EINVAL);
}

TEST(DeviceName, SysfsPathsAreRecognisedAfterRealpath) {
    EXPECT_TRUE(is_sysfs_path("/sys/devices/virtual/kdemo/kdemo0"));
    EXPECT_TRUE(is_sysfs_path("/sys"));
    EXPECT_FALSE(is_sysfs_path("/system/kdemo0"));
    EXPECT_FALSE(is_sysfs_path("/dev/kdemo0"));
}

/// Without the module (this host), every form of a name is ENODEV with the name in it.
class MissingDevice : public testing::TestWithParam<const char*> {
  protected:
    void SetUp() override {
        if (std::filesystem::exists("/sys/class/kdemo"))
            GTEST_SKIP() << "kdemo is loaded here";
    }
};

TEST_P(MissingDevice, IsEnodevNamingTheDevice) {
    try {
        find_device(GetParam());
        FAIL() << GetParam() << " found";
    } catch (const error& e) {
        EXPECT_EQ(e.code().value(), ENODEV);
        EXPECT_EQ(e.device(), GetParam());
        EXPECT_EQ(std::string(e.what()), std::string(GetParam()) + ": open: No such device");
    }
}

INSTANTIATE_TEST_SUITE_P(Table, MissingDevice,
                         testing::Values("0", "kdemo0", "/dev/kdemo0", "/dev/kdemo/kdemo0",
                                         "/sys/class/kdemo/kdemo0", "/dev/null", "/",
                                         "/sys/class/mem/null", "nonsense"));

TEST(DefaultDevice, ComesFromKctlDeviceElseKdemo0) {
    ::unsetenv("KCTL_DEVICE");
    EXPECT_EQ(default_device_name(), "kdemo0");
    ::setenv("KCTL_DEVICE", "kdemo3", 1);
    EXPECT_EQ(default_device_name(), "kdemo3");
    ::setenv("KCTL_DEVICE", "", 1);
    EXPECT_EQ(default_device_name(), "kdemo0");
    ::unsetenv("KCTL_DEVICE");
}

TEST(DefaultTransport, ComesFromKctlTransportElseAuto) {
    ::unsetenv("KCTL_TRANSPORT");
    EXPECT_EQ(default_transport(), transport_kind::automatic);
    ::setenv("KCTL_TRANSPORT", "sysfs", 1);
    EXPECT_EQ(default_transport(), transport_kind::sysfs);
    ::setenv("KCTL_TRANSPORT", "carrier-pigeon", 1);
    EXPECT_THROW(default_transport(), error);
    ::unsetenv("KCTL_TRANSPORT");
}

TEST(Names, RoundTrip) {
    for (const transport_kind k : concrete_transports)
        EXPECT_EQ(parse_transport(to_string(k)), k);
    EXPECT_EQ(parse_transport("auto"), transport_kind::automatic);
    EXPECT_EQ(parse_transport("Auto"), std::nullopt);
    EXPECT_EQ(to_string(operation::set_msg), "set-msg");
    EXPECT_EQ(to_string(info_field::ioctl_ops), "ioctl_ops");
}

}  // namespace
}  // namespace kctl::detail
