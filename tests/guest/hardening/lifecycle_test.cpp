// Lifecycle: the module loaded and unloaded again and again, with varying
// parameters, while other processes read its sysfs and proc files, while a
// process holds a node open (unload refused), and with a snapshot mapping
// alive (refused too). On the debug kernel also: kmemleak after the cycles,
// and every allocation of the load made to fail in turn (fault injection),
// each time with nothing left behind.
//
// KDEMO_LIFECYCLE_CYCLES (default 100) sets the number of cycles; the time is
// bounded too, by KDEMO_STRESS_SECONDS (x 24), but never below
// KDEMO_LIFECYCLE_MIN_CYCLES (default 20) cycles, which a run must reach; the
// figures say how many cycles ran. On the debug kernel (KDEMO_KERNEL_FLAVOUR)
// kmemleak and fault injection must exist, a delayed release must be seen,
// and a fault-injected load must fail: there a missing checker fails instead
// of skipping.
#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "common/fault_injection.hpp"
#include "common/hardening.hpp"
#include "common/kdemo.hpp"

namespace kt {
namespace {

bool exists(const std::string& path) {
    return ::access(path.c_str(), F_OK) == 0;
}

void udev_settle() {
    (void)run("udevadm settle --timeout=60 2>/dev/null");
}

// What a reader process saw, sent through a pipe.
struct ReaderReport {
    uint64_t reads = 0;     // successful reads before the unload
    uint64_t dead = 0;      // ENODEV (sysfs) / EIO (proc) reads
    uint64_t reopened = 0;  // files opened again during the cycle
    uint64_t writes = 0;    // successful writes before the unload
    uint64_t violations = 0;
    char problem[200] = {};
};

class Lifecycle : public ::testing::Test {
  protected:
    void SetUp() override {
        if (!kernel_broken().empty())
            GTEST_SKIP() << "the kernel oopsed earlier: " << kernel_broken();
        if (module_loaded()) {
            udev_settle();
            ASSERT_EQ(unload_module(), 0) << "kdemo must be unloadable before the test";
        }
    }
    void TearDown() override {
        if (!kernel_broken().empty())
            return;
        if (module_loaded())
            udev_settle();
        ensure_module();  // the defaults the other tests expect
    }
};

// The kdemo objects whose release the kernel announced as delayed
// (CONFIG_DEBUG_KOBJECT_RELEASE logs "kobject: 'NAME' (...): kobject_release,
// parent ... (delayed N)" and runs the release 1 to 4 s later).
// A kdemo object whose release the kernel announced as delayed: @name is
// "kdemo0", "kdemo1" (devices), "kdemo" (the class) or "(null)" (a cdev).
bool delayed_release_of(const KmsgRecord& r, const std::string& name) {
    return r.text.find("kobject_release") != std::string::npos &&
           r.text.find("(delayed") != std::string::npos &&
           r.text.find("'" + name + "'") != std::string::npos;
}

// First of the lifecycle tests, because its failure can wedge the kernel: the
// devices (struct device embedded in struct kdemo_dev, released by
// kdemo_dev_release) and the class (a static struct class) are released by
// module code. A kernel may run a kobject's release after its last put
// returns (CONFIG_DEBUG_KOBJECT_RELEASE does so on purpose, 1 to 4 s later, to
// find exactly this), so the module must not be freed until every release
// has run. On other kernels the releases run at once and this passes at once.
TEST(LifecycleRelease, ReleasesRunBeforeTheModuleIsGone) {
    if (module_loaded()) {
        udev_settle();
        ASSERT_EQ(unload_module(), 0);
    }
    ASSERT_EQ(load_module_raw("ndevs=2"), 0);
    udev_settle();
    KmsgWatch kmsg;
    ASSERT_EQ(unload_module_raw(), 0);
    // A cdev's delayed release puts its device, whose release is announced
    // and delayed in turn (1 to 4 s); the class goes after the devices. Wait
    // until both devices' releases were announced and 6 s have passed since
    // the last announcement (at most a minute), or until the kernel reports.
    std::vector<KmsgRecord> records = kmsg.records();
    auto last = std::chrono::steady_clock::now();
    const auto end = last + std::chrono::seconds(60);
    bool delayed = false, dev0 = false, dev1 = false;
    size_t seen = 0;
    for (;;) {
        for (; seen < records.size(); seen++) {
            const auto& r = records[seen];
            if (delayed_release_of(r, "kdemo0") || delayed_release_of(r, "kdemo1") ||
                delayed_release_of(r, "kdemo") || delayed_release_of(r, "(null)")) {
                delayed = true;
                last = std::chrono::steady_clock::now();
            }
            dev0 = dev0 || delayed_release_of(r, "kdemo0");
            dev1 = dev1 || delayed_release_of(r, "kdemo1");
        }
        const auto now = std::chrono::steady_clock::now();
        // the debug kernel delays every release: there, wait for the first
        if ((!delayed && !debug_kernel()) || !kernel_problems(records, false).empty() ||
            now >= end || (dev0 && dev1 && now - last >= std::chrono::seconds(6)))
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        auto more = kmsg.records();
        records.insert(records.end(), more.begin(), more.end());
    }
    auto problems = kernel_problems(records, false);
    for (const auto& p : problems)
        ADD_FAILURE() << "kernel log: " << p;
    if (!problems.empty()) {
        // the kernel is not to be trusted any more: nothing after this means anything
        set_kernel_broken("LifecycleRelease: a kdemo release ran after the module was freed");
        FAIL() << "a release of a kdemo device or class ran after kdemo.ko was freed (the kernel "
                  "delays kobject releases: CONFIG_DEBUG_KOBJECT_RELEASE). kdemo_dev_release() and "
                  "the static kdemo_class live in module memory: module exit must wait until they "
                  "have run (e.g. count live devices, wait for the count to drop to zero, and give "
                  "the class a class_release that completes a completion exit waits for), or the "
                  "objects must be released by core code (device_create()/class_create()).";
    }
    if (debug_kernel()) {
        // else the test proved nothing: CONFIG_DEBUG_KOBJECT_RELEASE is off
        EXPECT_TRUE(delayed) << "the debug kernel announced no delayed release of a kdemo "
                                "object within 60 s (CONFIG_DEBUG_KOBJECT_RELEASE)";
        EXPECT_TRUE(dev0 && dev1) << "the releases of kdemo0 and kdemo1 were not both seen";
    }
    Figures f("release");
    f.add("delayed_releases_seen", delayed ? "yes" : "no");
    f.print();
    ensure_module();
}

// A reader: keeps sysfs and proc files of the device open and reads them
// until told that the module is gone, then checks that every read fails
// (ENODEV, EIO) and never succeeds or crashes.
void reader_process(unsigned dev, bool writer, int ready_fd, int unloaded_fd, int report_fd) {
    ReaderReport r;
    auto problem = [&](const std::string& what) {
        r.violations++;
        if (!r.problem[0])
            std::snprintf(r.problem, sizeof(r.problem), "%s", what.c_str());
    };
    struct File {
        std::string path;
        bool sysfs;
        bool write;
        int fd;
    };
    std::vector<File> files;
    for (const char* a : {"message", "sum", "count", "generation", "random", "msg_max",
                          "stats/opens", "stats/proc_ops"})
        files.push_back({sysfs_path(a, dev), true, false, -1});
    for (const char* p : {"message", "sum", "count", "info"})
        files.push_back({proc_path(p, dev), false, false, -1});
    if (writer) {
        files.push_back({sysfs_path("add", dev), true, true, -1});
        files.push_back({proc_path("sum", dev), false, true, -1});
    }
    for (auto& f : files) {
        f.fd = ::open(f.path.c_str(), (f.write ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
        if (f.fd < 0)
            problem("open " + f.path + ": " + std::strerror(errno));
    }
    // one pass over every file; returns how many reads succeeded
    auto pass = [&](bool after_unload) {
        char buf[8192];
        for (auto& f : files) {
            if (f.fd < 0)
                continue;
            ssize_t n = f.write ? ::pwrite(f.fd, "1", 1, 0) : ::pread(f.fd, buf, sizeof(buf), 0);
            int err = n < 0 ? errno : 0;
            const int dead = f.sysfs ? ENODEV : EIO;
            if (!err) {
                if (after_unload)
                    problem(f.path + ": " + (f.write ? "write" : "read") +
                            " succeeded after the unload");
                else
                    f.write ? r.writes++ : r.reads++;
            } else if (err == dead) {
                r.dead++;
            } else if (err == EFBIG && !after_unload && f.sysfs && f.path.ends_with("/message")) {
                r.reads++;  // a message longer than a sysfs read can carry
            } else {
                problem(f.path + ": " + std::strerror(err));
            }
        }
    };
    pass(false);
    char one = 1;
    if (::write(ready_fd, &one, 1) != 1)
        problem("cannot tell the parent");
    std::mt19937 rng(dev * 7919 + (writer ? 1 : 0));
    for (;;) {
        pollfd p{unloaded_fd, POLLIN, 0};
        if (::poll(&p, 1, 0) > 0)
            break;
        pass(false);
        // now and then open a file again: during the unload, ENOENT is fine
        auto& f = files[rng() % files.size()];
        int fd = ::open(f.path.c_str(), (f.write ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
        if (fd >= 0) {
            ::close(f.fd);
            f.fd = fd;
            r.reopened++;
        } else if (errno != ENOENT && errno != ENODEV) {
            problem("open " + f.path + ": " + std::strerror(errno));
        }
    }
    // the module is gone: every descriptor is dead, and stays dead
    pass(true);
    pass(true);
    for (auto& f : files)
        if (f.fd >= 0)
            ::close(f.fd);
    for (const auto& f : files)
        if (exists(f.path))
            problem(f.path + " still exists");
    if (::write(report_fd, &r, sizeof(r)) != sizeof(r))
        ::_exit(1);
}

struct CycleStats {
    uint64_t cycles = 0;
    uint64_t devices = 0;
    uint64_t with_readers = 0;
    uint64_t reader_reads = 0;
    uint64_t reader_dead = 0;
    uint64_t node_held = 0;
    uint64_t mapped = 0;
    uint64_t refused = 0;  // unloads refused as they must be
    uint64_t ops = 0;
    std::chrono::steady_clock::duration load{}, unload{}, settle{};
};

uint64_t ms(std::chrono::steady_clock::duration d) {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

// Exercise device @dev of the loaded module: every transport, a few changes,
// exactly accounted for unless other processes may be writing (@shared).
void exercise(unsigned dev, unsigned msg_max, std::mt19937_64& rng, CycleStats& st,
              bool shared = false) {
    Fd fd = open_file(node_path(dev), O_RDWR);
    Sum s0 = get_sum(fd.get());
    size_t len = std::min<size_t>(msg_max, rng() % 4 == 0 ? msg_max : rng() % 300);
    std::string m = len >= kFrameHeader ? framed_message(rng, len) : std::string(len, 'm');
    ASSERT_EQ(set_msg(fd.get(), m), 0) << "dev " << dev << ", " << len << " bytes";
    ASSERT_EQ(set_msg(fd.get(), std::string(msg_max + 1, 'x')), EMSGSIZE);
    std::vector<int64_t> values = {1, 2, 3, -4};
    ASSERT_EQ(add_batch(fd.get(), values), 0);
    ASSERT_EQ(write_file(sysfs_path("add", dev), "5 6\n"), 0);
    ASSERT_EQ(write_file(proc_path("sum", dev), "-7\n"), 0);
    Sum s = get_sum(fd.get());
    EXPECT_EQ(get_msg(fd.get()), m);
    if (m.size() <= 4094) {
        EXPECT_EQ(read_value(sysfs_path("message", dev)), m);
    }
    if (!shared) {
        EXPECT_EQ(s.sum, s0.sum + 6);
        EXPECT_EQ(s.count, s0.count + 7);
        EXPECT_EQ(s.generation, s0.generation + 4);
        EXPECT_EQ(read_value(proc_path("sum", dev)), std::to_string(s.sum));
    }
    EXPECT_EQ(to_u64(read_value(sysfs_path("msg_max", dev))), msg_max);
    st.ops += 12;
}

TEST_F(Lifecycle, LoadUnloadCyclesUnderReadersHeldNodesAndMappings) {
    const uint64_t want = env_u64("KDEMO_LIFECYCLE_CYCLES", 100);
    // at least this many, however slow the kernel: 20 take 1 to 3 minutes on
    // the debug kernel (its unloads wait 1 to 4 s for delayed releases)
    const uint64_t min_cycles = std::min(want, env_u64("KDEMO_LIFECYCLE_MIN_CYCLES", 20));
    // 100 cycles take 45 to 70 s on the Debian kernels under TCG; the time
    // bound is for much slower kernels (the debug kernel)
    const double seconds = stress_seconds() * 24;
    Budget budget(seconds, want);
    std::mt19937_64 rng(env_u64("KDEMO_FUZZ_SEED", 0x6c696665));  // "life"
    KmsgWatch kmsg;
    CycleStats st;
    // udev runs two programs per device added: mostly few devices, the
    // maximum every 20th cycle and a random number every 10th
    static const unsigned ndevs_cycle[] = {1, 2, 3, 1, 4, 2, 8, 1, 5};
    static const unsigned msg_maxes[] = {1, 25, 4094, 4095, 4096, 65536, 1048576};

    for (uint64_t i = 0; i < want && (i < min_cycles || budget.next()); i++) {
        const unsigned ndevs = i % 20 == 2   ? 64
                               : i % 10 == 9 ? 1 + static_cast<unsigned>(rng() % 64)
                                             : ndevs_cycle[i % std::size(ndevs_cycle)];
        const unsigned msg_max = i % 7 == 6 ? 1 + static_cast<unsigned>(rng() % 1048576)
                                            : msg_maxes[i % std::size(msg_maxes)];
        const bool readers = i % 3 == 1;
        const bool hold_node = i % 4 == 2;
        const bool mapping = i % 10 == 5;
        const std::string params =
            "ndevs=" + std::to_string(ndevs) + " msg_max=" + std::to_string(msg_max);
        SCOPED_TRACE("cycle " + std::to_string(i) + ": " + params + (readers ? ", readers" : "") +
                     (hold_node ? ", node held" : "") + (mapping ? ", mapping" : ""));

        auto t0 = std::chrono::steady_clock::now();
        ASSERT_EQ(load_module_raw(params), 0);
        st.load += std::chrono::steady_clock::now() - t0;
        st.cycles++;
        st.devices += ndevs;
        // every device, and no more (the nodes are made synchronously by devtmpfs)
        const unsigned last = ndevs - 1;
        struct stat sb {};
        ASSERT_EQ(::stat(node_path(last).c_str(), &sb), 0) << node_path(last);
        EXPECT_TRUE(S_ISCHR(sb.st_mode));
        EXPECT_FALSE(exists(node_path(ndevs)));
        EXPECT_TRUE(exists(proc_path("info", last)));
        EXPECT_EQ(read_value(sysfs_path("msg_max", last)), std::to_string(msg_max));
        const unsigned dev = static_cast<unsigned>(rng() % ndevs);
        exercise(dev, msg_max, rng, st);
        if (HasFatalFailure())
            return;

        // reader processes on the sysfs and proc files of one device
        struct Reader {
            pid_t pid;
            int report;
        };
        std::vector<Reader> reader_procs;
        int unloaded[2] = {-1, -1};
        if (readers) {
            st.with_readers++;
            int ready[2];
            ASSERT_EQ(::pipe2(ready, O_CLOEXEC), 0);
            ASSERT_EQ(::pipe2(unloaded, O_CLOEXEC), 0);
            for (int k = 0; k < 3; k++) {
                int rep[2];
                ASSERT_EQ(::pipe2(rep, O_CLOEXEC), 0);
                const unsigned rdev = k == 0 ? dev : static_cast<unsigned>(rng() % ndevs);
                pid_t pid = fork_child([&] {
                    ::close(unloaded[1]);
                    reader_process(rdev, k == 2, ready[1], unloaded[0], rep[1]);
                });
                ASSERT_GT(pid, 0);
                ::close(rep[1]);
                reader_procs.push_back({pid, rep[0]});
            }
            ::close(ready[1]);
            char c;
            for (size_t k = 0; k < reader_procs.size(); k++)
                ASSERT_EQ(::read(ready[0], &c, 1), 1) << "a reader did not start";
            ::close(ready[0]);
            ::close(unloaded[0]);
        }

        // a process holding a node open: unload refused until it closes it
        pid_t holder = -1;
        int release[2] = {-1, -1};
        if (hold_node) {
            st.node_held++;
            int ready[2];
            ASSERT_EQ(::pipe2(ready, O_CLOEXEC), 0);
            ASSERT_EQ(::pipe2(release, O_CLOEXEC), 0);
            const unsigned hdev = static_cast<unsigned>(rng() % ndevs);
            holder = fork_child([&] {
                ::close(release[1]);
                Fd fd = open_file(node_path(hdev), i % 2 ? O_RDWR : O_RDONLY);
                char c = 1;
                (void)!::write(ready[1], &c, 1);
                (void)!::read(release[0], &c, 1);  // until the parent closes its end
            });
            ::close(ready[1]);
            ::close(release[0]);
            char c;
            ASSERT_EQ(::read(ready[0], &c, 1), 1);
            ::close(ready[0]);
            EXPECT_EQ(unload_module_raw(), EWOULDBLOCK)
                << "unload with " << node_path(hdev) << " open must be refused";
            st.refused++;
            EXPECT_TRUE(module_loaded());
            EXPECT_EQ(read_value(sysfs_path("stats/opens", hdev)), "1");
            exercise(static_cast<unsigned>(rng() % ndevs), msg_max, rng, st, readers);
            ::close(release[1]);
            int status = wait_child(holder, std::chrono::seconds(60));
            EXPECT_TRUE(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0);
        }

        // a mapping of the snapshot outlives its descriptor and pins the module
        if (mapping) {
            st.mapped++;
            void* map;
            {
                Fd fd = open_file(node_path(dev), O_RDONLY);
                map = ::mmap(nullptr, 4096, PROT_READ, MAP_SHARED, fd.get(), 0);
                ASSERT_NE(map, MAP_FAILED);
            }
            EXPECT_EQ(unload_module_raw(), EWOULDBLOCK) << "unload with a mapping alive";
            st.refused++;
            EXPECT_TRUE(module_loaded());
            ASSERT_EQ(write_file(proc_path("sum", dev), "1"), 0);
            kdemo_snapshot c = read_snapshot(static_cast<const kdemo_snapshot*>(map));
            const uint64_t now = to_u64(read_value(sysfs_path("generation", dev)));
            if (readers)  // one of them writes: the page is older than the file
                EXPECT_LE(c.generation, now);
            else
                EXPECT_EQ(c.generation, now);
            EXPECT_EQ(c.abi_version, static_cast<uint32_t>(KDEMO_ABI_VERSION));
            ASSERT_EQ(::munmap(map, 4096), 0);
        }

        t0 = std::chrono::steady_clock::now();
        int err = unload_module_raw();
        st.unload += std::chrono::steady_clock::now() - t0;
        if (err == EWOULDBLOCK) {
            // nobody of ours holds the node: who does? (udev must not)
            std::string opens;
            for (unsigned d = 0; d < ndevs; d++)
                opens += " " + read_file(sysfs_path("stats/opens", d)).data;
            ADD_FAILURE() << "unload refused although no node is open; opens:" << opens;
            udev_settle();
            err = unload_module_raw();
        }
        ASSERT_EQ(err, 0);
        auto left = module_leftovers();
        EXPECT_TRUE(left.empty()) << "left behind: " << left.front();

        if (readers) {
            ::close(unloaded[1]);  // tells the readers the module is gone
            for (auto& r : reader_procs) {
                int status = wait_child(r.pid, std::chrono::seconds(120));
                ReaderReport rep{};
                ssize_t n = ::read(r.report, &rep, sizeof(rep));
                ::close(r.report);
                EXPECT_TRUE(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
                    << "reader status " << status;
                ASSERT_EQ(n, static_cast<ssize_t>(sizeof(rep))) << "reader sent no report";
                EXPECT_EQ(rep.violations, 0u) << rep.problem;
                EXPECT_GT(rep.reads, 0u);
                EXPECT_GT(rep.dead, 0u) << "reads after the unload must fail";
                st.reader_reads += rep.reads + rep.writes;
                st.reader_dead += rep.dead;
            }
        }
        if (HasFailure())
            break;  // one broken cycle says enough
    }
    // udev ran, and runs, two programs per device added, in parallel with
    // the cycles: wait for it once, at the end
    auto t0 = std::chrono::steady_clock::now();
    udev_settle();
    st.settle += std::chrono::steady_clock::now() - t0;

    auto problems = expect_clean_kernel_log(kmsg, "the lifecycle cycles");
    // fewer cycles than asked means the time ran out first (a slow kernel): the
    // figures say how many ran; fewer than the minimum is a failure
    EXPECT_GE(st.cycles, min_cycles) << "the lifecycle test must run at least " << min_cycles
                                     << " cycles (KDEMO_LIFECYCLE_MIN_CYCLES)";

    Figures f("lifecycle");
    f.add("cycles", st.cycles);
    f.add("cycles_asked", want);
    f.add("cycles_required", min_cycles);
    f.add("devices", st.devices);
    f.add("cycles_with_readers", st.with_readers);
    f.add("reader_ops", st.reader_reads);
    f.add("reader_dead_reads", st.reader_dead);
    f.add("cycles_node_held", st.node_held);
    f.add("cycles_mapped", st.mapped);
    f.add("unloads_refused", st.refused);
    f.add("device_ops", st.ops);
    f.add("load_ms", ms(st.load));
    f.add("unload_ms", ms(st.unload));
    f.add("udev_settle_ms", ms(st.settle));
    f.add("reports", problems.size());
    f.print();
}

// --- kmemleak ---------------------------------------------------------------

const char* const kKmemleak = "/sys/kernel/debug/kmemleak";

// The suspected leaks of a kmemleak report that concern kdemo: allocated by
// a kdemo function, or by a task of ours (their comm starts with "kdemo").
std::vector<std::string> kdemo_leaks(const std::string& report) {
    std::vector<std::string> leaks;
    size_t pos = 0;
    while ((pos = report.find("unreferenced object", pos)) != std::string::npos) {
        size_t next = report.find("unreferenced object", pos + 1);
        std::string entry = report.substr(pos, next == std::string::npos ? next : next - pos);
        if (entry.find("kdemo") != std::string::npos)
            leaks.push_back(entry);
        pos = next;
        if (next == std::string::npos)
            break;
    }
    return leaks;
}

TEST_F(Lifecycle, KmemleakFindsNothingOfKdemoAfterCycles) {
    KT_REQUIRE_CHECKER(exists(kKmemleak) ? std::string()
                                         : std::string(kKmemleak) +
                                               " is absent: this kernel has no kmemleak (the "
                                               "debug kernel has; tests/vm/suite -k debug)");
    // older suspects are not ours: find them, then mark them known
    ASSERT_EQ(write_control(kKmemleak, "scan"), 0) << "kmemleak is disabled?";
    ASSERT_EQ(write_control(kKmemleak, "clear"), 0);

    const uint64_t cycles = std::max<uint64_t>(env_u64("KDEMO_LIFECYCLE_CYCLES", 100) / 10, 1);
    std::mt19937_64 rng(0x6c65616b);  // "leak"
    CycleStats st;
    Budget budget(stress_seconds() * 6, cycles);
    while (budget.next()) {
        const unsigned ndevs = 1 + static_cast<unsigned>(rng() % 8);
        const unsigned msg_max = budget.iterations() % 2 ? 1048576 : 4095;
        ASSERT_EQ(load_module_raw("ndevs=" + std::to_string(ndevs) +
                                  " msg_max=" + std::to_string(msg_max)),
                  0);
        for (unsigned d = 0; d < ndevs; d++)
            exercise(d, msg_max, rng, st);
        {
            // a node, a mapping, a poll and the proc files, opened and closed
            Fd fd = open_file(node_path(0), O_RDWR);
            void* map = ::mmap(nullptr, 4096, PROT_READ, MAP_SHARED, fd.get(), 0);
            ASSERT_NE(map, MAP_FAILED);
            pollfd p{fd.get(), POLLIN, 0};
            (void)::poll(&p, 1, 0);
            ::munmap(map, 4096);
            (void)read_file(proc_path("info"), 1);
            (void)read_file(proc_path("message"), 3);
        }
        ASSERT_EQ(unload_module_raw(), 0);
        st.cycles++;
    }
    // and loaded once more, with a message in every device, as other tests leave it
    ASSERT_EQ(load_module_raw("ndevs=2"), 0);
    ASSERT_EQ(write_file(proc_path("message", 1), "kept"), 0);

    // kmemleak reports objects older than 5 s, and needs two scans to be sure
    std::this_thread::sleep_for(std::chrono::seconds(6));
    ASSERT_EQ(write_control(kKmemleak, "scan"), 0);
    ASSERT_EQ(write_control(kKmemleak, "scan"), 0);
    auto [err, report] = slurp(kKmemleak);
    ASSERT_EQ(err, 0);
    auto leaks = kdemo_leaks(report);
    for (const auto& l : leaks)
        ADD_FAILURE() << "kmemleak:\n" << l;
    ASSERT_EQ(unload_module_raw(), 0);

    Figures f("kmemleak");
    f.add("cycles", st.cycles);
    f.add("device_ops", st.ops);
    f.add("suspects_total", static_cast<uint64_t>(kdemo_leaks(report).size()));
    f.add("reports", leaks.size());
    f.print();
}

// --- fault injection ----------------------------------------------------------

TEST_F(Lifecycle, EveryAllocationOfTheLoadCanFailAndLeavesNothingBehind) {
    KT_REQUIRE_CHECKER(fault_injection_missing());
    AllocFailures failures;
    ASSERT_EQ(failures.error(), 0);
    FailNth nth;
    const std::string params = "ndevs=2";  // the second device's failure unwinds the first
    int kofd = ::open(module_file().c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(kofd, 0);
    bool injected = false;
    auto load = [&](uint64_t n, bool& hit) {
        EXPECT_TRUE(nth.arm(n));
        int err = finit(kofd, params);
        hit = nth.left() == 0;
        nth.disarm();
        return err;
    };

    // how many injection points a whole load passes
    const uint64_t one = count_load_points(nth, kofd, "ndevs=1");
    const uint64_t points = count_load_points(nth, kofd, params);
    ASSERT_GT(one, 0u) << "a load with ndevs=1 failed";
    ASSERT_GT(points, one) << "a second device must add injection points";
    // The module's init runs at the end of the load, and only a few points
    // follow it (their failure the load survives). A device more adds one
    // device's share of the init, so the init spans about the last
    // 2 * (points - one) + a few points: failing points from the last one down
    // tests the init first, the loader's own paths after.
    const uint64_t init_span = std::min(points, 2 * (points - one) + 64);
    std::printf("kdemo-failslab: a load with %s passes %" PRIu64
                " injection points, about the last %" PRIu64 " in kdemo's init\n",
                params.c_str(), points, init_span);

    // fail each of them, the init span first, spread over it (its last point,
    // its middle, its quarters, ...) so that a short time budget samples the
    // whole init, then the loader's points before it, as far as time allows;
    // past the time, on until a load failed (at most 32 points): a run where
    // no injected failure made a load fail proved nothing
    std::vector<uint64_t> order;
    for (uint64_t back : spread(init_span))
        order.push_back(points - back);
    for (uint64_t n = points - init_span; n >= 1; n--)
        order.push_back(n);
    KmsgWatch kmsg;
    Budget budget(stress_seconds() * 12, points);
    uint64_t tested = 0, failed_loads = 0, loaded_anyway = 0, not_reached = 0;
    std::map<int, uint64_t> errnos;
    std::vector<std::string> bad;
    for (uint64_t n : order) {
        if (!budget.next() && (failed_loads > 0 || tested >= 32))
            break;
        int err = load(n, injected);
        tested++;
        if (!injected)
            not_reached++;
        if (err == 0) {
            loaded_anyway++;  // the failure hit something the load survives
            int uerr = unload_module_raw();
            if (uerr) {
                bad.push_back("point " + std::to_string(n) +
                              ": loaded, but unload failed: " + std::strerror(uerr));
                break;
            }
        } else {
            failed_loads++;
            errnos[err]++;
            if (err != ENOMEM)
                bad.push_back("point " + std::to_string(n) + ": load failed with " +
                              strerrorname_np(err) + ", expected ENOMEM");
        }
        auto leftovers = module_leftovers();
        if (!leftovers.empty()) {
            bad.push_back("point " + std::to_string(n) + ": left behind " + leftovers.front());
            if (module_loaded())
                (void)unload_module_raw();
        }
        for (const auto& p : kernel_problems(kmsg.records(), false))
            bad.push_back("point " + std::to_string(n) + ": kernel log: " + p);
        if (bad.size() > 20)
            break;
    }
    ::close(kofd);
    for (const auto& b : bad)
        ADD_FAILURE() << b;
    EXPECT_GT(failed_loads, 0u) << "none of the " << tested
                                << " injected allocation failures made a load fail";
    if (oopsed(bad)) {
        set_kernel_broken("a failed load oopsed the kernel");
        return;
    }

    // and a normal load works afterwards
    ASSERT_EQ(load_module_raw("ndevs=2"), 0);
    Fd fd = open_file(node_path(1), O_RDWR);
    EXPECT_EQ(add(fd.get(), 1), 0);
    EXPECT_EQ(get_sum(fd.get()).sum, 1);
    fd.reset();
    udev_settle();
    ASSERT_EQ(unload_module_raw(), 0);

    Figures f("failslab");
    f.add("points", points);
    f.add("init_span", init_span);
    f.add("tested", tested);
    f.add("init_span_covered", tested >= init_span ? "yes" : "no");
    f.add("failed_loads", failed_loads);
    f.add("loaded_anyway", loaded_anyway);
    f.add("not_reached", not_reached);
    std::string e;
    for (const auto& [err, count] : errnos)
        e += (e.empty() ? "" : ",") + std::string(strerrorname_np(err)) + ":" +
             std::to_string(count);
    f.add("errnos", e.empty() ? "-" : e);
    f.add("reports", bad.size());
    f.print();
}

}  // namespace
}  // namespace kt
