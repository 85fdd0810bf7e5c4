// SPDX-License-Identifier: GPL-2.0-or-later
// The watcher reports states of one moment, and reads them with a core of its own.
#include <gtest/gtest.h>

#include "device_core.hpp"
#include "entry_data.hpp"
#include "make.hpp"
#include "watch_impl.hpp"

namespace kctl::detail {
namespace {

/// The device: what a change writes and the transports read.
struct fake_state {
    std::uint64_t generation = 5;
    std::int64_t sum = 1;
    std::string message = "old";
    int msg_reads = 0;
    int sum_reads = 0;
    /// Called before the message is read the n-th time (1-based), to change the state then.
    std::function<void(fake_state&, int)> on_msg_read;
};

class scripted_transport final : public transport {
  public:
    explicit scripted_transport(fake_state& s) : transport(transport_kind::sysfs), s_(s) {}
    int get_msg(std::string& out) override {
        ++s_.msg_reads;
        if (s_.on_msg_read)
            s_.on_msg_read(s_, s_.msg_reads);
        out = s_.message;
        return 0;
    }
    int sum(sum_result& out) noexcept override {
        ++s_.sum_reads;
        out = {s_.sum, 1, s_.generation};
        return 0;
    }

  private:
    fake_state& s_;
};

class fake_source final : public watch_source {
  public:
    explicit fake_source(fake_state& s) : s_(s) {}
    int fd() const noexcept override { return -1; }
    short events() const noexcept override { return 0; }
    bool changed(short, int&) const noexcept override { return true; }
    int rearm(std::uint64_t& generation) noexcept override {
        generation = s_.generation;
        return 0;
    }

  private:
    fake_state& s_;
};

std::shared_ptr<device_core> core_of(fake_state& s) {
    auto e = std::make_shared<entry_data>();
    e->name = "kdemo0";
    return std::make_shared<device_core>(
        detail::make::entry(e), transport_kind::sysfs,
        [&s](transport_kind, const entry_data&) { return std::make_unique<scripted_transport>(s); },
        nullptr);
}

TEST(WatchMoment, AChangeBetweenTheReadsIsReadAgainNotMixed) {
    fake_state s;
    // A writer sets the message (generation 6) and then adds (generation 7) while the
    // watcher reads: first between its sum and its message, then once more.
    s.on_msg_read = [](fake_state& st, int n) {
        if (n == 1) {
            st.generation = 6;
            st.message = "new";
        } else if (n == 2) {
            st.generation = 7;
            st.sum = 10;
        }
    };
    watch_impl w(core_of(s), std::make_unique<fake_source>(s), transport_kind::sysfs);
    EXPECT_EQ(w.current.generation, 7U);
    EXPECT_EQ(w.current.message, "new");
    EXPECT_EQ(w.current.sum, 10);
    EXPECT_EQ(s.msg_reads, 3) << "read until two sums around the message agree";
}

TEST(WatchMoment, AQuietDeviceCostsOneMessageAndTwoSums) {
    fake_state s;
    watch_impl w(core_of(s), std::make_unique<fake_source>(s), transport_kind::sysfs);
    EXPECT_EQ(w.current.generation, 5U);
    EXPECT_EQ(w.current.message, "old");
    EXPECT_EQ(s.msg_reads, 1);
    EXPECT_EQ(s.sum_reads, 2);
}

TEST(WatchMoment, AForkedCoreSharesNoTransportWithItsOrigin) {
    fake_state s;
    int made = 0;
    auto e = std::make_shared<entry_data>();
    e->name = "kdemo0";
    device_core core(
        detail::make::entry(e), transport_kind::sysfs,
        [&s, &made](transport_kind, const entry_data&) {
            ++made;
            return std::make_unique<scripted_transport>(s);
        },
        nullptr);
    sum_result r;
    core.run(operation::sum, [&r](transport& t) { return t.sum(r); });
    const std::shared_ptr<device_core> other = core.fork();
    other->run(operation::sum, [&r](transport& t) { return t.sum(r); });
    EXPECT_EQ(made, 2) << "the fork made its own transport";
    EXPECT_EQ(other->requested(), transport_kind::sysfs);
    EXPECT_EQ(other->name(), "kdemo0");
}

}  // namespace
}  // namespace kctl::detail
