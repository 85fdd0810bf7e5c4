// Fuzzing: random ioctls, mmaps and text writes, from a fixed seed, each
// checked against a model of the device.
//
// Every call's outcome is predicted from the documented ABI (docs/IOCTL.md,
// docs/PROC.md, the sysfs ABI document): the set of errnos it may return and,
// on success, the exact change of state. Arguments come from an arena of
// read-write pages followed by a PROT_NONE guard page, a read-only page and
// another guard, so the model knows which bytes the kernel can read or write;
// pointers are also NULL, small integers, kernel and non-canonical addresses.
// After each call the state (GET_SUM, and the message when it may have
// changed) must equal the model; at the end every transport must agree.
//
// Each test runs twice: Seeds/Fuzz.X/Fixed from the fixed seed with the
// default msg_max (the regression case: what once passed must still pass),
// and Seeds/Fuzz.X/Fresh from a fresh seed, KDEMO_FUZZ_SEED if set, else a
// random one, with the module reloaded with msg_max KDEMO_FUZZ_MSG_MAX if set,
// else 1, 4095 or 1048576 as the seed picks. Both are printed with the exact
// command that replays the run; a finding names its iteration.
// KDEMO_STRESS_SECONDS bounds the time of each run and, proportionally, its
// iterations; the fresh runs use KDEMO_FUZZ_SECONDS instead if it is set, and
// KDEMO_FUZZ_ITERATIONS, if set, as the ioctl run's iteration cap and half of
// it as the text run's (the two fuzzers' rates; the time bound stays, so
// tests/run-all sets a generous one and the caps decide how much is done).
// In the fresh ioctl run,
// KDEMO_FUZZ_COMPANIONS (default 2) more processes fuzz the same device at
// the same time through their own read-only descriptors: read commands,
// refused mutations, unknown commands and mappings, whose outcomes do not
// depend on the state the main fuzzer changes meanwhile (and the generation
// they see never goes back), so the main fuzzer's model stays exact.
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "common/hardening.hpp"
#include "common/kdemo.hpp"
#include "hardening/fuzz_fixture.hpp"

namespace kt {
namespace {

constexpr size_t kPage = 4096;
constexpr size_t kArenaPages = 20;  // read-write
constexpr size_t kArena = kArenaPages * kPage;

// The memory the fuzzer passes to the kernel:
// [kArena bytes read-write][guard][read-only page][guard]
class Arena {
  public:
    Arena() {
        void* p = ::mmap(nullptr, kArena + 3 * kPage, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            throw std::system_error(errno, std::generic_category(), "mmap arena");
        base_ = static_cast<unsigned char*>(p);
        ::mprotect(base_ + kArena, kPage, PROT_NONE);
        ::mprotect(ro(), kPage, PROT_READ);
        ::mprotect(ro() + kPage, kPage, PROT_NONE);
    }
    ~Arena() { ::munmap(base_, kArena + 3 * kPage); }
    Arena(const Arena&) = delete;
    Arena& operator=(const Arena&) = delete;

    uint64_t rw_begin() const { return reinterpret_cast<uintptr_t>(base_); }
    uint64_t rw_end() const { return rw_begin() + kArena; }
    uint64_t guard() const { return rw_end(); }
    unsigned char* ro() const { return base_ + kArena + kPage; }
    uint64_t ro_begin() const { return reinterpret_cast<uintptr_t>(ro()); }
    uint64_t ro_end() const { return ro_begin() + kPage; }

    static bool within(uint64_t p, uint64_t n, uint64_t begin, uint64_t end) {
        return p >= begin && p <= end && n <= end - p;
    }
    // Whether the kernel can read / write all of [p, p + n).
    bool readable(uint64_t p, uint64_t n) const {
        return n == 0 || within(p, n, rw_begin(), rw_end()) || within(p, n, ro_begin(), ro_end());
    }
    bool writable(uint64_t p, uint64_t n) const {
        return n == 0 || within(p, n, rw_begin(), rw_end());
    }
    // Store @n bytes at @p as far as they land in the arena (the read-only
    // page included: it is made writable for the moment).
    void place(uint64_t p, const void* data, size_t n) {
        auto* src = static_cast<const unsigned char*>(data);
        bool ro_touched = false;
        for (size_t i = 0; i < n; i++) {
            uint64_t a = p + i;
            if (a < p)
                break;  // wrapped
            if (within(a, 1, rw_begin(), rw_end())) {
                *reinterpret_cast<unsigned char*>(a) = src[i];
            } else if (within(a, 1, ro_begin(), ro_end())) {
                if (!ro_touched) {
                    ::mprotect(ro(), kPage, PROT_READ | PROT_WRITE);
                    ro_touched = true;
                }
                *reinterpret_cast<unsigned char*>(a) = src[i];
            }
        }
        if (ro_touched)
            ::mprotect(ro(), kPage, PROT_READ);
    }
    // Copy out [p, p + n); only call when readable().
    std::string bytes(uint64_t p, size_t n) const {
        return n ? std::string(reinterpret_cast<const char*>(p), n) : std::string();
    }
    template <typename T>
    T load(uint64_t p) const {
        T v;
        std::memcpy(&v, reinterpret_cast<const void*>(p), sizeof(v));
        return v;
    }

  private:
    unsigned char* base_ = nullptr;
};

enum class Ptr { Null, Small, Kernel, NonCanonical, Arena, Straddle, Guard, ReadOnly, Count };
const char* const kPtrNames[] = {"null",  "small",    "kernel", "noncanonical",
                                 "arena", "straddle", "guard",  "readonly"};

class Fuzzer {
  public:
    explicit Fuzzer(uint64_t seed) : rng(seed) {}

    uint64_t u64() { return rng(); }
    uint64_t below(uint64_t n) { return n ? rng() % n : 0; }
    bool chance(unsigned percent) { return below(100) < percent; }

    // A pointer of a random kind for an object of @need bytes.
    uint64_t pointer(size_t need, Ptr* kind_out = nullptr) {
        Ptr kind = static_cast<Ptr>(below(static_cast<uint64_t>(Ptr::Count)));
        // valid pointers half of the time, so that calls get past the copy-in
        if (chance(50))
            kind = chance(85) ? Ptr::Arena : Ptr::ReadOnly;
        if (kind_out)
            *kind_out = kind;
        switch (kind) {
            case Ptr::Null:
                return 0;
            case Ptr::Small:
                return 1 + below(kPage - 1);
            case Ptr::Kernel: {
                static const uint64_t bases[] = {0xffff888000000000ULL, 0xffffffff81000000ULL,
                                                 0xffffc90000000000ULL, 0xffffffffff600000ULL,
                                                 0xfffffffffffff000ULL};
                return bases[below(5)] + below(kPage);
            }
            case Ptr::NonCanonical:
                return (chance(50) ? 0x0000800000000000ULL : 0x8000000000000000ULL) +
                       below(1 << 20);
            case Ptr::Arena: {
                uint64_t room = need < kArena ? kArena - need : 0;
                uint64_t off = below(room + 1);
                if (chance(50))
                    off &= ~uint64_t{7};
                return arena.rw_begin() + off;
            }
            case Ptr::Straddle:  // starts in the arena, ends in the guard page
                return arena.guard() - 1 -
                       below(std::min<size_t>(std::max<size_t>(need, 2), kArena) - 1);
            case Ptr::Guard:
                return arena.guard() + below(kPage);
            case Ptr::ReadOnly: {
                uint64_t room = need < kPage ? kPage - need : 0;
                return arena.ro_begin() + below(room + 1);
            }
            default:
                return 0;
        }
    }

    // A value for ADD: mostly small, sometimes at the edges of 64 bits.
    int64_t value() {
        switch (below(8)) {
            case 0:
                return INT64_MAX - static_cast<int64_t>(below(3));
            case 1:
                return INT64_MIN + static_cast<int64_t>(below(3));
            case 2:
                return static_cast<int64_t>(u64());
            default:
                return static_cast<int64_t>(below(2001)) - 1000;
        }
    }
    // A field that must be zero: zero most of the time.
    template <typename T>
    T must_be_zero() {
        if (chance(80))
            return 0;
        return chance(50) ? T{1} << below(sizeof(T) * 8) : static_cast<T>(u64());
    }
    uint32_t length(uint32_t limit) {
        switch (below(8)) {
            case 0:
                return 0;
            case 1:
                return limit - 1 + static_cast<uint32_t>(below(3));  // limit-1 .. limit+1
            case 2:
                return static_cast<uint32_t>(u64());
            case 3:
                return static_cast<uint32_t>(below(65536));
            default:
                return static_cast<uint32_t>(1 + below(64));
        }
    }

    std::mt19937_64 rng;
    Arena arena;
};

// --- ioctl -------------------------------------------------------------------

// --- companions -------------------------------------------------------------

// What a companion fuzzer did, sent through a pipe.
struct CompanionReport {
    uint64_t ops = 0;
    uint64_t findings = 0;
    char first[240] = {};
};

// A companion: fuzzes the node through its own O_RDONLY descriptor until
// @stop_fd becomes readable, checking each outcome against a prediction that
// holds whatever the main fuzzer does to the state at the same time.
void companion(uint64_t seed, int stop_fd, int report_fd) {
    Fuzzer fz(seed);
    Arena& A = fz.arena;
    CompanionReport r;
    auto bad = [&](const std::string& what) {
        if (!r.findings++)
            std::snprintf(r.first, sizeof(r.first), "companion, op %" PRIu64 ": %s", r.ops,
                          what.c_str());
    };
    const int fd = ::open(node_path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        bad(std::string("open: ") + std::strerror(errno));
    uint64_t last_gen = 0;
    auto saw = [&](uint64_t gen, const char* where) {
        if (gen < last_gen)
            bad(std::string(where) + ": generation " + std::to_string(gen) + " after " +
                std::to_string(last_gen));
        last_gen = std::max(last_gen, gen);
    };
    while (fd >= 0) {
        if (r.ops % 32 == 0) {
            pollfd p{stop_fd, POLLIN, 0};
            if (::poll(&p, 1, 0) > 0)
                break;
        }
        r.ops++;
        switch (fz.below(6)) {
            case 0: {  // GET_SUM: succeeds exactly when the kernel can write the result
                const uint64_t arg = fz.pointer(sizeof(kdemo_sum));
                const int err = xioctl(fd, KDEMO_IOC_GET_SUM, static_cast<unsigned long>(arg));
                const int want = A.writable(arg, sizeof(kdemo_sum)) ? 0 : EFAULT;
                if (err != want)
                    bad("GET_SUM: got " + errs_str({err}) + ", expected " + errs_str({want}));
                else if (!err)
                    saw(A.load<kdemo_sum>(arg).generation, "GET_SUM");
                break;
            }
            case 1: {  // GET_MSG into a buffer of any length: the message may change size
                kdemo_msg m{};
                m.len = static_cast<uint32_t>(fz.chance(50) ? kArena / 2 : fz.below(kArena / 2));
                m.data = A.rw_begin() + kArena / 2;
                const uint64_t arg = A.rw_begin();
                A.place(arg, &m, sizeof(m));
                const int err = xioctl(fd, KDEMO_IOC_GET_MSG, static_cast<unsigned long>(arg));
                const kdemo_msg out = A.load<kdemo_msg>(arg);
                if (err != 0 && err != ERANGE)
                    bad("GET_MSG: got " + errs_str({err}) + ", expected {0,ERANGE}");
                else if (err == 0 ? out.len > m.len : out.len <= m.len)
                    bad("GET_MSG: " + errs_str({err}) + " with len " + std::to_string(out.len) +
                        " for a buffer of " + std::to_string(m.len));
                else if (!err)
                    saw(out.generation, "GET_MSG");
                break;
            }
            case 2: {  // GET_ABI
                const uint64_t arg = fz.pointer(4);
                const int err = xioctl(fd, KDEMO_IOC_GET_ABI, static_cast<unsigned long>(arg));
                const int want = A.writable(arg, 4) ? 0 : EFAULT;
                if (err != want || (!err && A.load<uint32_t>(arg) != KDEMO_ABI_VERSION))
                    bad("GET_ABI: got " + errs_str({err}));
                break;
            }
            case 3: {  // every mutation on a read-only descriptor: EBADF, whatever the argument
                static const unsigned long muts[] = {KDEMO_IOC_SET_MSG, KDEMO_IOC_ADD,
                                                     KDEMO_IOC_ADD_BATCH, KDEMO_IOC_RESET};
                const unsigned long cmd = muts[fz.below(4)];
                const int err = xioctl(fd, cmd, static_cast<unsigned long>(fz.pointer(64)));
                if (err != EBADF)
                    bad("mutation " + std::to_string(_IOC_NR(cmd)) + " on O_RDONLY: got " +
                        errs_str({err}) + ", expected EBADF");
                break;
            }
            case 4: {  // a number the driver does not know
                const unsigned cmd = _IOC(static_cast<unsigned>(fz.below(4)), KDEMO_IOC_MAGIC,
                                          8 + static_cast<unsigned>(fz.below(248)),
                                          static_cast<unsigned>(fz.below(1 << 14)));
                const int err = xioctl(fd, cmd, static_cast<unsigned long>(fz.pointer(256)));
                if (err != ENOTTY)
                    bad("unknown ioctl: got " + errs_str({err}) + ", expected ENOTTY");
                break;
            }
            default: {  // the snapshot page: mapped, read by its counter, unmapped
                void* p = ::mmap(nullptr, kPage, PROT_READ, MAP_SHARED, fd, 0);
                if (p == MAP_FAILED) {
                    bad(std::string("mmap: ") + std::strerror(errno));
                    break;
                }
                const kdemo_snapshot c = read_snapshot(static_cast<const kdemo_snapshot*>(p));
                if (c.abi_version != KDEMO_ABI_VERSION)
                    bad("snapshot abi " + std::to_string(c.abi_version));
                saw(c.generation, "the snapshot");
                ::munmap(p, kPage);
                break;
            }
        }
    }
    if (fd >= 0)
        ::close(fd);
    if (::write(report_fd, &r, sizeof(r)) != sizeof(r))
        ::_exit(1);
}

// The companions of one run: started by the constructor, stopped and their
// reports collected by finish().
class Companions {
  public:
    Companions(unsigned n, uint64_t seed) {
        int stop[2];
        if (n == 0 || ::pipe2(stop, O_CLOEXEC) != 0)
            return;
        stop_ = stop[1];
        for (unsigned k = 0; k < n; k++) {
            int rep[2];
            if (::pipe2(rep, O_CLOEXEC) != 0)
                break;
            const uint64_t s = seed + 0x9e3779b97f4a7c15ULL * (k + 1);
            pid_t pid = fork_child([&] {
                ::close(stop[1]);
                companion(s, stop[0], rep[1]);
            });
            ::close(rep[1]);
            children_.push_back({pid, rep[0]});
        }
        ::close(stop[0]);
    }
    ~Companions() { finish(); }
    // Stops them; the sum of their reports (a companion that sent none is a
    // finding).
    CompanionReport finish() {
        if (stop_ >= 0) {
            ::close(stop_);
            stop_ = -1;
        }
        for (auto& c : children_) {
            CompanionReport one;
            const ssize_t n = ::read(c.report, &one, sizeof(one));
            ::close(c.report);
            const int status = wait_child(c.pid, std::chrono::seconds(60));
            if (n != static_cast<ssize_t>(sizeof(one)) || status < 0 || !WIFEXITED(status) ||
                WEXITSTATUS(status) != 0) {
                one.findings++;
                std::snprintf(one.first, sizeof(one.first),
                              "a companion died or sent no report (status %d)", status);
            }
            total_.ops += one.ops;
            if (one.findings && !total_.findings)
                std::memcpy(total_.first, one.first, sizeof(one.first));
            total_.findings += one.findings;
        }
        children_.clear();
        return total_;
    }

  private:
    struct Child {
        pid_t pid;
        int report;
    };
    int stop_ = -1;
    std::vector<Child> children_;
    CompanionReport total_;
};

// Command types the VFS answers itself before the driver sees the call
// (FIOCLEX, FIONBIO, FIGETBSZ, FICLONE, FS_IOC_*, ...): never generated.
bool vfs_type(unsigned type) {
    return type == 0x00 || type == 0x12 || type == 0x15 || type == 'T' || type == 'X' ||
           type == 'f' || type == 0x94;
}

struct Known {
    unsigned cmd;
    const char* name;
    bool writes;  // needs a descriptor open for writing
};
const Known kKnown[] = {
    {KDEMO_IOC_GET_ABI, "GET_ABI", false},    {KDEMO_IOC_GET_INFO, "GET_INFO", false},
    {KDEMO_IOC_GET_MSG, "GET_MSG", false},    {KDEMO_IOC_SET_MSG, "SET_MSG", true},
    {KDEMO_IOC_GET_SUM, "GET_SUM", false},    {KDEMO_IOC_ADD, "ADD", true},
    {KDEMO_IOC_ADD_BATCH, "ADD_BATCH", true}, {KDEMO_IOC_RESET, "RESET", true},
};

const Known* lookup(unsigned cmd) {
    if (_IOC_TYPE(cmd) != KDEMO_IOC_MAGIC || _IOC_NR(cmd) >= std::size(kKnown))
        return nullptr;
    const Known& k = kKnown[_IOC_NR(cmd)];
    unsigned mask = ~0U;
    if (k.cmd == KDEMO_IOC_GET_INFO)  // its size bits are not checked
        mask = ~(static_cast<unsigned>(_IOC_SIZEMASK) << _IOC_SIZESHIFT);
    return (cmd & mask) == (k.cmd & mask) ? &k : nullptr;
}

// What a call may return and, if it succeeds, what it does.
struct Prediction {
    Errs errs;
    std::function<void()> apply;                   // the change of state on success
    std::function<std::string()> verify;           // checks the output on success; "" if fine
    std::function<std::string(int)> verify_error;  // checks the output of a failure
    bool message_may_change = false;
};

TEST_P(Fuzz, RandomIoctlsAndMmapsKeepTheStateValid) {
    Fuzzer fz(seed);
    KmsgWatch kmsg;
    Arena& A = fz.arena;
    const double seconds = run_seconds();
    Budget budget(seconds, iteration_cap(seconds, 20000));
    Fd sysfs_fd = open_file(sysfs_path("message"), O_RDWR);
    Fd self_mem = open_file("/proc/self/mem", O_RDWR);
    Fd proc_fd = open_file(proc_path("sum"), O_RDWR);
    struct Desc {
        int fd;
        const char* name;
        bool writable;
        bool readable;
    };
    const Desc descs[] = {{ro.get(), "O_RDONLY", false, true},
                          {rw.get(), "O_RDWR", true, true},
                          {wo.get(), "O_WRONLY", true, false}};
    uint64_t ioctls = 0, known_calls = 0, successes = 0, unknown_calls = 0, text_fd_calls = 0,
             mmaps = 0, maps_ok = 0, mem_writes = 0;
    std::map<std::string, uint64_t> per_command;
    const unsigned ncompanions =
        GetParam() == Seed::Fresh ? static_cast<unsigned>(env_u64("KDEMO_FUZZ_COMPANIONS", 2)) : 0;
    Companions companions(ncompanions, seed);

    while (budget.next()) {
        iteration = budget.iterations();
        const Desc& d = descs[fz.below(3)];
        unsigned action = static_cast<unsigned>(fz.below(100));

        if (action < 8) {
            // --- a random mmap of the node
            static const uint64_t lengths[] = {0, 1, 100, 4095, 4096, 4097, 8192, 65536};
            uint64_t len = fz.chance(80) ? lengths[fz.below(8)] : fz.below(1 << 20);
            uint64_t off = 0;
            switch (fz.below(6)) {
                case 0:
                    off = kPage * (1 + fz.below(16));
                    break;
                case 1:
                    off = 1 + fz.below(kPage - 1);
                    break;
                case 2:
                    off = (fz.u64() & 0x7fffffffffff000ULL);
                    break;
                default:
                    break;
            }
            int prot = static_cast<int>(fz.below(8));  // READ, WRITE, EXEC bits
            int flags = fz.chance(60)   ? MAP_SHARED
                        : fz.chance(50) ? MAP_PRIVATE
                                        : MAP_SHARED_VALIDATE;
            bool shared = flags != MAP_PRIVATE;
            Errs expect;
            if (len == 0 || off % kPage)
                expect = {EINVAL};
            else if (!d.readable)
                expect = {EACCES};
            else if (shared && (prot & PROT_WRITE) && !d.writable)
                expect = {EACCES};
            else if (off != 0)
                expect = {EINVAL, EOVERFLOW};
            else if (len > kPage)
                expect = {EINVAL};
            else if (prot & PROT_WRITE)
                expect = {EACCES};
            else if (prot & PROT_EXEC)
                expect = {EACCES, EPERM};  // the page is never executable (EPERM: noexec /dev)
            else
                expect = {0};
            mmaps++;
            void* p = ::mmap(nullptr, len, prot, flags, d.fd, static_cast<off_t>(off));
            int err = p == MAP_FAILED ? errno : 0;
            char what[160];
            std::snprintf(what, sizeof(what),
                          "mmap(len %" PRIu64 ", prot %d, %s, off %#" PRIx64 ") on %s", len, prot,
                          shared ? "shared" : "private", off, d.name);
            if (!expect.count(err))
                finding(std::string(what) + ": got " + errs_str({err}) + ", expected " +
                        errs_str(expect));
            if (!err) {
                maps_ok++;
                if (prot & PROT_READ) {
                    kdemo_snapshot c = read_snapshot(static_cast<const kdemo_snapshot*>(p));
                    if (c.sum != model.sum || c.count != model.count ||
                        c.generation != model.generation || c.msg_len != model.message.size() ||
                        c.abi_version != KDEMO_ABI_VERSION)
                        finding(std::string(what) + ": the snapshot differs from the model");
                }
                if (::mprotect(p, kPage, PROT_READ | PROT_WRITE) == 0 || errno != EACCES)
                    finding(std::string(what) + ": mprotect(PROT_WRITE) did not fail with EACCES");
                // nor can a forced write (what ptrace and /proc/PID/mem do) reach the page
                if (fz.chance(25)) {
                    uint64_t junk = fz.u64();
                    ssize_t w = ::pwrite(self_mem.get(), &junk, sizeof(junk),
                                         static_cast<off_t>(reinterpret_cast<uintptr_t>(p) + 8));
                    if (w >= 0)
                        finding(std::string(what) + ": /proc/self/mem wrote into the snapshot");
                    mem_writes++;
                    check_state(what, false);
                }
                ::munmap(p, len);
            }
            continue;
        }

        if (action < 12) {
            // --- a random ioctl on a sysfs or proc file: no ioctls there
            unsigned cmd;
            do {
                cmd = static_cast<unsigned>(fz.u64());
            } while (vfs_type(_IOC_TYPE(cmd)));
            int fd = fz.chance(50) ? sysfs_fd.get() : proc_fd.get();
            text_fd_calls++;
            int err = xioctl(fd, cmd, fz.pointer(64));
            if (err != ENOTTY) {
                char what[120];
                std::snprintf(what, sizeof(what), "ioctl %#x on a %s file: got %s, expected ENOTTY",
                              cmd, fd == sysfs_fd.get() ? "sysfs" : "proc",
                              errs_str({err}).c_str());
                finding(what);
            }
            continue;
        }

        // --- an ioctl on the node: a known command half of the time
        unsigned cmd;
        if (fz.chance(50)) {
            cmd = kKnown[fz.below(std::size(kKnown))].cmd;
            if (cmd == KDEMO_IOC_GET_INFO && fz.chance(30))  // any size bits
                cmd = _IOC(_IOC_READ | _IOC_WRITE, KDEMO_IOC_MAGIC, 0x01, fz.below(1 << 14));
        } else {
            unsigned dir = static_cast<unsigned>(fz.below(4));
            unsigned type;
            do {
                type = fz.chance(60) ? KDEMO_IOC_MAGIC : static_cast<unsigned>(fz.below(256));
            } while (vfs_type(type));
            unsigned nr = static_cast<unsigned>(fz.chance(50) ? fz.below(10) : fz.below(256));
            unsigned size = static_cast<unsigned>(fz.chance(30) ? fz.below(64) : fz.below(1 << 14));
            cmd = _IOC(dir, type, nr, size);
        }
        const Known* known = lookup(cmd);
        ioctls++;

        Prediction pr;
        Ptr kind = Ptr::Null;
        uint64_t arg = 0;
        std::string detail;
        if (!known) {
            unknown_calls++;
            arg = fz.chance(20) ? fz.u64() : fz.pointer(fz.below(256), &kind);
            pr.errs = {ENOTTY};
        } else {
            known_calls++;
            per_command[known->name]++;
            const unsigned nr = _IOC_NR(cmd);
            // the argument and what the kernel will find there
            size_t need = std::max<size_t>(_IOC_SIZE(cmd), 8);
            if (nr == 1)
                need = kPage;
            arg = fz.pointer(need, &kind);
            if (!d.writable && known->writes) {
                pr.errs = {EBADF};
            } else {
                switch (nr) {
                    case 0: {  // GET_ABI
                        pr.errs = {A.writable(arg, 4) ? 0 : EFAULT};
                        pr.verify = [&A, arg] {
                            return A.load<uint32_t>(arg) == KDEMO_ABI_VERSION ? "" : "wrong ABI";
                        };
                        break;
                    }
                    case 1: {  // GET_INFO
                        static const uint32_t sizes[] = {184, 183, 0, 185, 192, 4096, 4097, 1000};
                        uint32_t size =
                            fz.chance(80) ? sizes[fz.below(8)] : static_cast<uint32_t>(fz.u64());
                        A.place(arg, &size, 4);
                        detail = "size " + std::to_string(size);
                        if (!A.readable(arg, 4))
                            pr.errs = {EFAULT};
                        else if (size < KDEMO_INFO_SIZE_VER0 || size > kPage)
                            pr.errs = {EINVAL};
                        else if (!A.writable(arg, size))
                            pr.errs = {EFAULT};
                        else
                            pr.errs = {0};
                        pr.verify = [this, &A, arg, size] {
                            // Only the bytes the kernel filled: a size below sizeof(kdemo_info)
                            // (184..199, the first version's callers) may end at a guard page.
                            const uint32_t filled = std::min<uint32_t>(size, sizeof(kdemo_info));
                            kdemo_info i{};
                            for (uint32_t b = 0; b < filled; b++)
                                reinterpret_cast<unsigned char*>(&i)[b] =
                                    A.load<unsigned char>(arg + b);
                            if (i.size != filled)
                                return std::string("size written back ") + std::to_string(i.size);
                            if (i.sum != model.sum || i.count != model.count ||
                                i.generation != model.generation ||
                                i.msg_len != model.message.size() || i.msg_max != msg_max ||
                                std::string(i.driver) != "kdemo")
                                return std::string("info differs from the model");
                            for (uint32_t b = filled; b < size; b++)
                                if (A.load<unsigned char>(arg + b))
                                    return "byte " + std::to_string(b) +
                                           " beyond the struct not zeroed";
                            return std::string();
                        };
                        break;
                    }
                    case 2: {  // GET_MSG
                        kdemo_msg m{};
                        m.len = fz.chance(50) ? static_cast<uint32_t>(model.message.size()) -
                                                    static_cast<uint32_t>(fz.below(2)) +
                                                    static_cast<uint32_t>(fz.below(2))
                                              : fz.length(msg_max);
                        Ptr dk;
                        m.data = fz.pointer(m.len, &dk);
                        m.flags = fz.must_be_zero<uint32_t>();
                        m.reserved = fz.must_be_zero<uint64_t>();
                        m.generation = fz.u64();  // output only: ignored
                        A.place(arg, &m, sizeof(m));
                        detail = "data " + std::string(kPtrNames[static_cast<int>(dk)]) + " len " +
                                 std::to_string(m.len) + " flags " + std::to_string(m.flags) +
                                 " reserved " + std::to_string(m.reserved);
                        const size_t L = model.message.size();
                        if (!A.readable(arg, sizeof(m)))
                            pr.errs = {EFAULT};
                        else if (m.flags || m.reserved)
                            pr.errs = {EINVAL};
                        else if (L > m.len)
                            pr.errs = {A.writable(arg, sizeof(m)) ? ERANGE : EFAULT};
                        else if (!A.writable(m.data, L) || !A.writable(arg, sizeof(m)))
                            pr.errs = {EFAULT};
                        else
                            pr.errs = {0};
                        const bool overlap = m.data < arg + sizeof(m) && arg < m.data + L;
                        pr.verify_error = [&A, arg, L](int err) {
                            if (err != ERANGE)
                                return std::string();
                            uint32_t len = A.load<kdemo_msg>(arg).len;
                            return len == L ? std::string()
                                            : "ERANGE reported len " + std::to_string(len) +
                                                  ", the message has " + std::to_string(L);
                        };
                        pr.verify = [this, &A, arg, m, L, overlap] {
                            kdemo_msg out = A.load<kdemo_msg>(arg);
                            if (out.len != L || out.generation != model.generation)
                                return std::string("GET_MSG reported len ") +
                                       std::to_string(out.len) + " generation " +
                                       std::to_string(out.generation);
                            if (!overlap && A.bytes(m.data, L) != model.message)
                                return std::string("GET_MSG copied other bytes");
                            return std::string();
                        };
                        break;
                    }
                    case 3: {  // SET_MSG
                        kdemo_msg m{};
                        m.len = fz.length(msg_max);
                        Ptr dk;
                        m.data = fz.pointer(m.len, &dk);
                        if (dk == Ptr::Arena || dk == Ptr::ReadOnly || dk == Ptr::Straddle) {
                            // longer than msg_max is EMSGSIZE whatever the bytes; no
                            // more than the arena, its guards and the read-only page
                            // can hold (place() drops the rest)
                            std::string bytes(
                                std::min<size_t>({m.len, msg_max + 1, kArena + 3 * kPage}), '\0');
                            for (auto& c : bytes)
                                c = static_cast<char>(fz.u64());
                            A.place(m.data, bytes.data(), bytes.size());
                        }
                        m.flags = fz.must_be_zero<uint32_t>();
                        m.generation = fz.must_be_zero<uint64_t>();
                        m.reserved = fz.must_be_zero<uint64_t>();
                        A.place(arg, &m, sizeof(m));
                        detail = "data " + std::string(kPtrNames[static_cast<int>(dk)]) + " len " +
                                 std::to_string(m.len) + " flags " + std::to_string(m.flags) +
                                 " generation " + std::to_string(m.generation) + " reserved " +
                                 std::to_string(m.reserved);
                        if (!A.readable(arg, sizeof(m)))
                            pr.errs = {EFAULT};
                        else if (m.flags || m.generation || m.reserved)
                            pr.errs = {EINVAL};
                        else if (m.len > msg_max)
                            pr.errs = {EMSGSIZE};
                        else if (!A.readable(m.data, m.len))
                            pr.errs = {EFAULT};
                        else
                            pr.errs = {0};
                        if (pr.errs.count(0)) {
                            std::string bytes = A.bytes(m.data, m.len);
                            pr.apply = [this, bytes] {
                                model.message = bytes;
                                model.changed();
                            };
                            pr.message_may_change = true;
                        }
                        break;
                    }
                    case 4:  // GET_SUM
                        pr.errs = {A.writable(arg, sizeof(kdemo_sum)) ? 0 : EFAULT};
                        pr.verify = [this, &A, arg] {
                            kdemo_sum s = A.load<kdemo_sum>(arg);
                            return s.sum == model.sum && s.count == model.count &&
                                           s.generation == model.generation
                                       ? ""
                                       : "GET_SUM differs from the model";
                        };
                        break;
                    case 5: {  // ADD
                        int64_t v = fz.value();
                        A.place(arg, &v, sizeof(v));
                        int64_t sum = 0;
                        if (!A.readable(arg, sizeof(v)))
                            pr.errs = {EFAULT};
                        else if (__builtin_add_overflow(model.sum, A.load<int64_t>(arg), &sum))
                            pr.errs = {ERANGE};
                        else
                            pr.errs = {0};
                        if (pr.errs.count(0))
                            pr.apply = [this, sum] {
                                model.sum = sum;
                                model.count++;
                                model.changed();
                            };
                        detail = "value " + std::to_string(v);
                        break;
                    }
                    case 6: {  // ADD_BATCH
                        kdemo_batch b{};
                        static const uint32_t counts[] = {0, 1, 2, 64, 4095, 4096, 4097};
                        b.count = fz.chance(50)   ? counts[fz.below(7)]
                                  : fz.chance(80) ? static_cast<uint32_t>(1 + fz.below(300))
                                                  : static_cast<uint32_t>(fz.u64());
                        Ptr vk;
                        size_t bytes = std::min<uint64_t>(uint64_t{b.count} * 8, kArena);
                        b.values = fz.pointer(bytes, &vk);
                        if (vk == Ptr::Arena || vk == Ptr::ReadOnly || vk == Ptr::Straddle) {
                            std::vector<int64_t> values(bytes / 8);
                            bool extreme = fz.chance(10);
                            for (auto& v : values)
                                v = extreme ? fz.value()
                                            : static_cast<int64_t>(fz.below(2001)) - 1000;
                            A.place(b.values, values.data(), bytes);
                        }
                        b.flags = fz.must_be_zero<uint32_t>();
                        b.reserved[0] = fz.must_be_zero<uint64_t>();
                        b.reserved[1] = fz.must_be_zero<uint64_t>();
                        A.place(arg, &b, sizeof(b));
                        detail = "values " + std::string(kPtrNames[static_cast<int>(vk)]) +
                                 " count " + std::to_string(b.count) + " flags " +
                                 std::to_string(b.flags) + " reserved " +
                                 std::to_string(b.reserved[0]) + "," +
                                 std::to_string(b.reserved[1]);
                        if (!A.readable(arg, sizeof(b))) {
                            pr.errs = {EFAULT};
                            break;
                        }
                        if (b.flags || b.reserved[0] || b.reserved[1] || !b.count) {
                            pr.errs = {EINVAL};
                            break;
                        }
                        if (b.count > KDEMO_BATCH_MAX) {
                            pr.errs = {E2BIG};
                            break;
                        }
                        // the values the kernel can read, in order, until one faults
                        int64_t sum = model.sum;
                        bool overflow = false;
                        bool readable = A.readable(b.values, uint64_t{b.count} * 8);
                        for (uint32_t i = 0; i < b.count && !overflow; i++) {
                            if (!A.readable(b.values + 8ull * i, 8))
                                break;
                            overflow = __builtin_add_overflow(
                                sum, A.load<int64_t>(b.values + 8ull * i), &sum);
                        }
                        if (!readable)
                            pr.errs = overflow ? Errs{EFAULT, ERANGE} : Errs{EFAULT};
                        else if (overflow)
                            pr.errs = {ERANGE};
                        else
                            pr.errs = {0};
                        const uint32_t n = b.count;
                        if (pr.errs.count(0))
                            pr.apply = [this, sum, n] {
                                model.sum = sum;
                                model.count += n;
                                model.changed();
                            };
                        break;
                    }
                    case 7:              // RESET
                        arg = fz.u64();  // ignored
                        pr.errs = {0};
                        pr.apply = [this] {
                            model.sum = 0;
                            model.count = 0;
                            model.changed();
                        };
                        break;
                }
            }
        }

        int err = xioctl(d.fd, cmd, static_cast<unsigned long>(arg));
        if (!err)
            successes++;
        char head[200];
        std::snprintf(head, sizeof(head), "ioctl(%s, %#x %s, %s %#" PRIx64 "%s%s)", d.name, cmd,
                      known ? known->name : "unknown", kPtrNames[static_cast<int>(kind)], arg,
                      detail.empty() ? "" : ", ", detail.c_str());
        if (!pr.errs.count(err)) {
            finding(std::string(head) + ": got " + errs_str({err}) + ", expected " +
                    errs_str(pr.errs));
        } else if (err && pr.verify_error) {
            std::string bad = pr.verify_error(err);
            if (!bad.empty())
                finding(std::string(head) + ": " + bad);
        } else if (!err) {
            if (pr.verify) {
                std::string bad = pr.verify();
                if (!bad.empty())
                    finding(std::string(head) + ": " + bad);
            }
            if (pr.apply)
                pr.apply();
        }
        // whatever happened, the state is the model's
        check_state(head, pr.message_may_change || (err && known && known->writes) ||
                              budget.iterations() % 64 == 0);
    }

    const CompanionReport cr = companions.finish();
    EXPECT_EQ(cr.findings, 0u) << cr.first << "; replay: " << replay;
    check_views("at the end");
    report_findings();
    auto problems = expect_clean_kernel_log(kmsg, "the fuzzer");

    Figures f("fuzz-ioctl");
    f.add("seed", seed);
    f.add("msg_max", msg_max);
    f.add("iterations", budget.iterations());
    f.add("ioctls", ioctls);
    f.add("known", known_calls);
    f.add("unknown", unknown_calls);
    f.add("succeeded", successes);
    f.add("text_fd_ioctls", text_fd_calls);
    f.add("mmaps", mmaps);
    f.add("mmaps_ok", maps_ok);
    f.add("forced_writes", mem_writes);
    f.add("companions", ncompanions);
    f.add("companion_ops", cr.ops);
    for (const auto& [name, n] : per_command)
        f.add(name, n);
    f.add("unexpected", findings);
    f.add("reports", problems.size());
    f.print();
}

// --- text files -----------------------------------------------------------

// The text conventions, from the documents: numbers are decimal signed
// 64-bit with an optional sign, separated by space, tab or newline.
struct TextAdd {
    Errs errs;  // empty: succeeds
    int64_t sum = 0;
    uint64_t n = 0;
};

TextAdd model_add(const std::string& text, int64_t current) {
    TextAdd r;
    bool bad = false, range = false;
    std::vector<int64_t> values;
    size_t i = 0;
    auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n'; };
    while (i < text.size()) {
        if (space(text[i])) {
            i++;
            continue;
        }
        size_t start = i;
        while (i < text.size() && !space(text[i]))
            i++;
        std::string tok = text.substr(start, i - start);
        size_t d = (tok[0] == '-' || tok[0] == '+') ? 1 : 0;
        if (d == tok.size() || tok.find_first_not_of("0123456789", d) != std::string::npos) {
            bad = true;
            continue;
        }
        errno = 0;
        char* end = nullptr;
        long long v = std::strtoll(tok.c_str(), &end, 10);
        if (errno == ERANGE)
            range = true;
        else
            values.push_back(v);
    }
    if (bad || (values.empty() && !range))
        r.errs.insert(EINVAL);
    if (range)
        r.errs.insert(ERANGE);
    if (values.size() + range > KDEMO_BATCH_MAX)
        r.errs.insert(E2BIG);
    if (!r.errs.empty())
        return r;
    int64_t sum = current;
    for (int64_t v : values)
        if (__builtin_add_overflow(sum, v, &sum)) {
            r.errs.insert(ERANGE);
            return r;
        }
    r.sum = sum;
    r.n = values.size();
    return r;
}

enum class Target { SysfsMessage, SysfsAdd, SysfsReset, ProcMessage, ProcSum, ProcReset, Count };
struct TargetInfo {
    const char* name;
    bool proc;
    std::string path;
};

class TextGen {
  public:
    explicit TextGen(Fuzzer& fz) : fz_(fz) {}

    std::string number() {
        static const char* const edges[] = {"9223372036854775807",
                                            "-9223372036854775808",
                                            "9223372036854775808",
                                            "-9223372036854775809",
                                            "+0",
                                            "-0",
                                            "00000000000000000000000000001",
                                            "18446744073709551616",
                                            "99999999999999999999"};
        switch (fz_.below(6)) {
            case 0:
                return edges[fz_.below(std::size(edges))];
            case 1:
                return std::to_string(static_cast<int64_t>(fz_.u64()));
            default: {
                std::string s = std::to_string(static_cast<int64_t>(fz_.below(2001)) - 1000);
                if (s[0] != '-' && fz_.chance(10))
                    s = "+" + s;
                return s;
            }
        }
    }
    std::string junk_token() {
        static const char* const junk[] = {"0x10", "1e3", "12d34", "1.5", "+",   "-",   "--1",
                                           "+-1",  "1-",  "٣",     "\r",  "\v",  "\f",  "1\r",
                                           "abc",  "0b1", "1_000", "(1)", "1,2", "\x7f"};
        if (fz_.chance(20)) {
            std::string s(1 + fz_.below(4), '\0');
            for (auto& c : s)
                c = static_cast<char>(fz_.u64());
            return s;
        }
        return junk[fz_.below(std::size(junk))];
    }
    std::string separator() {
        static const char* const seps[] = {" ", "\t", "\n", "  ", "\n\n", " \t\n"};
        return seps[fz_.below(std::size(seps))];
    }
    // A list of numbers, now and then with a bad token.
    std::string numbers(size_t max_tokens) {
        std::string s;
        if (fz_.chance(20))
            s += separator();
        size_t n = fz_.chance(5) ? max_tokens : 1 + fz_.below(std::min<size_t>(max_tokens, 40));
        bool junk = fz_.chance(25);
        for (size_t i = 0; i < n; i++) {
            if (i)
                s += separator();
            s += junk && fz_.chance(10) ? junk_token() : number();
        }
        if (fz_.chance(50))
            s += "\n";
        return s;
    }
    std::string random_bytes(size_t n) {
        std::string s(n, '\0');
        for (auto& c : s)
            c = static_cast<char>(fz_.u64());
        return s;
    }
    std::string printable(size_t n) {
        std::string s(n, '\0');
        for (auto& c : s)
            c = static_cast<char>(0x20 + fz_.below(95));
        return s;
    }
    std::string for_target(Target t, unsigned msg_max) {
        unsigned pick = static_cast<unsigned>(fz_.below(100));
        if (pick < 10)
            return "";
        if (pick < 25)
            return random_bytes(fz_.chance(80) ? fz_.below(64) : fz_.below(9000));
        if (pick < 32) {
            static const char* const resets[] = {"1",  "1\n", "0",  "11", "1\n\n", " 1",
                                                 "\n", "1 ",  "+1", "01", "1\0"};
            return resets[fz_.below(std::size(resets))];
        }
        switch (t) {
            case Target::SysfsMessage:
            case Target::ProcMessage: {
                static const size_t lens[] = {0, 1, 4093, 4094, 4095, 4096, 4097};
                size_t len = fz_.chance(30)   ? lens[fz_.below(std::size(lens))]
                             : fz_.chance(10) ? msg_max - 1 + fz_.below(3)
                                              : fz_.below(200);
                std::string s = fz_.chance(70) ? printable(len) : random_bytes(len);
                if (fz_.chance(40))
                    s += "\n";
                return s;
            }
            case Target::SysfsAdd:
                return numbers(fz_.chance(3) ? 2100 : 64);
            case Target::ProcSum:
                return numbers(fz_.chance(3) ? 4097 : 64);
            default:
                return fz_.chance(50) ? "1\n" : numbers(3);
        }
    }

  private:
    Fuzzer& fz_;
};

TEST_P(Fuzz, RandomWritesToEveryWritableTextFile) {
    Fuzzer fz(seed ^ 0x7465787400ULL);  // "text"
    TextGen gen(fz);
    KmsgWatch kmsg;
    const double seconds = run_seconds();
    Budget budget(seconds, iteration_cap(seconds, 10000));
    const TargetInfo targets[] = {
        {"sysfs message", false, sysfs_path("message")},
        {"sysfs add", false, sysfs_path("add")},
        {"sysfs reset", false, sysfs_path("reset")},
        {"proc message", true, proc_path("message")},
        {"proc sum", true, proc_path("sum")},
        {"proc reset", true, proc_path("reset")},
    };
    // descriptors kept open, and the file offset the model expects of each
    struct Kept {
        Fd fd;
        off_t pos = 0;
    };
    std::vector<Kept> kept;
    for (const auto& t : targets)
        kept.push_back({open_file(t.path, O_WRONLY), 0});
    // files that must refuse to open for an access their mode does not grant
    const std::vector<std::pair<std::string, int>> refused = {
        {sysfs_path("sum"), O_WRONLY},        {sysfs_path("count"), O_RDWR},
        {sysfs_path("generation"), O_WRONLY}, {sysfs_path("msg_max"), O_WRONLY},
        {sysfs_path("random"), O_WRONLY},     {sysfs_path("stats/opens"), O_WRONLY},
        {sysfs_path("add"), O_RDONLY},        {sysfs_path("reset"), O_RDWR},
        {proc_path("count"), O_WRONLY},       {proc_path("info"), O_RDWR},
        {proc_path("reset"), O_RDONLY},
    };
    uint64_t writes = 0, accepted = 0, bytes = 0, opens = 0;
    std::map<std::string, uint64_t> per_target;

    while (budget.next()) {
        iteration = budget.iterations();
        if (fz.chance(3)) {
            const auto& [path, flags] = refused[fz.below(refused.size())];
            int fd = try_open(path, flags);
            opens++;
            if (fd >= 0) {
                ::close(fd);
                finding("open(" + path + ", " + std::to_string(flags) + ") succeeded");
            } else if (fd != -EACCES) {
                finding("open(" + path + ", " + std::to_string(flags) + "): " + errs_str({-fd}) +
                        ", expected EACCES");
            }
            continue;
        }
        const size_t ti = fz.below(std::size(targets));
        const Target t = static_cast<Target>(ti);
        const TargetInfo& info = targets[ti];
        std::string text = gen.for_target(t, msg_max);
        if (info.proc && fz.chance(2))
            text = gen.numbers(4097) + std::string(fz.below(2) ? 140000 : 0, ' ');  // big writes

        // how: a kept descriptor (write(2) at its offset), pwrite at a random
        // offset, or open + write + close
        enum How { KeptWrite, RandomPwrite, Fresh };
        const How how = static_cast<How>(fz.below(3));
        off_t off = 0;
        if (how == KeptWrite)
            off = kept[ti].pos;
        else if (how == RandomPwrite)
            off = fz.chance(50)
                      ? 0
                      : static_cast<off_t>(fz.chance(50) ? fz.below(8) : fz.below(1 << 30));

        // the prediction
        Errs errs;  // empty: succeeds with the change below
        std::function<void()> apply;
        const size_t len = text.size();
        const size_t page = kPage;
        if (!info.proc && len == 0) {
            errs = {};  // sysfs returns 0 without reaching the driver
        } else if (off != 0 || len == 0) {
            errs = {EINVAL};  // every write carries a whole value, at offset 0
        } else if (!info.proc && len >= page) {
            errs = {E2BIG};
        } else {
            switch (t) {
                case Target::SysfsMessage:
                case Target::ProcMessage: {
                    std::string m = text;
                    if (!m.empty() && m.back() == '\n')
                        m.pop_back();
                    if (m.size() > msg_max)
                        errs = {EMSGSIZE};
                    else
                        apply = [this, m] {
                            model.message = m;
                            model.changed();
                        };
                    break;
                }
                case Target::SysfsAdd:
                case Target::ProcSum: {
                    if (info.proc && len > 128 * 1024) {
                        errs = {E2BIG};
                        break;
                    }
                    TextAdd a = model_add(text, model.sum);
                    errs = a.errs;
                    if (errs.empty())
                        apply = [this, a] {
                            model.sum = a.sum;
                            model.count += a.n;
                            model.changed();
                        };
                    break;
                }
                default: {  // reset: anything but "1" or "1\n" is EINVAL, however long
                    std::string v = text;
                    if (!v.empty() && v.back() == '\n')
                        v.pop_back();
                    if (v != "1")
                        errs = {EINVAL};
                    else
                        apply = [this] {
                            model.sum = 0;
                            model.count = 0;
                            model.changed();
                        };
                    break;
                }
            }
        }

        ssize_t n;
        int fd = -1;
        if (how == Fresh) {
            fd = ::open(info.path.c_str(), O_WRONLY | O_CLOEXEC);
            if (fd < 0) {
                finding("open " + info.path + ": " + errs_str({errno}));
                continue;
            }
            n = ::write(fd, text.data(), len);
        } else if (how == KeptWrite) {
            n = ::write(kept[ti].fd.get(), text.data(), len);
        } else {
            n = ::pwrite(kept[ti].fd.get(), text.data(), len, off);
        }
        int err = n < 0 ? errno : 0;
        if (fd >= 0)
            ::close(fd);
        writes++;
        per_target[info.name]++;
        bytes += len;

        char head[160];
        std::snprintf(head, sizeof(head), "%s(%s, %zu bytes, offset %lld) '%s'",
                      how == Fresh       ? "write"
                      : how == KeptWrite ? "write(kept)"
                                         : "pwrite",
                      info.name, len, static_cast<long long>(off), text.substr(0, 24).c_str());
        const bool expect_ok = errs.empty();
        if (expect_ok && err) {
            finding(std::string(head) + ": got " + errs_str({err}) + ", expected success");
        } else if (!expect_ok && !errs.count(err)) {
            finding(std::string(head) + ": got " + errs_str({err}) + ", expected " +
                    errs_str(errs));
        } else if (!err && n != static_cast<ssize_t>(len)) {
            finding(std::string(head) + ": short write of " + std::to_string(n));
        } else if (!err) {
            accepted++;
            if (apply)
                apply();
            // a write advances the offset of the descriptor it used
            if (how == KeptWrite)
                kept[ti].pos += static_cast<off_t>(len);
        }
        // a kept descriptor that has written must start again at 0
        if (kept[ti].pos != 0 && fz.chance(30)) {
            kept[ti].fd = open_file(info.path, O_WRONLY);
            kept[ti].pos = 0;
        }
        check_state(head, true);
    }

    check_views("at the end");
    report_findings();
    auto problems = expect_clean_kernel_log(kmsg, "the fuzzer");

    Figures f("fuzz-text");
    f.add("seed", seed);
    f.add("msg_max", msg_max);
    f.add("iterations", budget.iterations());
    f.add("writes", writes);
    f.add("accepted", accepted);
    f.add("bytes", bytes);
    f.add("refused_opens", opens);
    for (const auto& [name, n] : per_target) {
        std::string key = name;
        std::replace(key.begin(), key.end(), ' ', '_');
        f.add(key, n);
    }
    f.add("unexpected", findings);
    f.add("reports", problems.size());
    f.print();
}

INSTANTIATE_TEST_SUITE_P(Seeds, Fuzz, ::testing::Values(Seed::Fixed, Seed::Fresh),
                         [](const ::testing::TestParamInfo<Seed>& p) {
                             return p.param == Seed::Fixed ? "Fixed" : "Fresh";
                         });

}  // namespace
}  // namespace kt
