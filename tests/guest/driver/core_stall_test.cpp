// No user memory is touched while the device lock is held: a GET_MSG or
// ADD_BATCH whose user buffer stalls (a userfaultfd page nobody resolves
// yet) must not block any other caller of the device, whatever its
// transport, and must finish whole once the page arrives.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <memory>
#include <numeric>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "common/hardening.hpp"
#include "common/kdemo.hpp"
#include "common/process.hpp"
#include "common/stall.hpp"

namespace kt {
namespace {

std::string errno_text(const std::string& what, int err) {
    return err ? what + ": " + std::strerror(err) : "";
}

// One call made while a caller is stalled: "" on success, else what failed.
struct Op {
    std::string what;
    std::function<std::string()> run;
};

// The calls of a stall test, each on its own thread under the hang guard.
// Declared after the region the stall is on, so that it goes first: a call
// still blocked then is released (the region gives up its pages) and
// joined before the memory it uses is unmapped.
class Calls {
  public:
    explicit Calls(UffdRegion& region) : region_(region) {}

    // Runs @ops one at a time and returns what went wrong. Stops at the
    // first call that does not return within the hang guard: the others
    // would only queue behind it.
    std::vector<std::string> run(const std::vector<Op>& ops) {
        std::vector<std::string> failures;
        for (const Op& op : ops) {
            auto& job = start(op.run);
            if (!job.wait(kHangGuard)) {
                failures.push_back(op.what + " did not return within " +
                                   std::to_string(kHangGuard.count()) +
                                   " s: it is blocked behind the stalled caller");
                break;
            }
            if (!job.result().empty())
                failures.push_back(op.what + ": " + job.result());
        }
        return failures;
    }

    Job& start(std::function<std::string()> fn) {
        jobs_.push_back(std::make_unique<Job>(std::move(fn), [this] { region_.release(); }));
        return *jobs_.back();
    }

    // Waits for every call (the stall must have ended); false if one hangs.
    bool finish() {
        for (auto& j : jobs_)
            if (!j->wait(kHangGuard))
                return false;
        return true;
    }

  private:
    UffdRegion& region_;
    std::vector<std::unique_ptr<Job>> jobs_;
};

class CoreStall : public KdemoTest {
  protected:
    void SetUp() override {
        KdemoTest::SetUp();
        UffdRegion probe(1);
        if (!probe.error().empty())
            GTEST_SKIP() << "userfaultfd is unavailable: " << probe.error();
    }

    // Messages set through each transport, the generation of each recorded
    // right after it was set (the calls run one at a time).
    struct History {
        std::vector<std::pair<uint64_t, std::string>> sets;  // (generation, message)
        // The message current at @generation.
        const std::string* at(uint64_t generation) const {
            const std::string* m = nullptr;
            for (const auto& [g, msg] : sets)
                if (g <= generation)
                    m = &msg;
            return m;
        }
        const std::string& latest() const { return sets.back().second; }
    };

    // Sets @msg through one of the transports and records it in @history.
    Op set_msg_op(const std::string& how, const std::string& msg, History& history) {
        return {how + " set-msg", [this, how, msg, &history]() -> std::string {
                    int err = how == "ioctl"   ? set_msg(rw.get(), msg)
                              : how == "sysfs" ? write_file(sysfs_path("message"), msg)
                                               : write_file(proc_path("message"), msg);
                    if (!err)
                        history.sets.emplace_back(state().generation, msg);
                    return errno_text(how + " set-msg", err);
                }};
    }

    // Reads the message through sysfs or proc; it must be the latest one set.
    static Op read_msg_op(const std::string& path, const History& history) {
        return {"read " + path, [path, &history]() -> std::string {
                    Io io = read_file(path);
                    if (io.err)
                        return std::strerror(io.err);
                    if (io.data != history.latest() + "\n")
                        return "read '" + io.data + "', expected '" + history.latest() + "\\n'";
                    return "";
                }};
    }

    // GET_MSG into an ordinary buffer, through another descriptor.
    static Op get_msg_op(const History& history) {
        return {"ioctl get-msg (another reader)", [&history]() -> std::string {
                    Fd fd = open_file(node_path(), O_RDONLY);
                    std::string m;
                    if (int err = get_msg(fd.get(), m))
                        return std::strerror(err);
                    if (m != history.latest())
                        return "got '" + m + "', expected '" + history.latest() + "'";
                    return "";
                }};
    }

    // Writes @text to @path: a text add or reset.
    static Op write_op(const std::string& path, const std::string& text) {
        return {"write '" + text + "' to " + path,
                [path, text] { return errno_text("write", write_file(path, text)); }};
    }
};

TEST_F(CoreStall, GetMsgIntoAStalledPageBlocksNoOtherCaller) {
    UffdRegion page(1);
    ASSERT_EQ(page.error(), "");
    History history;
    ASSERT_EQ(set_msg(rw.get(), "the message when the reader started"), 0);
    history.sets.emplace_back(state().generation, "the message when the reader started");

    struct Got {
        uint32_t len = 0;
        uint64_t generation = 0;
        std::string message;
    } got;
    Calls calls(page);
    Job& reader = calls.start([&]() -> std::string {
        kdemo_msg m{};
        m.data = reinterpret_cast<uintptr_t>(page.stalled());
        m.len = static_cast<uint32_t>(UffdRegion::page_size());
        if (int err = xioctl(ro.get(), KDEMO_IOC_GET_MSG, &m))
            return std::string("GET_MSG: ") + std::strerror(err);
        got = {m.len, m.generation, std::string(page.stalled(), m.len)};
        return "";
    });
    ASSERT_TRUE(page.wait_fault(kHangGuard)) << "GET_MSG never touched its buffer";

    auto failures = calls.run({
        set_msg_op("ioctl", "set through ioctl", history),
        {"ioctl add", [&] { return errno_text("ADD", add(rw.get(), 5)); }},
        {"ioctl reset", [&] { return errno_text("RESET", reset(rw.get())); }},
        set_msg_op("sysfs", "set through sysfs", history),
        read_msg_op(sysfs_path("message"), history),
        write_op(sysfs_path("add"), "1 2"),
        write_op(sysfs_path("reset"), "1"),
        set_msg_op("proc", "set through proc", history),
        read_msg_op(proc_path("message"), history),
        write_op(proc_path("sum"), "3 4"),
        write_op(proc_path("reset"), "1"),
        get_msg_op(history),
    });
    EXPECT_FALSE(reader.wait(std::chrono::seconds(0)))
        << "GET_MSG returned before its page was resolved: " << reader.result();
    ASSERT_EQ(page.resolve(), 0);
    ASSERT_TRUE(calls.finish()) << "a call still hangs after the page was resolved";
    for (const auto& f : failures)
        ADD_FAILURE() << f;

    ASSERT_EQ(reader.result(), "");
    const std::string* then = history.at(got.generation);
    ASSERT_NE(then, nullptr) << "GET_MSG reported generation " << got.generation
                             << ", older than the message it started with";
    EXPECT_LE(got.generation, state().generation);
    EXPECT_EQ(got.len, then->size()) << "length and generation disagree";
    EXPECT_EQ(got.message, *then) << "not the message of generation " << got.generation;
}

TEST_F(CoreStall, AddBatchFromAStalledPageBlocksNoOtherCallerAndAddsAllOfIt) {
    // 512 values, the first 256 at the end of an ordinary page, the rest at
    // the start of a stalled one that will hold them once resolved
    constexpr size_t kValues = 512, kFirst = 256;
    UffdRegion pages(2, 1);
    ASSERT_EQ(pages.error(), "");
    auto* values = reinterpret_cast<int64_t*>(pages.stalled()) - kFirst;
    std::vector<int64_t> rest(kValues - kFirst);
    for (size_t i = 0; i < kFirst; i++)
        values[i] = static_cast<int64_t>(i + 1);
    std::iota(rest.begin(), rest.end(), static_cast<int64_t>(kFirst + 1));
    const int64_t batch_sum = kValues * (kValues + 1) / 2;
    ASSERT_EQ(add(rw.get(), 1000), 0);  // for the resets below to clear

    History history;
    history.sets.emplace_back(state().generation, "");
    Calls calls(pages);
    Job& batch = calls.start([&] {
        Fd fd = open_file(node_path(), O_RDWR);
        return errno_text("ADD_BATCH", add_batch(fd.get(), std::span(values, kValues)));
    });
    ASSERT_TRUE(pages.wait_fault(kHangGuard)) << "ADD_BATCH never read its second page";

    // resets first: the batch cannot be added before its values are read
    auto failures = calls.run({
        {"ioctl reset", [&] { return errno_text("RESET", reset(rw.get())); }},
        write_op(sysfs_path("reset"), "1"),
        write_op(proc_path("reset"), "1"),
        {"ioctl add", [&] { return errno_text("ADD", add(rw.get(), 5)); }},
        write_op(sysfs_path("add"), "1 2"),
        write_op(proc_path("sum"), "3 4"),
        set_msg_op("ioctl", "set through ioctl", history),
        set_msg_op("sysfs", "set through sysfs", history),
        set_msg_op("proc", "set through proc", history),
        read_msg_op(sysfs_path("message"), history),
        read_msg_op(proc_path("message"), history),
        get_msg_op(history),
    });
    const Sum before = state();
    EXPECT_FALSE(batch.wait(std::chrono::seconds(0)))
        << "ADD_BATCH returned before its second page was resolved: " << batch.result();
    std::string bytes(reinterpret_cast<const char*>(rest.data()), rest.size() * sizeof(int64_t));
    ASSERT_EQ(pages.resolve(bytes), 0);
    ASSERT_TRUE(calls.finish()) << "a call still hangs after the page was resolved";
    for (const auto& f : failures)
        ADD_FAILURE() << f;
    if (!failures.empty())
        return;  // the accounting below assumes every call was made

    ASSERT_EQ(batch.result(), "");
    EXPECT_EQ(before.sum, 15) << "nothing of the batch before its values were read";
    EXPECT_EQ(before.count, 5u);
    const Sum after = state();
    EXPECT_EQ(after.sum, 15 + batch_sum) << "the batch is added whole, with the values supplied";
    EXPECT_EQ(after.count, 5 + kValues);
    EXPECT_EQ(after.generation, before.generation + 1) << "one change for the whole batch";
    EXPECT_EQ(to_i64(read_value(sysfs_path("sum"))), after.sum);
    EXPECT_EQ(to_u64(read_value(proc_path("count"))), after.count);
}

TEST_F(CoreStall, GetMsgStalledOnAPageDiesOfSigkillAndTheDeviceWorksOn) {
    ASSERT_EQ(set_msg(rw.get(), "before the kill"), 0);
    int ready[2];
    ASSERT_EQ(::pipe2(ready, O_CLOEXEC), 0);
    Fd ready_r(ready[0]), ready_w(ready[1]);
    // the child: GET_MSG into a page it never resolves, from a second thread
    // while the first reports the stall and waits to be killed
    pid_t pid = fork_child([&] {
        ready_r.reset();
        UffdRegion page(1);
        Fd fd = open_file(node_path(), O_RDONLY);
        std::thread([&] {
            kdemo_msg m{};
            m.data = reinterpret_cast<uintptr_t>(page.stalled());
            m.len = static_cast<uint32_t>(UffdRegion::page_size());
            (void)xioctl(fd.get(), KDEMO_IOC_GET_MSG, &m);
        }).detach();
        const char c = page.error().empty() && page.wait_fault(kHangGuard) ? 's' : 'n';
        (void)!::write(ready_w.get(), &c, 1);
        for (;;)
            ::pause();
    });
    ASSERT_GT(pid, 0);
    ready_w.reset();
    char c = 0;
    if (::read(ready_r.get(), &c, 1) != 1 || c != 's') {
        ::kill(pid, SIGKILL);
        (void)reap(pid, kHangGuard);
        FAIL() << "the child's GET_MSG did not stall on its page";
    }

    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    auto status = reap(pid, kHangGuard);
    ASSERT_TRUE(status) << "the child stalled in GET_MSG did not die of SIGKILL within "
                        << kHangGuard.count() << " s";
    EXPECT_TRUE(WIFSIGNALED(*status) && WTERMSIG(*status) == SIGKILL) << describe_status(*status);

    // the device works on, and the killed call left nothing behind
    EXPECT_EQ(read_value(sysfs_path("stats/opens")), "2") << "the fixture's two descriptors";
    ASSERT_EQ(set_msg(rw.get(), "after the kill"), 0);
    ASSERT_EQ(add_batch(rw.get(), std::vector<int64_t>{20, 22}), 0);
    EXPECT_EQ(write_file(sysfs_path("add"), "1"), 0);
    EXPECT_EQ(write_file(proc_path("message"), "through proc"), 0);
    const Sum s = state();
    EXPECT_EQ(s.sum, 43);
    auto diff = compare_views({"through proc", 43, 3, s.generation});
    for (const auto& d : diff)
        ADD_FAILURE() << d;
}

}  // namespace
}  // namespace kt
