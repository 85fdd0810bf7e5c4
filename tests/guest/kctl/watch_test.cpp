// Beyond polling: kctl watch and kctl::watcher wake on each change, report
// it once, and never miss the last change of a burst, through the node and,
// for a user without it, through sysfs `generation`.
//
// Nothing here sleeps for a fixed time: before each change the test waits
// until the watcher is blocked in poll(2) (/proc/TID/syscall), and a change
// made before that would still be seen (poll is level-triggered against the
// generation the watcher last read).
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <kctl/kctl.hpp>

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "kctl/fixture.hpp"

namespace kt {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
using T = kctl::transport_kind;

// `kctl ARGS...` in the background, blocked in poll() once this returns.
std::unique_ptr<Background> start_kctl(const std::vector<std::string>& args,
                                       const std::string& user = "root") {
    std::vector<std::string> argv{KCTL_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    auto bg = std::make_unique<Background>(argv, as(user));
    EXPECT_TRUE(eventually([&] { return blocked_in_poll(bg->pid()); }))
        << "kctl watch never waited";
    return bg;
}

// "2025-11-23T13:45:01.123456Z generation 7: message="x" sum=1 count=1"
const std::regex kLine(R"(^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z) generation (\d+):(.*)$)");
const std::regex kTime(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$)");

// The time kctl prints, for comparing with the clock around a change.
std::string now_text() {
    using namespace std::chrono;
    auto us = duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
    std::time_t secs = static_cast<std::time_t>(us / 1000000);
    std::tm tm{};
    ::gmtime_r(&secs, &tm);
    char buf[40];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    char out[64];
    std::snprintf(out, sizeof out, "%s.%06lldZ", buf, static_cast<long long>(us % 1000000));
    return out;
}

using KctlWatch = KctlTest;

TEST_F(KctlWatch, CountPrintsEachChangeWithTimeGenerationWhatChangedAndNewValueThenExits0) {
    auto bg = start_kctl({"watch", "--count", "3"});
    struct Step {
        std::function<void()> change;
        std::string what;
    };
    std::vector<Step> steps = {
        {[&] { ASSERT_EQ(set_msg(rw.get(), "first \"one\""), 0); },
         " message=\"first \\\"one\\\"\""},
        {[&] {
             ASSERT_EQ(add_batch(rw.get(), std::vector<int64_t>{2, 3}), 0);
         },
         " sum=5 count=2"},
        {[&] { ASSERT_EQ(write_file(sysfs_path("reset"), "1"), 0); }, " sum=0 count=0"},
    };
    for (size_t i = 0; i < steps.size(); i++) {
        if (i > 0) {
            ASSERT_TRUE(eventually([&] { return blocked_in_poll(bg->pid()); }));
        }
        std::string before = now_text();
        steps[i].change();
        auto line = bg->line();
        ASSERT_TRUE(line) << "no line for change " << i;
        std::string after = now_text();
        std::smatch m;
        ASSERT_TRUE(std::regex_match(*line, m, kLine)) << *line;
        EXPECT_GE(m[1].str(), before) << "printed when it happened";
        EXPECT_LE(m[1].str(), after);
        EXPECT_EQ(to_u64(m[2].str()), state().generation);
        EXPECT_EQ(m[3].str(), steps[i].what);
    }
    Proc rest = bg->wait();
    EXPECT_EQ(rest.status, 0) << rest.err;
    EXPECT_EQ(rest.out, "");
    EXPECT_EQ(rest.err, "");
}

TEST_F(KctlWatch, TimeoutExits1WhenNothingChanged) {
    Sum before = state();
    Proc p = kctl({"watch", "--timeout", "0.2"});
    EXPECT_EQ(p.status, 1);
    EXPECT_EQ(p.out, "");
    EXPECT_EQ(state().generation, before.generation);
}

TEST_F(KctlWatch, CountReachedBeforeTheTimeoutExits0) {
    auto bg = start_kctl({"watch", "--count", "1", "--timeout", "600"});
    ASSERT_EQ(add(rw.get(), 1), 0);
    Proc p = bg->wait();
    EXPECT_EQ(p.status, 0);
    EXPECT_NE(p.out.find(" sum=1 count=1\n"), std::string::npos) << p.out;
}

TEST_F(KctlWatch, JsonPrintsOneObjectPerLine) {
    auto bg = start_kctl({"--json", "watch", "--count", "2"});
    ASSERT_EQ(set_msg(rw.get(), "j"), 0);
    auto first = bg->line();
    ASSERT_TRUE(first);
    ASSERT_TRUE(eventually([&] { return blocked_in_poll(bg->pid()); }));
    ASSERT_EQ(add_batch(rw.get(), std::vector<int64_t>{-3, -4}), 0);
    auto second = bg->line();
    ASSERT_TRUE(second);
    Proc rest = bg->wait();
    EXPECT_EQ(rest.status, 0);
    EXPECT_EQ(rest.out, "");

    json a = json::parse(*first);
    json b = json::parse(*second);
    for (const json* j : {&a, &b}) {
        EXPECT_TRUE(j->at("time").is_string());
        EXPECT_TRUE(std::regex_match(j->at("time").get<std::string>(), kTime)) << *j;
        EXPECT_TRUE(j->at("generation").is_number_unsigned());
        EXPECT_TRUE(j->at("sum").is_number_integer());
        EXPECT_TRUE(j->at("count").is_number_unsigned());
        EXPECT_TRUE(j->at("message").is_string());
        EXPECT_TRUE(j->at("changed").is_array());
    }
    EXPECT_EQ(a["changed"], json::array({"message"}));
    EXPECT_EQ(a["message"], "j");
    EXPECT_EQ(b["changed"], json::array({"sum", "count"}));
    EXPECT_EQ(b["sum"], -7);
    EXPECT_EQ(b["count"], 2);
    EXPECT_EQ(b["generation"].get<uint64_t>(), a["generation"].get<uint64_t>() + 1);
    EXPECT_EQ(b["generation"].get<uint64_t>(), state().generation);
}

class KctlWatchOn : public KctlTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(KctlWatchOn, TransportReportsAChange) {
    auto bg = start_kctl({"-v", "-t", GetParam(), "watch", "--count", "1"});
    ASSERT_EQ(write_file(proc_path("message"), "via proc"), 0);
    Proc p = bg->wait();
    EXPECT_EQ(p.status, 0) << p.err;
    EXPECT_NE(p.out.find(" message=\"via proc\"\n"), std::string::npos) << p.out;
    std::string t = GetParam();
    EXPECT_NE(p.err.find("kctl: watch: using " + (t == "auto" ? "ioctl" : t)), std::string::npos)
        << p.err;
}

INSTANTIATE_TEST_SUITE_P(Kctl, KctlWatchOn, ::testing::Values("ioctl", "sysfs", "auto"),
                         [](const auto& info) { return std::string(info.param); });

// outsider may not open the node: kctl watches sysfs `generation`.
TEST_F(KctlWatch, OutsiderWatchesThroughSysfsGeneration) {
    auto bg = start_kctl({"-v", "watch", "--count", "2"}, "outsider");
    ASSERT_EQ(set_msg(rw.get(), "seen by outsider"), 0);
    auto first = bg->line();
    ASSERT_TRUE(first);
    EXPECT_NE(first->find(" message=\"seen by outsider\""), std::string::npos) << *first;
    ASSERT_TRUE(eventually([&] { return blocked_in_poll(bg->pid()); }));
    ASSERT_EQ(add(rw.get(), 11), 0);
    auto second = bg->line();
    ASSERT_TRUE(second);
    EXPECT_NE(
        second->find(" generation " + std::to_string(state().generation) + ": sum=11 count=1"),
        std::string::npos)
        << *second;
    Proc p = bg->wait();
    EXPECT_EQ(p.status, 0);
    EXPECT_NE(p.err.find("kctl: watch: ioctl not readable (EACCES), using sysfs"),
              std::string::npos)
        << p.err;
}

// --- bursts -------------------------------------------------------------------------------

// What the writer processes do: each its own transport.
struct Writer {
    T kind;
    int64_t value;
    bool messages;  // also sets the message now and then
};

const Writer kWriters[] = {
    {T::ioctl, 1, true}, {T::sysfs, 2, false}, {T::proc, 3, true}, {T::automatic, -1, false}};
constexpr int kOpsPerWriter = 150;

// Forks the writers; returns their pids. Each exits 0 after all its writes.
std::vector<pid_t> start_writers() {
    std::vector<pid_t> pids;
    std::fflush(nullptr);
    for (size_t w = 0; w < std::size(kWriters); w++) {
        pid_t pid = ::fork();
        if (pid == 0) {
            int status = 0;
            try {
                kctl::device d = open_with(kWriters[w].kind);
                for (int i = 0; i < kOpsPerWriter; i++) {
                    if (kWriters[w].messages && i % 10 == 0)
                        d.set_msg("writer " + std::to_string(w) + " op " + std::to_string(i));
                    else
                        d.add(kWriters[w].value);
                }
            } catch (const std::exception& e) {
                std::fprintf(stderr, "writer %zu: %s\n", w, e.what());
                status = 1;
            }
            ::_exit(status);
        }
        pids.push_back(pid);
    }
    return pids;
}

// Reaps the writers that have exited; true once all have. A writer that
// failed is a test failure.
bool reap(std::vector<pid_t>& pids) {
    for (auto it = pids.begin(); it != pids.end();) {
        int status = 0;
        if (::waitpid(*it, &status, WNOHANG) == *it) {
            EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "writer failed";
            it = pids.erase(it);
        } else {
            ++it;
        }
    }
    return pids.empty();
}

int64_t expected_sum() {
    int64_t sum = 0;
    for (const Writer& w : kWriters)
        sum += w.value * (w.messages ? kOpsPerWriter - kOpsPerWriter / 10 : kOpsPerWriter);
    return sum;
}

class KctlWatchBurst : public KctlTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(KctlWatchBurst, LastLineIsTheFinalState) {
    auto bg = start_kctl({"--json", "watch"}, GetParam());
    uint64_t previous = 0;
    int lines = 0;
    for (int burst = 0; burst < 3; burst++) {
        std::vector<pid_t> writers = start_writers();
        ASSERT_TRUE(eventually([&] { return reap(writers); }, 120s));
        Sum final = state();
        std::string final_msg = get_msg(ro.get());
        json last;
        while (last.is_null() || last["generation"].get<uint64_t>() != final.generation) {
            auto l = bg->line(10s);
            ASSERT_TRUE(l) << "burst " << burst << ": kctl watch missed the last change: last "
                           << (last.is_null() ? "nothing" : last.dump()) << ", final generation "
                           << final.generation;
            last = json::parse(*l);
            EXPECT_GT(last["generation"].get<uint64_t>(), previous) << "twice or backwards";
            previous = last["generation"].get<uint64_t>();
            lines++;
        }
        EXPECT_EQ(last["sum"], final.sum);
        EXPECT_EQ(last["count"], final.count);
        EXPECT_EQ(last["message"], final_msg);
    }
    bg->kill(SIGTERM);
    Proc p = bg->wait();
    EXPECT_EQ(p.out, "") << "nothing after the final state";
    RecordProperty("lines", lines);
}

INSTANTIATE_TEST_SUITE_P(Kctl, KctlWatchBurst,
                         ::testing::Values("root", "outsider"),  // node, sysfs generation
                         [](const auto& info) { return std::string(info.param); });

// --- the library's watcher -------------------------------------------------------------

class LibkctlWatch : public KctlTest, public ::testing::WithParamInterface<T> {};

TEST_P(LibkctlWatch, StartsFromTheCurrentStateAndReportsNothingUnchanged) {
    ASSERT_EQ(set_msg(rw.get(), "start"), 0);
    ASSERT_EQ(add(rw.get(), INT64_MAX), 0);
    kctl::device d = open_with(GetParam());
    kctl::watcher w = d.watch();
    ASSERT_TRUE(w);
    EXPECT_EQ(w.transport(), GetParam() == T::automatic ? T::ioctl : GetParam());
    EXPECT_GE(w.fd(), 0);
    Sum s = state();
    EXPECT_EQ(w.current().generation, s.generation);
    EXPECT_EQ(w.current().sum, INT64_MAX);
    EXPECT_EQ(w.current().count, 1u);
    EXPECT_EQ(w.current().message, "start");
    EXPECT_FALSE(w.wait(0ms));
    // failed operations change nothing and wake nobody
    EXPECT_EQ(add(rw.get(), 1), ERANGE);
    EXPECT_EQ(set_msg(rw.get(), std::string(kKctlConfig.msg_max + 1, 'x')), EMSGSIZE);
    EXPECT_EQ(write_file(sysfs_path("add"), "12d34"), EINVAL);
    EXPECT_FALSE(w.wait(0ms));
    w.close();
    EXPECT_FALSE(w);
    EXPECT_EQ(error_of([&] { (void)w.wait(0ms); }), EBADF);
}

TEST_P(LibkctlWatch, BlockedWaiterWakesOncePerSpacedChange) {
    kctl::device d = open_with(GetParam());
    kctl::watcher w = d.watch();
    // each change through another way in, each awaited before the next
    std::vector<std::function<int()>> changes = {
        [&] { return set_msg(rw.get(), "one"); },
        [&] { return write_file(sysfs_path("add"), "10 20"); },
        [&] { return write_file(proc_path("sum"), "-5"); },
        [&] { return write_file(proc_path("message"), "four"); },
        [&] { return write_file(sysfs_path("reset"), "1"); },
    };
    std::atomic<pid_t> tid{0};
    std::mutex m;
    std::condition_variable cv;
    std::vector<std::optional<kctl::state>> seen;
    std::thread waiter([&] {
        tid = thread_id();
        for (size_t i = 0; i < changes.size(); i++) {
            std::optional<kctl::state> s;
            try {
                s = w.wait(60s);
            } catch (...) {
            }
            std::lock_guard lock(m);
            seen.push_back(std::move(s));
            cv.notify_all();
        }
    });
    std::vector<Sum> after;
    std::vector<std::string> messages;
    for (size_t i = 0; i < changes.size(); i++) {
        bool waiting = eventually([&] { return tid != 0 && blocked_in_poll(tid); });
        EXPECT_TRUE(waiting) << "the watcher did not wait before change " << i;
        EXPECT_EQ(changes[i](), 0) << "change " << i;
        after.push_back(state());
        messages.push_back(get_msg(ro.get()));
        std::unique_lock lock(m);
        EXPECT_TRUE(cv.wait_for(lock, 60s, [&] { return seen.size() == i + 1; }))
            << "no wake-up for change " << i;
    }
    waiter.join();
    ASSERT_EQ(seen.size(), changes.size());
    for (size_t i = 0; i < seen.size(); i++) {
        ASSERT_TRUE(seen[i]) << "change " << i << " was not reported";
        EXPECT_EQ(seen[i]->generation, after[i].generation) << "change " << i;
        EXPECT_EQ(seen[i]->sum, after[i].sum) << "change " << i;
        EXPECT_EQ(seen[i]->count, after[i].count) << "change " << i;
        EXPECT_EQ(seen[i]->message, messages[i]) << "change " << i;
    }
    EXPECT_FALSE(w.wait(0ms)) << "one report per change, nothing left over";
}

// A change that lands between the watcher's reading the state and its
// re-arming is the one a wrong order would lose: several bursts, so that
// the last change of one of them lands there.
constexpr int kBursts = 5;

TEST_P(LibkctlWatch, NeverMissesTheLastChangeOfABurst) {
    kctl::device d = open_with(GetParam());
    kctl::watcher w = d.watch();
    uint64_t previous = w.current().generation;
    int reports = 0;
    auto check = [&](const std::optional<kctl::state>& s) {
        if (!s)
            return;
        EXPECT_GT(s->generation, previous) << "reported twice or backwards";
        previous = s->generation;
        reports++;
    };
    for (int burst = 0; burst < kBursts; burst++) {
        ASSERT_EQ(reset(rw.get()), 0);
        check(w.wait(10s));  // the reset
        std::vector<pid_t> writers = start_writers();
        // wait while the writers write (short waits, to notice when they are done)
        while (!reap(writers))
            check(w.wait(20ms));
        Sum final = state();
        ASSERT_EQ(final.sum, expected_sum());
        std::string final_msg = get_msg(ro.get());
        while (w.current().generation != final.generation) {
            auto s = w.wait(10s);
            ASSERT_TRUE(s) << "burst " << burst << ": missed the last change: reported generation "
                           << w.current().generation << ", final " << final.generation;
            check(s);
        }
        EXPECT_EQ(w.current().sum, final.sum);
        EXPECT_EQ(w.current().count, final.count);
        EXPECT_EQ(w.current().message, final_msg);
        EXPECT_FALSE(w.wait(0ms)) << "nothing after the final state";
    }
    EXPECT_GT(reports, kBursts);
    RecordProperty("reports", reports);
}

// The thread rule of <kctl/device.hpp>: one thread blocked in wait() while another uses the
// SAME device (set-msg, add, sum, get-msg), each change waking the waiter, which then reads
// the state. The watcher reads with a core of its own; were anything shared (a transport's
// buffer, the cached choices), ThreadSanitizer (tests/run-all's tsan stage) would report it
// and fail the run. Here: every change is reported in order, none twice, the last one seen.
TEST_P(LibkctlWatch, WaiterAndAThreadUsingTheSameDeviceShareNothing) {
    ASSERT_EQ(reset(rw.get()), 0);
    kctl::device d = open_with(GetParam());
    kctl::watcher w = d.watch();
    constexpr int kRounds = 40;
    std::atomic<std::uint64_t> target{0};  // the final generation, once the changes are done
    std::atomic<pid_t> tid{0};
    int reports = 0;
    bool missed = false;
    std::string failure;
    std::thread waiter([&] {
        tid = thread_id();
        std::uint64_t previous = w.current().generation;
        try {
            for (;;) {
                const std::uint64_t t = target.load();
                if (t != 0 && w.current().generation >= t)
                    return;
                auto s = w.wait(t != 0 ? 10s : 50ms);
                if (!s) {
                    missed = t != 0;
                    if (missed)
                        return;
                    continue;
                }
                EXPECT_GT(s->generation, previous) << "reported twice or backwards";
                previous = s->generation;
                reports++;
            }
        } catch (const kctl::error& e) {
            failure = e.what();
        }
    });
    EXPECT_TRUE(eventually([&] { return tid != 0 && blocked_in_poll(tid); }))
        << "the watcher never waited";
    std::int64_t expected = 0;
    for (int i = 0; i < kRounds; i++) {
        d.set_msg("round " + std::to_string(i));
        d.add(i);
        expected += i;
        EXPECT_EQ(d.sum().sum, expected);
        EXPECT_EQ(d.get_msg(), "round " + std::to_string(i));
    }
    const kctl::sum_result final = d.sum();
    target = final.generation;
    waiter.join();
    EXPECT_EQ(failure, "");
    EXPECT_FALSE(missed) << "the last change was not reported";
    EXPECT_GT(reports, 0);
    EXPECT_EQ(w.current().generation, final.generation);
    EXPECT_EQ(w.current().sum, expected);
    EXPECT_EQ(w.current().message, "round " + std::to_string(kRounds - 1));
    RecordProperty("reports", reports);
}

INSTANTIATE_TEST_SUITE_P(Libkctl, LibkctlWatch, ::testing::Values(T::ioctl, T::sysfs, T::automatic),
                         [](const auto& info) { return name_of(info.param); });

// One line to the parent, from a Background function.
void say(const std::string& line) {
    std::string l = line + "\n";
    (void)!::write(1, l.data(), l.size());
}

using LibkctlWatchAsOutsider = KctlTest;

// A watcher in a process of outsider, reporting over its stdout.
TEST_F(LibkctlWatchAsOutsider, FallsBackToSysfsGenerationAndWakesOnEachChange) {
    Background child("outsider", [] {
        kctl::device d = kctl::device::open("0");
        kctl::watcher w = d.watch();
        say("start " + name_of(w.transport()) + " " + std::to_string(w.current().generation));
        for (int i = 0; i < 3; i++) {
            auto s = w.wait(60s);
            if (!s) {
                say("timeout");
                return 1;
            }
            say(std::to_string(s->generation) + " " + std::to_string(s->sum) + " " + s->message);
        }
        return w.wait(0ms) ? 2 : 0;
    });
    auto start = child.line();
    ASSERT_TRUE(start);
    EXPECT_EQ(*start, "start sysfs " + std::to_string(state().generation));
    std::vector<std::function<int()>> changes = {
        [&] { return set_msg(rw.get(), "a"); },
        [&] { return add(rw.get(), 4); },
        [&] { return write_file(sysfs_path("reset"), "1"); },
    };
    for (size_t i = 0; i < changes.size(); i++) {
        ASSERT_TRUE(eventually([&] { return blocked_in_poll(child.pid()); })) << "change " << i;
        ASSERT_EQ(changes[i](), 0);
        Sum s = state();
        auto line = child.line();
        ASSERT_TRUE(line) << "no report of change " << i;
        EXPECT_EQ(*line, std::to_string(s.generation) + " " + std::to_string(s.sum) + " a");
    }
    Proc p = child.wait();
    EXPECT_EQ(p.status, 0) << p.err;
}

}  // namespace
}  // namespace kt
