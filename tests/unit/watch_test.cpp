// SPDX-License-Identifier: GPL-2.0-or-later
// kctl::device over a fake sysfs tree: the public handle's contract without a driver.
#include <fcntl.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>

#include "chooser.hpp"
#include "entry_data.hpp"
#include "make.hpp"
#include "temp_dir.hpp"

namespace kctl {
namespace {

/// An entry whose sysfs directory is a fake tree and whose other transports are absent.
device_entry fake_entry(const test::temp_dir& dir) {
    auto e = std::make_shared<detail::entry_data>();
    e->name = "kdemo0";
    e->syspath = dir.path();
    e->procdir = dir / "no-proc";
    detail::probe(*e);
    return detail::make::entry(e);
}

class FakeSysfsDevice : public testing::Test {
  protected:
    FakeSysfsDevice() {
        dir.write("message", "hello\n");
        for (const char* f : {"add", "reset"})
            dir.write(f, "");
        dir.write("sum", "3\n");
        dir.write("count", "1\n");
        dir.write("generation", "5\n");
    }
    test::temp_dir dir;
};

TEST_F(FakeSysfsDevice, AutoUsesSysfsWhenThereIsNoNode) {
    std::vector<std::string> log;
    device d(fake_entry(dir),
             open_options().set_log([&log](std::string_view l) { log.emplace_back(l); }));
    EXPECT_EQ(d.get_msg(), "hello");
    EXPECT_EQ(d.sum().generation, 5U);
    EXPECT_EQ(d.last_transport(operation::sum), transport_kind::sysfs);
    ASSERT_EQ(log.size(), 2U);
    // proc (absent here) is named too if the measured order tries it before sysfs
    const auto& pref = detail::preference(operation::get_msg);
    const bool proc_first = std::find(pref.begin(), pref.end(), transport_kind::proc) <
                            std::find(pref.begin(), pref.end(), transport_kind::sysfs);
    EXPECT_EQ(log[0], std::string("get-msg: ioctl not present (ENOENT), ") +
                          (proc_first ? "proc not present (ENOENT), " : "") + "using sysfs");
}

TEST_F(FakeSysfsDevice, AddChecksTheBatchLimitBeforeAnyTransport) {
    device d(fake_entry(dir));
    const std::vector<std::int64_t> too_many(batch_max + 1, 1);
    try {
        d.add(too_many);
        FAIL();
    } catch (const error& e) {
        EXPECT_EQ(e.code().value(), E2BIG);
    }
    EXPECT_THROW(d.add(std::span<const std::int64_t>()), error);
    EXPECT_EQ(dir.read("add"), "");
}

TEST_F(FakeSysfsDevice, IsMoveOnlyAndThrowsEbadfOnceClosed) {
    device d(fake_entry(dir));
    device moved = std::move(d);
    EXPECT_FALSE(d);
    EXPECT_TRUE(moved);
    moved.close();
    EXPECT_FALSE(moved);
    try {
        moved.sum();
        FAIL();
    } catch (const error& e) {
        EXPECT_EQ(e.code().value(), EBADF);
    }
}

TEST_F(FakeSysfsDevice, WatcherStartsFromTheCurrentStateAndTimesOut) {
    device d(fake_entry(dir));
    watcher w = d.watch();
    EXPECT_EQ(w.transport(), transport_kind::sysfs);
    EXPECT_EQ(w.current().generation, 5U);
    EXPECT_EQ(w.current().sum, 3);
    EXPECT_EQ(w.current().message, "hello");
    // A regular file never reports POLLPRI: nothing changes in time.
    EXPECT_EQ(w.wait(std::chrono::milliseconds(50)), std::nullopt);
    d.close();
    EXPECT_TRUE(w) << "the watcher keeps the transports it needs";
    EXPECT_EQ(w.wait(std::chrono::milliseconds(0)), std::nullopt);
}

TEST_F(FakeSysfsDevice, InfoOverSysfsSaysWhatIsMissing) {
    dir.write("msg_max", "4095\n");
    dir.write("random", "1\n");
    for (const char* f : {"stats/opens", "stats/ioctl_ops", "stats/sysfs_ops", "stats/proc_ops",
                          "stats/netlink_ops", "stats/uring_ops"})
        dir.write(f, "0\n");
    device d(fake_entry(dir), open_options().set_transport(transport_kind::sysfs));
    const info i = d.info();
    EXPECT_FALSE(i.has(info_field::driver));
    EXPECT_EQ(i.text(info_field::driver), std::nullopt);
    EXPECT_TRUE(i.has(info_field::device));
    EXPECT_EQ(i.device(), "kdemo0");
    EXPECT_EQ(i.sum(), 3);
    EXPECT_EQ(i.number(info_field::msg_max), 4095U);
}

}  // namespace
}  // namespace kctl
