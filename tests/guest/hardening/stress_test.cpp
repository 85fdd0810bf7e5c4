// Stress: many processes hammer every transport of one device at once, for a
// bounded time, and everything is accounted for exactly.
//
// Writers add values through ioctl ADD and ADD_BATCH, sysfs `add` and proc
// `sum`, and set self-checking messages through ioctl, sysfs and proc; each
// reports to the parent, through a pipe, what it changed. Readers read the
// message through the three transports and the scalar state through GET_SUM,
// GET_INFO, proc `info`, the sysfs files and the mmap'ed snapshot, checking
// every read on the spot. Resets are excluded, so count and generation only
// grow. Every value added is 1 + k * 2^20, so in every consistent snapshot
// sum == count (mod 2^20): a reader that saw sum and count of different
// moments would notice.
//
// At the end: sum, count and generation equal what the writers report, the
// per-transport operation counters equal the calls the workers made, and no
// reader saw a torn message or a broken invariant.
#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "common/hardening.hpp"
#include "common/kdemo.hpp"
#include "common/kernel_log.hpp"

namespace kt {
namespace {

constexpr unsigned kMsgMax = 16384;
constexpr size_t kSysfsMsgMax = 4094;  // what a sysfs read can return
constexpr int kShift = 20;
constexpr uint64_t kMask = (uint64_t{1} << kShift) - 1;

// What one worker did, sent to the parent through a pipe (fixed layout).
struct Report {
    char role[32] = {};
    uint64_t ops = 0;       // system calls on kdemo files
    uint64_t ioctls = 0;    // ioctl calls (all of known commands)
    uint64_t sysfs = 0;     // sysfs show/store calls on state attributes
    uint64_t proc = 0;      // proc reads at offset 0 and writes
    int64_t added_sum = 0;  // what this worker added successfully
    uint64_t added_count = 0;
    uint64_t changes = 0;     // successful changes (each bumps the generation)
    uint64_t checked = 0;     // reads verified
    uint64_t torn = 0;        // messages that failed their checksum
    uint64_t efbig = 0;       // sysfs reads of a message longer than 4094 bytes
    uint64_t wakeups = 0;     // poll() wake-ups
    uint64_t violations = 0;  // broken invariants
    uint64_t errors = 0;      // unexpected errno
    char problem[256] = {};   // the first violation or error
};

class Worker {
  public:
    Worker(const char* role, uint64_t seed, Budget budget) : rng(seed), budget(budget) {
        std::snprintf(r.role, sizeof(r.role), "%s", role);
    }

    void problem(uint64_t& counter, const std::string& what) {
        counter++;
        if (!r.problem[0])
            std::snprintf(r.problem, sizeof(r.problem), "%s", what.c_str());
    }
    void error(const char* what, int err) {
        problem(r.errors, err ? std::string(what) + ": " + std::strerror(err) : what);
    }
    void violation(const std::string& what) { problem(r.violations, what); }

    // A value 1 + k * 2^20 (k in -512..511): sum == count (mod 2^20) always.
    int64_t value() {
        return 1 + static_cast<int64_t>(std::uniform_int_distribution<int>(-512, 511)(rng)) *
                       (int64_t{1} << kShift);
    }
    // A list of @n values as text with random separators, and their sum.
    std::string text_values(size_t n, int64_t& sum) {
        static const char* const seps[] = {" ", "\t", "\n", "  ", " \t"};
        std::string text;
        sum = 0;
        for (size_t i = 0; i < n; i++) {
            int64_t v = value();
            sum += v;
            if (i)
                text += seps[rng() % 5];
            if (v > 0 && rng() % 4 == 0)
                text += '+';
            text += std::to_string(v);
        }
        if (rng() % 2)
            text += '\n';
        return text;
    }
    size_t message_length(size_t max) {
        unsigned pick = rng() % 100;
        size_t hi = pick < 70 ? 300 : pick < 90 ? kSysfsMsgMax : kMsgMax;
        hi = std::min(hi, max);
        return std::uniform_int_distribution<size_t>(kFrameHeader, hi)(rng);
    }
    // Checks the monotonic counters a reader sees and the sum/count invariant.
    void check_scalars(const char* who, int64_t sum, uint64_t count, uint64_t generation) {
        r.checked++;
        if (((static_cast<uint64_t>(sum) - count) & kMask) != 0)
            violation(std::string(who) + ": sum " + std::to_string(sum) + " and count " +
                      std::to_string(count) + " are not from one moment");
        if (count < last_count)
            violation(std::string(who) + ": count went back from " + std::to_string(last_count) +
                      " to " + std::to_string(count));
        if (generation < last_generation)
            violation(std::string(who) + ": generation went back from " +
                      std::to_string(last_generation) + " to " + std::to_string(generation));
        last_count = std::max(last_count, count);
        last_generation = std::max(last_generation, generation);
    }
    void check_generation(const char* who, uint64_t generation) {
        if (generation < last_generation)
            violation(std::string(who) + ": generation went back from " +
                      std::to_string(last_generation) + " to " + std::to_string(generation));
        last_generation = std::max(last_generation, generation);
    }
    void check_msg_len(const char* who, uint64_t len) {
        if (len > kMsgMax || (len && len < kFrameHeader))
            violation(std::string(who) + ": message length " + std::to_string(len) +
                      " was never set");
    }
    // A message read through a text transport: the bytes and one '\n'.
    void check_text_message(const char* who, const std::string& text) {
        r.checked++;
        if (text.empty() || text.back() != '\n') {
            problem(r.torn, std::string(who) + ": no trailing newline (" +
                                std::to_string(text.size()) + " bytes)");
            return;
        }
        check_message(who, std::string_view(text).substr(0, text.size() - 1), false);
    }
    void check_message(const char* who, std::string_view m, bool count = true) {
        if (count)
            r.checked++;
        if (!m.empty() && !frame_ok(m))
            problem(r.torn, std::string(who) + ": torn message of " + std::to_string(m.size()) +
                                " bytes: " + std::string(m.substr(0, 40)));
    }

    std::mt19937_64 rng;
    Budget budget;
    Report r;
    uint64_t last_count = 0;
    uint64_t last_generation = 0;
};

// pread() from offset 0 until EOF: one content generation of a seq_file.
int read_whole(int fd, std::string& out, size_t chunk) {
    out.clear();
    std::string buf(chunk, '\0');
    for (;;) {
        ssize_t n = ::pread(fd, buf.data(), chunk, static_cast<off_t>(out.size()));
        if (n < 0)
            return errno;
        if (n == 0)
            return 0;
        out.append(buf.data(), static_cast<size_t>(n));
    }
}

// open + 1-byte reads + close.
int read_bytewise(const std::string& path, std::string& out) {
    out.clear();
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    char c;
    ssize_t n;
    while ((n = ::read(fd, &c, 1)) == 1)
        out += c;
    int err = n < 0 ? errno : 0;
    ::close(fd);
    return err;
}

int pwrite_whole(int fd, const std::string& data) {
    ssize_t n = ::pwrite(fd, data.data(), data.size(), 0);
    if (n < 0)
        return errno;
    return static_cast<size_t>(n) == data.size() ? 0 : EIO;
}

// --- writers ---------------------------------------------------------------

void ioctl_adder(Worker& w) {
    Fd fd = open_file(node_path(), O_RDWR);
    while (w.budget.next()) {
        int64_t v = w.value();
        w.r.ops++;
        w.r.ioctls++;
        if (int err = add(fd.get(), v))
            w.error("ADD", err);
        else
            w.r.added_sum += v, w.r.added_count++, w.r.changes++;
    }
}

void ioctl_batcher(Worker& w) {
    Fd fd = open_file(node_path(), O_RDWR);
    std::vector<int64_t> values;
    while (w.budget.next()) {
        unsigned pick = w.rng() % 100;
        size_t n = pick < 80 ? 1 + w.rng() % 64 : pick < 95 ? 65 + w.rng() % 960 : KDEMO_BATCH_MAX;
        values.resize(n);
        int64_t sum = 0;
        for (auto& v : values)
            sum += v = w.value();
        w.r.ops++;
        w.r.ioctls++;
        if (int err = add_batch(fd.get(), values))
            w.error("ADD_BATCH", err);
        else
            w.r.added_sum += sum, w.r.added_count += n, w.r.changes++;
    }
}

void sysfs_adder(Worker& w) {
    Fd fd = open_file(sysfs_path("add"), O_WRONLY);
    while (w.budget.next()) {
        int64_t sum = 0;
        size_t n = 1 + w.rng() % 64;
        std::string text = w.text_values(n, sum);
        int err;
        w.r.ops++;
        w.r.sysfs++;
        if (w.rng() % 8 == 0) {
            err = write_file(sysfs_path("add"), text);  // open, write, close
        } else {
            err = pwrite_whole(fd.get(), text);  // kept open, at offset 0
        }
        if (err)
            w.error("sysfs add", err);
        else
            w.r.added_sum += sum, w.r.added_count += n, w.r.changes++;
    }
}

void proc_adder(Worker& w) {
    Fd fd = open_file(proc_path("sum"), O_WRONLY);
    while (w.budget.next()) {
        int64_t sum = 0;
        size_t n = 1 + w.rng() % 256;
        std::string text = w.text_values(n, sum);
        int err;
        w.r.ops++;
        w.r.proc++;
        if (w.rng() % 8 == 0)
            err = write_file(proc_path("sum"), text);
        else
            err = pwrite_whole(fd.get(), text);  // kept open, at offset 0
        if (err)
            w.error("proc sum", err);
        else
            w.r.added_sum += sum, w.r.added_count += n, w.r.changes++;
    }
}

void ioctl_setter(Worker& w) {
    Fd fd = open_file(node_path(), O_RDWR);
    while (w.budget.next()) {
        std::string m = framed_message(w.rng, w.message_length(kMsgMax));
        w.r.ops++;
        w.r.ioctls++;
        if (int err = set_msg(fd.get(), m))
            w.error("SET_MSG", err);
        else
            w.r.changes++;
    }
}

void sysfs_setter(Worker& w) {
    Fd fd = open_file(sysfs_path("message"), O_WRONLY);
    while (w.budget.next()) {
        std::string m = framed_message(w.rng, w.message_length(kSysfsMsgMax));
        if (w.rng() % 2)
            m += '\n';  // one trailing newline is not stored
        w.r.ops++;
        w.r.sysfs++;
        if (int err = pwrite_whole(fd.get(), m))
            w.error("sysfs message", err);
        else
            w.r.changes++;
    }
}

void proc_setter(Worker& w) {
    Fd fd = open_file(proc_path("message"), O_WRONLY);
    while (w.budget.next()) {
        std::string m = framed_message(w.rng, w.message_length(kMsgMax));
        if (w.rng() % 2)
            m += '\n';
        int err;
        w.r.ops++;
        w.r.proc++;
        if (w.rng() % 8 == 0)
            err = write_file(proc_path("message"), m);
        else
            err = pwrite_whole(fd.get(), m);
        if (err)
            w.error("proc message", err);
        else
            w.r.changes++;
    }
}

// --- readers ---------------------------------------------------------------

void ioctl_msg_reader(Worker& w) {
    Fd fd = open_file(node_path(), O_RDONLY);
    std::string buf(kMsgMax, '\0');
    uint64_t last = 0;
    while (w.budget.next()) {
        kdemo_msg m{};
        m.data = reinterpret_cast<uintptr_t>(buf.data());
        m.len = kMsgMax;
        w.r.ops++;
        w.r.ioctls++;
        if (int err = xioctl(fd.get(), KDEMO_IOC_GET_MSG, &m)) {
            w.error("GET_MSG", err);
            continue;
        }
        w.check_msg_len("GET_MSG", m.len);
        w.check_message("GET_MSG", std::string_view(buf.data(), m.len));
        if (m.generation < last)
            w.violation("GET_MSG: generation went back");
        last = m.generation;
        w.check_generation("GET_MSG", m.generation);
    }
}

void sysfs_msg_reader(Worker& w) {
    Fd fd = open_file(sysfs_path("message"), O_RDONLY);
    std::string text;
    while (w.budget.next()) {
        w.r.ops++;
        w.r.sysfs++;
        Io io = pread_all(fd.get(), 8192);  // kept open, read at 0: a fresh show()
        if (io.err == EFBIG) {
            w.r.efbig++;  // the message is longer than sysfs can carry
            continue;
        }
        if (io.err) {
            w.error("sysfs message read", io.err);
            continue;
        }
        if (io.data.size() > kSysfsMsgMax + 1)
            w.violation("sysfs message read returned " + std::to_string(io.data.size()) + " bytes");
        w.check_text_message("sysfs message", io.data);
    }
}

void proc_msg_reader(Worker& w) {
    Fd fd = open_file(proc_path("message"), O_RDONLY);
    std::string text;
    while (w.budget.next()) {
        int err;
        w.r.proc++;  // one content generation either way
        if (w.rng() % 30 == 0) {
            err = read_bytewise(proc_path("message"), text);
            w.r.ops += text.size() + 1;
        } else {
            static const size_t chunks[] = {7, 4096, 65536};
            err = read_whole(fd.get(), text, chunks[w.rng() % 3]);
            w.r.ops++;
        }
        if (err)
            w.error("proc message read", err);
        else
            w.check_text_message("proc message", text);
    }
}

// proc info: the keys, exactly and in order.
bool parse_info(const std::string& text, std::map<std::string, std::string>& kv) {
    static const char* const keys[] = {"driver",     "version",     "abi",       "device",
                                       "msg_max",    "msg_len",     "sum",       "count",
                                       "generation", "opens",       "ioctl_ops", "sysfs_ops",
                                       "proc_ops",   "netlink_ops", "uring_ops", "random"};
    kv.clear();
    size_t pos = 0;
    for (const char* key : keys) {
        size_t nl = text.find('\n', pos);
        if (nl == std::string::npos)
            return false;
        std::string line = text.substr(pos, nl - pos);
        std::string prefix = std::string(key) + ": ";
        if (line.compare(0, prefix.size(), prefix) != 0)
            return false;
        kv[key] = line.substr(prefix.size());
        pos = nl + 1;
    }
    return pos == text.size();
}

void info_reader(Worker& w) {
    Fd node = open_file(node_path(), O_RDONLY);
    Fd info = open_file(proc_path("info"), O_RDONLY);
    std::string text;
    std::map<std::string, std::string> kv;
    while (w.budget.next()) {
        w.r.ops++;
        if (w.rng() % 2) {
            kdemo_info i{};
            i.size = sizeof(i);
            w.r.ioctls++;
            if (int err = xioctl(node.get(), KDEMO_IOC_GET_INFO, &i)) {
                w.error("GET_INFO", err);
                continue;
            }
            w.check_scalars("GET_INFO", i.sum, i.count, i.generation);
            w.check_msg_len("GET_INFO", i.msg_len);
            if (i.size != sizeof(i) || i.abi_version != KDEMO_ABI_VERSION ||
                std::string(i.driver) != "kdemo" || std::string(i.device) != "kdemo0" ||
                i.msg_max != kMsgMax || i.opens < 1)
                w.violation("GET_INFO: bad fixed fields (size " + std::to_string(i.size) +
                            ", device '" + std::string(i.device, strnlen(i.device, 32)) +
                            "', opens " + std::to_string(i.opens) + ")");
        } else {
            w.r.proc++;
            if (int err = read_whole(info.get(), text, 4096)) {
                w.error("proc info read", err);
                continue;
            }
            if (!parse_info(text, kv)) {
                w.violation("proc info: bad text: " + text.substr(0, 120));
                continue;
            }
            try {
                w.check_scalars("proc info", to_i64(kv["sum"]), to_u64(kv["count"]),
                                to_u64(kv["generation"]));
                w.check_msg_len("proc info", to_u64(kv["msg_len"]));
                if (kv["driver"] != "kdemo" || kv["device"] != "kdemo0" || kv["abi"] != "1" ||
                    to_u64(kv["msg_max"]) != kMsgMax || to_u64(kv["opens"]) < 1)
                    w.violation("proc info: bad fixed fields: " + text.substr(0, 120));
            } catch (const std::exception& e) {
                w.violation(std::string("proc info: ") + e.what());
            }
        }
    }
}

void scalar_reader(Worker& w) {
    Fd node = open_file(node_path(), O_RDONLY);
    std::array<Fd, 3> sysfs = {open_file(sysfs_path("sum"), O_RDONLY),
                               open_file(sysfs_path("count"), O_RDONLY),
                               open_file(sysfs_path("generation"), O_RDONLY)};
    void* map = ::mmap(nullptr, 4096, PROT_READ, MAP_SHARED, node.get(), 0);
    if (map == MAP_FAILED)
        throw std::system_error(errno, std::generic_category(), "mmap");
    auto* snap = static_cast<const kdemo_snapshot*>(map);
    while (w.budget.next()) {
        switch (w.rng() % 3) {
            case 0: {
                kdemo_sum s{};
                w.r.ops++;
                w.r.ioctls++;
                if (int err = xioctl(node.get(), KDEMO_IOC_GET_SUM, &s))
                    w.error("GET_SUM", err);
                else
                    w.check_scalars("GET_SUM", s.sum, s.count, s.generation);
                break;
            }
            case 1: {
                kdemo_snapshot c = read_snapshot(snap);
                w.check_scalars("mmap", c.sum, c.count, c.generation);
                w.check_msg_len("mmap", c.msg_len);
                if (c.abi_version != KDEMO_ABI_VERSION)
                    w.violation("mmap: abi_version " + std::to_string(c.abi_version));
                break;
            }
            default: {
                // three files, three moments: only monotonicity can be checked
                unsigned which = w.rng() % 3;
                w.r.ops++;
                w.r.sysfs++;
                Io io = pread_all(sysfs[which].get(), 64);
                if (io.err) {
                    w.error("sysfs scalar read", io.err);
                    break;
                }
                w.r.checked++;
                try {
                    if (which == 1) {
                        uint64_t c = to_u64(io.data);
                        if (c < w.last_count)
                            w.violation("sysfs count went back");
                        w.last_count = std::max(w.last_count, c);
                    } else if (which == 2) {
                        w.check_generation("sysfs generation", to_u64(io.data));
                    } else {
                        (void)to_i64(io.data);
                    }
                } catch (const std::exception& e) {
                    w.violation(std::string("sysfs: ") + e.what());
                }
            }
        }
    }
    ::munmap(map, 4096);
}

// poll() on the node: every wake-up must be backed by a newer generation.
void watcher(Worker& w) {
    Fd fd = open_file(node_path(), O_RDONLY);
    kdemo_sum s{};
    w.r.ops++;
    w.r.ioctls++;
    if (int err = xioctl(fd.get(), KDEMO_IOC_GET_SUM, &s))
        return w.error("GET_SUM", err);
    uint64_t seen = s.generation;
    while (w.budget.next()) {
        pollfd p{fd.get(), POLLIN | POLLPRI, 0};
        w.r.ops++;
        int n = ::poll(&p, 1, 100);
        if (n < 0) {
            w.error("poll", errno);
            continue;
        }
        if (n == 0)
            continue;
        w.r.wakeups++;
        if ((p.revents & (POLLIN | POLLPRI)) != (POLLIN | POLLPRI))
            w.violation("poll: revents " + std::to_string(p.revents));
        w.r.ops++;
        w.r.ioctls++;
        if (int err = xioctl(fd.get(), KDEMO_IOC_GET_SUM, &s)) {
            w.error("GET_SUM", err);
            continue;
        }
        w.r.checked++;
        if (s.generation <= seen)
            w.violation("poll woke up but the generation is still " + std::to_string(seen));
        seen = s.generation;
    }
}

struct Role {
    const char* name;
    void (*fn)(Worker&);
};

const Role kRoles[] = {
    {"ioctl-add", ioctl_adder},
    {"ioctl-batch", ioctl_batcher},
    {"sysfs-add", sysfs_adder},
    {"proc-sum", proc_adder},
    {"ioctl-setmsg", ioctl_setter},
    {"sysfs-setmsg", sysfs_setter},
    {"proc-setmsg", proc_setter},
    {"ioctl-getmsg", ioctl_msg_reader},
    {"sysfs-getmsg", sysfs_msg_reader},
    {"proc-getmsg", proc_msg_reader},
    {"info", info_reader},
    {"scalars", scalar_reader},
    {"poll", watcher},
};

uint64_t counter(const char* name, int dev = 0) {
    return to_u64(read_value(sysfs_path(std::string("stats/") + name, dev)));
}

class Stress : public KdemoTest {
  protected:
    ModuleConfig config() const override { return {.ndevs = 2, .msg_max = kMsgMax}; }
    void SetUp() override {
        if (!kernel_broken().empty())
            GTEST_SKIP() << "the kernel oopsed earlier: " << kernel_broken();
        KdemoTest::SetUp();
    }
    void TearDown() override {
        if (!kernel_broken().empty())
            return;
        rw.reset();
        ro.reset();
        ensure_module();  // the defaults other tests expect
    }
};

TEST_F(Stress, EveryTransportAtOnceAccountsExactly) {
    const double seconds = stress_seconds();
    const uint64_t seed = env_u64("KDEMO_FUZZ_SEED", 0x5eed0001);
    KmsgWatch kmsg;

    // the other device must not notice anything
    Fd other = open_file(node_path(1), O_RDONLY);
    Sum other_before = get_sum(other.get());
    std::string other_msg = get_msg(other.get());

    const Sum before = get_sum(ro.get());
    const uint64_t ioctl0 = counter("ioctl_ops"), sysfs0 = counter("sysfs_ops"),
                   proc0 = counter("proc_ops");

    struct Child {
        const Role* role;
        pid_t pid;
        int rfd;
    };
    std::vector<Child> children;
    const Budget shared(seconds, 0);
    for (size_t i = 0; i < std::size(kRoles); i++) {
        int p[2];
        ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
        const Role* role = &kRoles[i];
        pid_t pid = fork_child([&, role, i] {
            ::close(p[0]);
            // the same deadline for everybody; the iteration cap scales with it
            Budget b(
                std::chrono::duration<double>(shared.deadline() - std::chrono::steady_clock::now())
                    .count(),
                static_cast<uint64_t>(200000 * seconds));
            Worker w(role->name, seed * 1000 + i, b);
            try {
                role->fn(w);
            } catch (const std::exception& e) {
                w.error(e.what(), 0);
            }
            ssize_t n = ::write(p[1], &w.r, sizeof(w.r));
            ::_exit(n == static_cast<ssize_t>(sizeof(w.r)) ? 0 : 1);
        });
        ::close(p[1]);
        ASSERT_GT(pid, 0);
        children.push_back({role, pid, p[0]});
    }

    Report total{};
    uint64_t added_ops = 0, msg_sets = 0;
    const auto grace = std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000) + 120000);
    for (auto& c : children) {
        int status = wait_child(c.pid, grace);
        Report r{};
        ssize_t n = ::read(c.rfd, &r, sizeof(r));
        ::close(c.rfd);
        EXPECT_TRUE(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
            << c.role->name << ": worker failed, status " << status;
        if (n != static_cast<ssize_t>(sizeof(r))) {
            ADD_FAILURE() << c.role->name << ": no report";
            continue;
        }
        EXPECT_EQ(r.errors, 0u) << r.role << ": " << r.problem;
        EXPECT_EQ(r.violations, 0u) << r.role << ": " << r.problem;
        EXPECT_EQ(r.torn, 0u) << r.role << ": " << r.problem;
        std::printf(
            "  %-13s ops %8llu  changes %7llu  values %9llu  checked %8llu%s%s\n", r.role,
            static_cast<unsigned long long>(r.ops), static_cast<unsigned long long>(r.changes),
            static_cast<unsigned long long>(r.added_count),
            static_cast<unsigned long long>(r.checked), r.problem[0] ? "  first: " : "", r.problem);
        total.ops += r.ops;
        total.ioctls += r.ioctls;
        total.sysfs += r.sysfs;
        total.proc += r.proc;
        total.added_sum += r.added_sum;
        total.added_count += r.added_count;
        total.changes += r.changes;
        total.checked += r.checked;
        total.torn += r.torn;
        total.efbig += r.efbig;
        total.wakeups += r.wakeups;
        total.violations += r.violations;
        total.errors += r.errors;
        if (r.added_count)
            added_ops += r.changes;
        else
            msg_sets += r.changes;
    }

    // the counters first: nothing below may count before they are read
    EXPECT_EQ(counter("ioctl_ops") - ioctl0, total.ioctls);
    EXPECT_EQ(counter("sysfs_ops") - sysfs0, total.sysfs);
    EXPECT_EQ(counter("proc_ops") - proc0, total.proc);
    EXPECT_EQ(counter("opens"), 2u) << "only the fixture's two descriptors are left open";

    const Sum after = get_sum(ro.get());
    EXPECT_EQ(after.sum, before.sum + total.added_sum);
    EXPECT_EQ(after.count, before.count + total.added_count);
    EXPECT_EQ(after.generation, before.generation + total.changes);
    EXPECT_GT(total.added_count, 0u);
    EXPECT_GT(msg_sets, 0u);

    // the last message is whole and the same everywhere
    const std::string msg = get_msg(ro.get());
    EXPECT_TRUE(frame_ok(msg)) << msg.substr(0, 60);
    for (const auto& d : compare_views({msg, after.sum, after.count, after.generation}))
        ADD_FAILURE() << d;

    Sum other_after = get_sum(other.get());
    EXPECT_EQ(other_after.sum, other_before.sum);
    EXPECT_EQ(other_after.count, other_before.count);
    EXPECT_EQ(other_after.generation, other_before.generation);
    EXPECT_EQ(get_msg(other.get()), other_msg);

    auto problems = expect_clean_kernel_log(kmsg, "the stress test");

    Figures f("stress");
    f.add("seconds", std::to_string(seconds));
    f.add("processes", children.size());
    f.add("ops", total.ops);
    f.add("ioctl_ops", total.ioctls);
    f.add("sysfs_ops", total.sysfs);
    f.add("proc_ops", total.proc);
    f.add("add_ops", added_ops);
    f.add("values", total.added_count);
    f.add("msg_sets", msg_sets);
    f.add("reads_checked", total.checked);
    f.add("sysfs_efbig", total.efbig);
    f.add("poll_wakeups", total.wakeups);
    f.add("torn", total.torn);
    f.add("violations", total.violations);
    f.add("errors", total.errors);
    f.add("reports", problems.size());
    f.print();
}

}  // namespace
}  // namespace kt
