// SPDX-License-Identifier: GPL-2.0-or-later
// The fallback rule with mock transports: move on only when a transport is unusable or lacks
// the operation; report every other error of the device as it is.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>

#include "device_core.hpp"
#include "entry_data.hpp"
#include "make.hpp"

namespace kctl::detail {
namespace {

using testing::_;
using testing::Return;

class mock_transport : public transport {
  public:
    explicit mock_transport(transport_kind k) : transport(k) {}
    MOCK_METHOD(int, get_msg, (std::string&), (override));
    MOCK_METHOD(int, set_msg, (std::string_view), (override));
    MOCK_METHOD(int, add, (std::span<const std::int64_t>), (override));
    MOCK_METHOD(int, sum, (sum_result&), (noexcept, override));
    MOCK_METHOD(int, reset, (), (override));
};

/// Four mock transports behind a device_core, and what it logged and threw.
struct harness {
    harness() {
        for (const transport_kind k : concrete_transports) {
            owned_[index(k)] = std::make_unique<testing::StrictMock<mock_transport>>(k);
            mocks_[index(k)] = owned_[index(k)].get();
            for (const operation op : all_operations)
                data_->usable.at(k, op) = capability(k, op) == support::none ? EOPNOTSUPP : 0;
        }
        data_->name = "kdemo0";
    }

    mock_transport& mock(transport_kind k) { return *mocks_[index(k)]; }

    device_core& core(transport_kind requested = transport_kind::automatic) {
        auto make = [this](transport_kind k, const entry_data&) -> std::unique_ptr<transport> {
            return std::move(owned_[index(k)]);
        };
        // A re-probe finds what `reprobed_` says (by default: what the first probe found).
        auto reprobe = [this](entry_data& e) {
            ++reprobes_;
            if (reprobed_)
                e.usable = *reprobed_;
        };
        core_.emplace(
            detail::make::entry(data_), requested, make,
            [this](std::string_view line) { log_.emplace_back(line); }, reprobe);
        return *core_;
    }

    /// Runs set-msg "hi" and returns the errno of the error thrown (0 if none).
    int set_msg(device_core& c, std::string_view msg = "hi") {
        try {
            c.run(
                operation::set_msg, [msg](transport& t) { return t.set_msg(msg); }, msg.size());
            return 0;
        } catch (const error& e) {
            last_error_ = e.what();
            last_transport_ = e.transport();
            return e.code().value();
        }
    }

    std::shared_ptr<entry_data> data_ = std::make_shared<entry_data>();
    std::array<std::unique_ptr<mock_transport>, transport_count> owned_;
    std::array<mock_transport*, transport_count> mocks_{};
    std::optional<device_core> core_;
    std::vector<std::string> log_;
    std::optional<usability> reprobed_;
    int reprobes_ = 0;
    std::string last_error_;
    std::string last_transport_;
};

class Dispatch : public testing::Test, public harness {};

constexpr auto mmap = transport_kind::mmap;
constexpr auto ioctl = transport_kind::ioctl;
constexpr auto sysfs = transport_kind::sysfs;
constexpr auto proc = transport_kind::proc;

TEST_F(Dispatch, DeviceErrorIsReportedNotMaskedByAnotherTransport) {
    for (const int err : {EMSGSIZE, EINVAL, ERANGE, EIO}) {
        harness fresh;
        EXPECT_CALL(fresh.mock(ioctl), set_msg(_)).WillOnce(Return(err));
        EXPECT_EQ(fresh.set_msg(fresh.core()), err);
        EXPECT_EQ(fresh.last_transport_, "ioctl");
    }
}

TEST_F(Dispatch, ErrorNamesDeviceTransportAndOperation) {
    EXPECT_CALL(mock(ioctl), set_msg(_)).WillOnce(Return(EMSGSIZE));
    EXPECT_EQ(set_msg(core()), EMSGSIZE);
    EXPECT_EQ(last_error_, "kdemo0: ioctl: set-msg: Message too long");
}

TEST_F(Dispatch, UnusableTransportFallsBackAndSaysWhy) {
    for (const int err : {EACCES, EPERM, ENOTTY, EBADF}) {
        harness fresh;
        EXPECT_CALL(fresh.mock(ioctl), set_msg(_)).WillOnce(Return(err));
        EXPECT_CALL(fresh.mock(sysfs), set_msg(_)).WillOnce(Return(0));
        EXPECT_EQ(fresh.set_msg(fresh.core()), 0);
        ASSERT_EQ(fresh.log_.size(), 1U);
        EXPECT_EQ(fresh.log_[0], "set-msg: ioctl failed (" + errno_name(err) + "), using sysfs");
    }
}

TEST_F(Dispatch, PermissionKnownUpFrontSkipsTheTransportUntried) {
    data_->usable.at(ioctl, operation::set_msg) = EACCES;
    EXPECT_CALL(mock(sysfs), set_msg(_)).WillOnce(Return(0));
    EXPECT_EQ(set_msg(core()), 0);
    EXPECT_THAT(log_, testing::ElementsAre("set-msg: ioctl not writable (EACCES), using sysfs"));
}

TEST_F(Dispatch, MessageOverSysfsLimitGoesToProc) {
    data_->usable.at(ioctl, operation::set_msg) = EACCES;
    EXPECT_CALL(mock(proc), set_msg(_)).WillOnce(Return(0));
    EXPECT_EQ(set_msg(core(), std::string(5000, 'x')), 0);
    EXPECT_THAT(log_, testing::ElementsAre("set-msg: ioctl not writable (EACCES), sysfs cannot "
                                           "carry it (EFBIG), using proc"));
}

TEST_F(Dispatch, FastestUsableIsSaidOnceAndCached) {
    EXPECT_CALL(mock(mmap), sum(_)).Times(3).WillRepeatedly(Return(0));
    device_core& c = core();
    sum_result r;
    for (int i = 0; i < 3; ++i)
        c.run(operation::sum, [&r](transport& t) { return t.sum(r); });
    EXPECT_THAT(log_, testing::ElementsAre("sum: using mmap (fastest usable)"));
    EXPECT_EQ(c.last(operation::sum), mmap);
    EXPECT_EQ(c.last(operation::get_msg), transport_kind::automatic);
}

TEST_F(Dispatch, CachedChoiceFallsBackWhenItHitsASizeLimit) {
    data_->usable.at(ioctl, operation::get_msg) = EACCES;
    testing::InSequence seq;
    EXPECT_CALL(mock(sysfs), get_msg(_)).WillOnce(Return(0));
    EXPECT_CALL(mock(sysfs), get_msg(_)).WillOnce(Return(EFBIG));  // the message grew
    EXPECT_CALL(mock(proc), get_msg(_)).WillOnce(Return(0));
    device_core& c = core();
    std::string msg;
    c.run(operation::get_msg, [&msg](transport& t) { return t.get_msg(msg); });
    c.run(operation::get_msg, [&msg](transport& t) { return t.get_msg(msg); });
    EXPECT_EQ(c.last(operation::get_msg), proc);
    ASSERT_EQ(log_.size(), 2U);
    EXPECT_EQ(log_[1], "get-msg: ioctl not readable (EACCES), sysfs failed (EFBIG), using proc");
}

TEST_F(Dispatch, RefusedEverywhereProbesAgainAndUsesWhatIsNowAllowed) {
    // Opened before udev gave the group the node: every writer refused, up front.
    for (const transport_kind k : concrete_transports)
        if (capability(k, operation::set_msg) != support::none)
            data_->usable.at(k, operation::set_msg) = EACCES;
    reprobed_ = data_->usable;
    reprobed_->at(ioctl, operation::set_msg) = 0;  // the rule has run since
    EXPECT_CALL(mock(ioctl), set_msg(_)).WillOnce(Return(0));
    device_core& c = core();
    EXPECT_EQ(set_msg(c), 0);
    EXPECT_EQ(reprobes_, 1);
    EXPECT_EQ(c.last(operation::set_msg), ioctl);
    EXPECT_EQ(c.entry().data().usable.at(ioctl, operation::set_msg), 0);
    ASSERT_EQ(log_.size(), 2U);
    EXPECT_EQ(log_[0],
              "set-msg: ioctl not writable (EACCES), sysfs not writable (EACCES), proc not "
              "writable (EACCES), netlink not writable (EACCES), permissions changed, choosing "
              "again");
    EXPECT_EQ(log_[1], "set-msg: using ioctl (fastest usable)");
}

TEST_F(Dispatch, RefusedEverywhereWithNothingChangedProbesOnceAndSaysEacces) {
    for (const transport_kind k : concrete_transports)
        if (capability(k, operation::reset) != support::none)
            data_->usable.at(k, operation::reset) = EACCES;
    device_core& c = core();
    try {
        c.run(operation::reset, [](transport& t) { return t.reset(); });
        FAIL() << "reset went through";
    } catch (const error& e) {
        EXPECT_EQ(e.code().value(), EACCES);
    }
    EXPECT_EQ(reprobes_, 1);
}

TEST_F(Dispatch, ADeviceErrorNeverProbesAgain) {
    EXPECT_CALL(mock(ioctl), set_msg(_)).WillOnce(Return(EMSGSIZE));
    EXPECT_EQ(set_msg(core()), EMSGSIZE);
    EXPECT_EQ(reprobes_, 0);
}

TEST_F(Dispatch, OneLargeMessageDoesNotPinTheSlowerTransport) {
    data_->usable.at(ioctl, operation::set_msg) = EACCES;
    testing::InSequence seq;
    EXPECT_CALL(mock(proc), set_msg(_)).WillOnce(Return(0));  // 5000 bytes: not sysfs
    EXPECT_CALL(mock(sysfs), set_msg(_)).Times(2).WillRepeatedly(Return(0));  // small again
    device_core& c = core();
    EXPECT_EQ(set_msg(c, std::string(5000, 'x')), 0);
    EXPECT_EQ(c.last(operation::set_msg), proc);
    EXPECT_EQ(set_msg(c, "small"), 0);
    EXPECT_EQ(set_msg(c, "small"), 0);
    EXPECT_EQ(c.last(operation::set_msg), sysfs);
}

TEST_F(Dispatch, MmapWithoutAUsablePageFallsBackToIoctl) {
    for (const int err : {ENODEV, EPROTO}) {
        harness fresh;
        EXPECT_CALL(fresh.mock(mmap), sum(_)).WillOnce(Return(err));
        EXPECT_CALL(fresh.mock(ioctl), sum(_)).WillOnce(Return(0));
        device_core& c = fresh.core();
        sum_result r;
        c.run(operation::sum, [&r](transport& t) { return t.sum(r); });
        EXPECT_EQ(c.last(operation::sum), ioctl) << errno_name(err);
        EXPECT_THAT(fresh.log_, testing::ElementsAre("sum: mmap failed (" + errno_name(err) +
                                                     "), using ioctl"));
    }
}

TEST_F(Dispatch, CachedChoiceStillReportsDeviceErrors) {
    testing::InSequence seq;
    EXPECT_CALL(mock(ioctl), add(_)).WillOnce(Return(0));
    EXPECT_CALL(mock(ioctl), add(_)).WillOnce(Return(ERANGE));
    device_core& c = core();
    const std::int64_t v[] = {1};
    c.run(operation::add, [&v](transport& t) { return t.add(v); });
    EXPECT_THROW(c.run(operation::add, [&v](transport& t) { return t.add(v); }), error);
}

TEST_F(Dispatch, RequestedTransportNeverFallsBack) {
    EXPECT_CALL(mock(ioctl), set_msg(_)).WillOnce(Return(EBADF));
    EXPECT_EQ(set_msg(core(ioctl)), EBADF);
    EXPECT_EQ(last_error_, "kdemo0: ioctl: set-msg: Bad file descriptor");
}

TEST_F(Dispatch, RequestedTransportIgnoresTheProbe) {
    data_->usable.at(ioctl, operation::set_msg) = EACCES;
    EXPECT_CALL(mock(ioctl), set_msg(_)).WillOnce(Return(0));
    EXPECT_EQ(set_msg(core(ioctl)), 0);
    EXPECT_THAT(log_, testing::ElementsAre("set-msg: using ioctl (requested)"));
}

TEST_F(Dispatch, RequestedTransportWithoutTheOperationIsEopnotsupp) {
    EXPECT_EQ(set_msg(core(mmap)), EOPNOTSUPP);
    EXPECT_EQ(last_error_, "kdemo0: mmap: set-msg: Operation not supported");
}

TEST_F(Dispatch, NoUsableTransportReportsThePreferredOnesReason) {
    for (const transport_kind k : {ioctl, sysfs, proc})
        data_->usable.at(k, operation::reset) = EACCES;
    data_->usable.at(transport_kind::netlink, operation::reset) = EPERM;
    device_core& c = core();
    try {
        c.run(operation::reset, [](transport& t) { return t.reset(); });
        FAIL() << "no transport was usable";
    } catch (const error& e) {
        EXPECT_EQ(e.code().value(), EACCES);
        EXPECT_EQ(e.transport(), "auto");
        EXPECT_EQ(std::string(e.what()), "kdemo0: auto: reset: Permission denied");
    }
    ASSERT_EQ(log_.size(), 1U);
    EXPECT_EQ(log_[0],
              "reset: ioctl not writable (EACCES), sysfs not writable (EACCES), proc not "
              "writable (EACCES), netlink not writable (EPERM), no transport left");
}

TEST_F(Dispatch, EveryCandidateFailingAtRuntimeReportsTheFirstError) {
    EXPECT_CALL(mock(ioctl), reset()).WillOnce(Return(EACCES));
    EXPECT_CALL(mock(sysfs), reset()).WillOnce(Return(EPERM));
    EXPECT_CALL(mock(proc), reset()).WillOnce(Return(EACCES));
    EXPECT_CALL(mock(transport_kind::netlink), reset()).WillOnce(Return(EPERM));
    device_core& c = core();
    EXPECT_THROW(c.run(operation::reset, [](transport& t) { return t.reset(); }), error);
}

}  // namespace
}  // namespace kctl::detail
