// Change notification under bursts of changes. The sysfs notifications of
// message, sum and generation are coalesced in a work item, so they arrive
// after the change and fewer than the changes; what must hold is that every
// poller, of the node or of a sysfs attribute, ends up seeing the final
// state, and that no change is lost on the way.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <string>
#include <thread>
#include <vector>

#include "common/hardening.hpp"
#include "common/kdemo.hpp"
#include "common/process.hpp"

namespace kt {
namespace {

constexpr int kBurst = 200;  // changes per writer
// The writers' hang guard: 200 changes each, two CPUs shared with the pollers.
constexpr auto kWritersGuard = kHangGuard * 6;

// A poller waits in poll() for @events on its descriptor and re-reads the
// value after each wake-up (which re-arms it), until it has read the value
// announced as final, within the hang guard from the announcement on.
struct Poller {
    Poller(std::string n, std::string p, bool is_node, short ev)
        : name(std::move(n)), path(std::move(p)), node(is_node), events(ev) {}

    std::string name;
    std::string path;
    bool node = false;  // the node (GET_SUM re-arms) or a sysfs attribute (pread at 0)
    short events = 0;
    std::atomic<pid_t> tid{0};  // its thread, once it has read and armed its descriptor
    // results
    std::string target;  // the final value, set before the announcement
    std::string last;    // the last value read
    uint64_t wakeups = 0;
    bool reached = false;
    std::string error;
};

std::string read_value_of(const Poller& p, int fd) {
    if (p.node) {
        kdemo_sum s{};
        int err = xioctl(fd, KDEMO_IOC_GET_SUM, &s);
        return err ? std::string("GET_SUM: ") + std::strerror(err) : std::to_string(s.generation);
    }
    Io io = pread_all(fd, 8192);
    return io.err ? std::string("pread: ") + std::strerror(io.err) : io.data;
}

void run_poller(Poller& p, int announce_fd, const std::atomic<bool>& announced) {
    int fd = ::open(p.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        p.error = "open: " + std::string(std::strerror(errno));
        return;
    }
    std::string value = read_value_of(p, fd);
    p.tid = thread_id();
    bool final_known = false;
    std::chrono::steady_clock::time_point deadline;
    for (;;) {
        if (!final_known && announced.load(std::memory_order_acquire)) {
            final_known = true;
            deadline = std::chrono::steady_clock::now() + kHangGuard;
        }
        if (final_known && value == p.target) {
            p.reached = true;
            break;
        }
        // before the announcement wait for it too; after it, for the hang guard only
        pollfd fds[2] = {{fd, p.events, 0}, {announce_fd, POLLIN, 0}};
        int timeout = -1;
        if (final_known)
            timeout = static_cast<int>(std::max<int64_t>(
                0, std::chrono::ceil<std::chrono::milliseconds>(deadline -
                                                                std::chrono::steady_clock::now())
                       .count()));
        int n = ::poll(fds, final_known ? 1 : 2, timeout);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            p.error = "poll: " + std::string(std::strerror(errno));
            break;
        }
        if (n == 0)
            break;  // the hang guard: no wake-up brought the final value
        if (fds[0].revents & (POLLHUP | POLLNVAL)) {
            p.error = "poll reported POLLHUP/POLLNVAL";
            break;
        }
        if (fds[0].revents & (p.events | POLLERR)) {
            p.wakeups++;
            value = read_value_of(p, fd);
        }
    }
    p.last = value;
    ::close(fd);
}

class NotifyBurst : public KdemoTest {
  protected:
    struct Outcome {
        std::deque<Poller> pollers;  // not moved once their threads run
        std::vector<std::string> writer_failures;
        Sum start, end;
        std::string message;
    };

    // Three writer processes make kBurst changes each (ioctl ADD, ioctl
    // SET_MSG, sysfs add) while node and sysfs pollers watch; once the
    // writers are done the final state is read and announced, and each
    // poller goes on until it has seen it.
    Outcome burst() {
        Outcome out;
        out.start = state();
        int go[2];
        if (::pipe2(go, O_CLOEXEC) != 0)
            throw std::system_error(errno, std::generic_category(), "pipe2");
        // a writer process: change(fd, i) for i < kBurst, fd the node open read-write
        auto writer = [&](const std::function<int(int fd, int i)>& change) {
            return fork_child([&] {
                ::close(go[1]);
                Fd fd = open_file(node_path(), O_RDWR);
                char c;
                (void)!::read(go[0], &c, 1);  // EOF: go
                for (int i = 0; i < kBurst; i++)
                    if (int err = change(fd.get(), i))
                        throw std::system_error(err, std::generic_category(),
                                                "change " + std::to_string(i));
            });
        };
        // the writers fork before any thread exists
        struct Writer {
            const char* name;
            pid_t pid;
        };
        std::vector<Writer> writers = {
            {"ioctl add", writer([](int fd, int i) { return add(fd, i + 1); })},
            {"ioctl set-msg", writer([](int fd, int i) {
                 return set_msg(fd, "burst message " + std::to_string(i));
             })},
            {"sysfs add", writer([](int, int) { return write_file(sysfs_path("add"), "3 4"); })},
        };
        ::close(go[0]);

        for (int i = 0; i < 3; i++)
            out.pollers.emplace_back("node poller " + std::to_string(i), node_path(), true,
                                     POLLIN | POLLPRI);
        for (int i = 0; i < 3; i++)
            out.pollers.emplace_back("sysfs generation poller " + std::to_string(i),
                                     sysfs_path("generation"), false, POLLPRI | POLLERR);
        out.pollers.emplace_back("sysfs sum poller", sysfs_path("sum"), false, POLLPRI | POLLERR);
        out.pollers.emplace_back("sysfs message poller", sysfs_path("message"), false,
                                 POLLPRI | POLLERR);

        Fd announce(::eventfd(0, EFD_CLOEXEC));
        std::atomic<bool> announced{false};
        std::vector<std::thread> threads;
        for (auto& p : out.pollers)
            threads.emplace_back(run_poller, std::ref(p), announce.get(), std::cref(announced));

        // the burst starts once every poller waits in poll()
        bool ready = eventually(
            [&] {
                for (const auto& p : out.pollers)
                    if (!p.tid || !blocked_in_poll(p.tid))
                        return false;
                return true;
            },
            kHangGuard);
        if (!ready)
            out.writer_failures.push_back("the pollers did not all wait in poll() within " +
                                          std::to_string(kHangGuard.count()) + " s");
        ::close(go[1]);  // go
        for (const auto& w : writers) {
            auto status = reap(w.pid, kWritersGuard);
            if (!status) {
                ::kill(w.pid, SIGKILL);
                (void)reap(w.pid, kHangGuard);
                out.writer_failures.push_back(std::string(w.name) + " did not finish within " +
                                              std::to_string(kWritersGuard.count()) + " s");
            } else if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
                out.writer_failures.push_back(std::string(w.name) + ": " +
                                              describe_status(*status) + " (see stderr)");
            }
        }

        // the final state, announced to the pollers
        out.end = state();
        out.message = get_msg(rw.get());
        for (auto& p : out.pollers)
            p.target = p.node ? std::to_string(out.end.generation) : read_file(p.path).data;
        announced.store(true, std::memory_order_release);
        const uint64_t one = 1;
        (void)!::write(announce.get(), &one, sizeof(one));
        for (auto& t : threads)
            t.join();
        Figures f("notify_burst");
        for (const auto& p : out.pollers) {
            std::string key = p.name;
            std::replace(key.begin(), key.end(), ' ', '_');
            f.add(key + "_wakeups", p.wakeups);
        }
        f.print();
        return out;
    }
};

TEST_F(NotifyBurst, EveryNodeAndSysfsPollerSeesTheFinalState) {
    Outcome out = burst();
    for (const auto& f : out.writer_failures)
        ADD_FAILURE() << f;
    for (const auto& p : out.pollers) {
        EXPECT_EQ(p.error, "") << p.name;
        EXPECT_TRUE(p.reached) << p.name << " did not see the final value '" << p.target
                               << "' within " << kHangGuard.count() << " s of the last change; "
                               << "it last read '" << p.last << "' after " << p.wakeups
                               << " wake-ups";
    }
}

TEST_F(NotifyBurst, EveryChangeOfEveryWriterIsAccountedFor) {
    Outcome out = burst();
    for (const auto& f : out.writer_failures)
        ADD_FAILURE() << f;
    // ioctl: 1 + 2 + ... + 200; sysfs: 200 times "3 4"
    const int64_t sum = kBurst * (kBurst + 1) / 2 + kBurst * 7;
    const uint64_t count = kBurst + 2 * kBurst;
    EXPECT_EQ(out.end.sum, out.start.sum + sum);
    EXPECT_EQ(out.end.count, out.start.count + count);
    EXPECT_EQ(out.end.generation, out.start.generation + 3 * kBurst) << "one per change";
    EXPECT_EQ(out.message, "burst message " + std::to_string(kBurst - 1));
    auto diff = compare_views({out.message, out.end.sum, out.end.count, out.end.generation});
    for (const auto& d : diff)
        ADD_FAILURE() << d;
}

}  // namespace
}  // namespace kt
