// SPDX-License-Identifier: GPL-2.0-or-later
// The fallback rule with mock transports: move on only when a transport is unusable or lacks
// the operation; report every other error of the device as it is.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <utility>
#include <vector>

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
constexpr auto netlink = transport_kind::netlink;

/// `a` and `b` in the order the chooser tries them for `op` (the measured preference.inc).
std::pair<transport_kind, transport_kind> ranked(operation op, transport_kind a, transport_kind b) {
    const auto& pref = preference(op);
    return std::find(pref.begin(), pref.end(), a) < std::find(pref.begin(), pref.end(), b)
               ? std::pair{a, b}
               : std::pair{b, a};
}

/// The items ("NAME why"), joined by ", " in the order the chooser tries their transports.
std::string in_order(operation op, std::vector<std::string> items) {
    const auto& pref = preference(op);
    auto pos = [&pref](const std::string& item) {
        const auto k = parse_transport(item.substr(0, item.find(' ')));
        return std::find(pref.begin(), pref.end(), k.value_or(transport_kind::automatic));
    };
    std::stable_sort(items.begin(), items.end(),
                     [&pos](const auto& a, const auto& b) { return pos(a) < pos(b); });
    std::string out;
    for (const std::string& i : items)
        out += (out.empty() ? "" : ", ") + i;
    return out;
}

/// Only `keep` may do `op` (up front): the others are refused for permission.
void only_usable(usability& u, operation op, std::initializer_list<transport_kind> keep) {
    for (const transport_kind k : concrete_transports)
        if (capability(k, op) != support::none)
            u.at(k, op) = std::find(keep.begin(), keep.end(), k) != keep.end() ? 0
                          : k == netlink                                       ? EPERM
                                                                               : EACCES;
}

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
    const transport_kind next = ranked(operation::set_msg, sysfs, proc).first;
    for (const int err : {EACCES, EPERM, ENOTTY, EBADF}) {
        harness fresh;
        EXPECT_CALL(fresh.mock(ioctl), set_msg(_)).WillOnce(Return(err));
        EXPECT_CALL(fresh.mock(next), set_msg(_)).WillOnce(Return(0));
        EXPECT_EQ(fresh.set_msg(fresh.core()), 0);
        ASSERT_EQ(fresh.log_.size(), 1U);
        EXPECT_EQ(fresh.log_[0], "set-msg: ioctl failed (" + errno_name(err) + "), using " +
                                     std::string(to_string(next)));
    }
}

TEST_F(Dispatch, PermissionKnownUpFrontSkipsTheTransportUntried) {
    const transport_kind next = ranked(operation::set_msg, sysfs, proc).first;
    data_->usable.at(ioctl, operation::set_msg) = EACCES;
    EXPECT_CALL(mock(next), set_msg(_)).WillOnce(Return(0));
    EXPECT_EQ(set_msg(core()), 0);
    EXPECT_THAT(log_, testing::ElementsAre("set-msg: ioctl not writable (EACCES), using " +
                                           std::string(to_string(next))));
}

TEST_F(Dispatch, MessageOverSysfsLimitGoesToProc) {
    data_->usable.at(ioctl, operation::set_msg) = EACCES;
    EXPECT_CALL(mock(proc), set_msg(_)).WillOnce(Return(0));
    EXPECT_EQ(set_msg(core(), std::string(5000, 'x')), 0);
    // sysfs is named only if the measured order tries it before proc
    std::vector<std::string> passed = {"ioctl not writable (EACCES)"};
    if (ranked(operation::set_msg, sysfs, proc).first == sysfs)
        passed.push_back("sysfs cannot carry it (EFBIG)");
    EXPECT_THAT(log_, testing::ElementsAre("set-msg: " + in_order(operation::set_msg, passed) +
                                           ", using proc"));
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
    // the first of sysfs and proc in the measured order says EFBIG once the message grew
    const auto [first, second] = ranked(operation::get_msg, sysfs, proc);
    data_->usable.at(ioctl, operation::get_msg) = EACCES;
    testing::InSequence seq;
    EXPECT_CALL(mock(first), get_msg(_)).WillOnce(Return(0));
    EXPECT_CALL(mock(first), get_msg(_)).WillOnce(Return(EFBIG));  // the message grew
    EXPECT_CALL(mock(second), get_msg(_)).WillOnce(Return(0));
    device_core& c = core();
    std::string msg;
    c.run(operation::get_msg, [&msg](transport& t) { return t.get_msg(msg); });
    c.run(operation::get_msg, [&msg](transport& t) { return t.get_msg(msg); });
    EXPECT_EQ(c.last(operation::get_msg), second);
    ASSERT_EQ(log_.size(), 2U);
    EXPECT_EQ(log_[1], "get-msg: ioctl not readable (EACCES), " + std::string(to_string(first)) +
                           " failed (EFBIG), using " + std::string(to_string(second)));
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
              "set-msg: " +
                  in_order(operation::set_msg,
                           {"ioctl not writable (EACCES)", "sysfs not writable (EACCES)",
                            "proc not writable (EACCES)", "netlink not writable (EACCES)"}) +
                  ", permissions changed, choosing again");
    EXPECT_EQ(log_[1], "set-msg: using ioctl (fastest usable)");
}

// The transport in use refused for permission (its mode changed since the probe): probe
// again and choose with what is true now, for this operation and for the others.
TEST_F(Dispatch, RefusedAtRunTimeProbesAgainAndChoosesAnew) {
    only_usable(data_->usable, operation::set_msg, {ioctl, proc});
    only_usable(data_->usable, operation::add, {ioctl, proc});
    reprobed_ = data_->usable;
    only_usable(*reprobed_, operation::set_msg, {proc});  // the node is no longer writable
    only_usable(*reprobed_, operation::add, {proc});
    testing::InSequence seq;
    EXPECT_CALL(mock(ioctl), set_msg(_)).WillOnce(Return(0));
    EXPECT_CALL(mock(ioctl), set_msg(_)).WillOnce(Return(EACCES));
    EXPECT_CALL(mock(proc), set_msg(_)).WillOnce(Return(0));
    EXPECT_CALL(mock(proc), add(_)).WillOnce(Return(0));  // not ioctl first: probed already
    device_core& c = core();
    EXPECT_EQ(set_msg(c), 0);
    EXPECT_EQ(set_msg(c), 0);
    EXPECT_EQ(reprobes_, 1);
    EXPECT_EQ(c.last(operation::set_msg), proc);
    const std::int64_t v[] = {1};
    c.run(operation::add, [&v](transport& t) { return t.add(v); });
    EXPECT_EQ(c.last(operation::add), proc);
    EXPECT_EQ(reprobes_, 1);
    ASSERT_EQ(log_.size(), 4U);
    EXPECT_EQ(log_[1], "set-msg: ioctl failed (EACCES), permissions changed, choosing again");
    EXPECT_THAT(log_[2], testing::HasSubstr("ioctl not writable (EACCES)"));
    EXPECT_THAT(log_[2], testing::EndsWith("using proc"));
}

// A choice made because a faster transport was refused is made again once a later re-probe
// (here: caused by another operation) finds the faster one allowed.
TEST_F(Dispatch, ChoiceForcedByARefusalIsRevisitedAfterAReprobe) {
    only_usable(data_->usable, operation::set_msg, {proc});  // opened before udev's rule ran
    only_usable(data_->usable, operation::add, {proc});
    reprobed_ = data_->usable;
    only_usable(*reprobed_, operation::set_msg, {ioctl});  // the rule has run since
    only_usable(*reprobed_, operation::add, {ioctl});
    testing::InSequence seq;
    EXPECT_CALL(mock(proc), set_msg(_)).WillOnce(Return(0));
    EXPECT_CALL(mock(proc), add(_)).WillOnce(Return(EACCES));
    EXPECT_CALL(mock(ioctl), add(_)).WillOnce(Return(0));
    EXPECT_CALL(mock(ioctl), set_msg(_)).WillOnce(Return(0));
    device_core& c = core();
    EXPECT_EQ(set_msg(c), 0);
    EXPECT_EQ(c.last(operation::set_msg), proc);
    const std::int64_t v[] = {1};
    c.run(operation::add, [&v](transport& t) { return t.add(v); });
    EXPECT_EQ(c.last(operation::add), ioctl);
    EXPECT_EQ(set_msg(c), 0);
    EXPECT_EQ(c.last(operation::set_msg), ioctl) << "set-msg still pinned to proc";
    EXPECT_EQ(reprobes_, 1);
}

TEST_F(Dispatch, RefusedAtRunTimeWithNothingChangedMovesOnAndProbesOnce) {
    testing::InSequence seq;
    EXPECT_CALL(mock(ioctl), set_msg(_)).WillOnce(Return(EPERM));
    EXPECT_CALL(mock(ranked(operation::set_msg, sysfs, proc).first), set_msg(_))
        .WillOnce(Return(0));
    EXPECT_EQ(set_msg(core()), 0);
    EXPECT_EQ(reprobes_, 1);
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
    only_usable(data_->usable, operation::set_msg, {sysfs, proc});
    if (ranked(operation::set_msg, sysfs, proc).first == proc)  // then sysfs is never tried
        only_usable(data_->usable, operation::set_msg, {sysfs, netlink});
    const transport_kind big = data_->usable.at(proc, operation::set_msg) == 0 ? proc : netlink;
    testing::InSequence seq;
    EXPECT_CALL(mock(big), set_msg(_)).WillOnce(Return(0));  // 5000 bytes: not sysfs
    EXPECT_CALL(mock(sysfs), set_msg(_)).Times(2).WillRepeatedly(Return(0));  // small again
    device_core& c = core();
    EXPECT_EQ(set_msg(c, std::string(5000, 'x')), 0);
    EXPECT_EQ(c.last(operation::set_msg), big);
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
              "reset: " +
                  in_order(operation::reset,
                           {"ioctl not writable (EACCES)", "sysfs not writable (EACCES)",
                            "proc not writable (EACCES)", "netlink not writable (EPERM)"}) +
                  ", no transport left");
}

TEST_F(Dispatch, EveryCandidateFailingAtRuntimeReportsTheFirstError) {
    EXPECT_CALL(mock(ioctl), reset()).WillOnce(Return(EACCES));
    EXPECT_CALL(mock(sysfs), reset()).WillOnce(Return(EPERM));
    EXPECT_CALL(mock(proc), reset()).WillOnce(Return(EACCES));
    EXPECT_CALL(mock(transport_kind::netlink), reset()).WillOnce(Return(EPERM));
    device_core& c = core();
    EXPECT_THROW(c.run(operation::reset, [](transport& t) { return t.reset(); }), error);
    EXPECT_EQ(reprobes_, 1) << "one probe per call, whatever failed";
}

}  // namespace
}  // namespace kctl::detail
