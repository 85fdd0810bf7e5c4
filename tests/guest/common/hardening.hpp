// What the hardening tests (tests/guest/hardening) share: their time and
// iteration budgets, the figures they report, self-checking messages, raw
// module loading without waiting for udev, and the kernel log with levels.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kt {

// An unsigned number from the environment, or @fallback if unset or not a
// number.
uint64_t env_u64(const char* name, uint64_t fallback);

// KDEMO_STRESS_SECONDS (default 5): the wall time of one hardening test.
// Every test is bounded by time and by iterations, both proportional to it.
double stress_seconds();

// The fresh fuzz seed of this process: KDEMO_FUZZ_SEED, else random (the
// same for every test of the binary, so that one line replays them all).
uint64_t fuzz_fresh_seed();

// A wall-clock deadline and an iteration cap; whichever comes first ends the
// loop. The deadline is an absolute CLOCK_MONOTONIC time, so it means the
// same thing in forked children.
class Budget {
  public:
    Budget(double seconds, uint64_t max_iterations);
    // Counts one iteration; false once the time or the iterations are used up.
    bool next();
    uint64_t iterations() const { return done_; }
    bool expired() const { return std::chrono::steady_clock::now() >= deadline_; }
    std::chrono::steady_clock::time_point deadline() const { return deadline_; }

  private:
    std::chrono::steady_clock::time_point deadline_;
    uint64_t max_;
    uint64_t done_ = 0;
};

// The figures of one test: each becomes a GoogleTest property (in the JSON
// report) and all of them one line on stdout when print() is called:
// "kdemo-figures: NAME key=value ...".
class Figures {
  public:
    explicit Figures(std::string name) : name_(std::move(name)) {}
    void add(const std::string& key, uint64_t value);
    void add(const std::string& key, const std::string& value);
    void print() const;

  private:
    std::string name_;
    std::vector<std::pair<std::string, std::string>> items_;
};

// Self-checking messages: a printable header carrying the payload's length and
// FNV-1a 64 hash, then the payload (printable ASCII, never '\n'), so a torn or
// truncated read cannot pass for a message and text transports carry it
// unchanged. Format: "<LLLLLLL:HHHHHHHHHHHHHHHH>" + payload.
constexpr size_t kFrameHeader = 26;
// A message of exactly @len bytes (len >= kFrameHeader).
std::string framed_message(std::mt19937_64& rng, size_t len);
// True if @m is a whole framed message.
bool frame_ok(std::string_view m);
uint64_t fnv1a64(std::string_view data);

// Whether nothing of the module is left: /sys/module/kdemo, /sys/class/kdemo,
// /proc/kdemo, /dev/kdemo0 and the char major in /proc/devices. Returns the
// leftovers, empty if none.
std::vector<std::string> module_leftovers();

// One record of /dev/kmsg with its level (0 emerg .. 7 debug).
struct KmsgRecord {
    int level = 7;
    std::string text;
};

// The kernel log records printed after construction (like KernelLog, but
// with their levels).
class KmsgWatch {
  public:
    KmsgWatch();
    KmsgWatch(const KmsgWatch&) = delete;
    KmsgWatch& operator=(const KmsgWatch&) = delete;
    ~KmsgWatch();
    std::vector<KmsgRecord> records();

  private:
    int fd_ = -1;
};

// The records among @records that report a problem: any line with a kernel
// report marker (WARNING:, BUG:, Oops, KASAN, UBSAN, lockdep, kmemleak, ...)
// and, if @kdemo_warnings, a line at warning level or worse that mentions
// kdemo. A KCSAN report (the block between two lines of '=') counts only if
// one of its stacks has a kdemo frame.
std::vector<std::string> kernel_problems(const std::vector<KmsgRecord>& records,
                                         bool kdemo_warnings = true);

// A test that saw the kernel oops says so; the hardening tests after it then
// skip themselves (saying why): their results would mean nothing, and an
// unload could hang for good. Empty while the kernel is fine.
void set_kernel_broken(const std::string& why);
const std::string& kernel_broken();
// The problems of @problems that mean the kernel is broken (an oops, a BUG;
// not a KCSAN data-race report).
bool oopsed(const std::vector<std::string>& problems);
// A test's end: every problem in the log since @kmsg started fails the test;
// an oops among them also marks the kernel broken, saying @what oopsed it.
// Returns the problems (the figures count them).
std::vector<std::string> expect_clean_kernel_log(KmsgWatch& kmsg, const std::string& what);

// Runs @body in a forked child, which then _exit()s: 0 if @body returned,
// 100 if it threw. Returns the child's pid.
pid_t fork_child(const std::function<void()>& body);
// waitpid() for at most @timeout, then SIGKILL. Returns the wait status, or
// -1 if the child had to be killed.
int wait_child(pid_t pid, std::chrono::milliseconds timeout);

// Reads the state of device @dev through every transport (GET_MSG, GET_SUM,
// GET_INFO, sysfs message/sum/count/generation, proc message/sum/count/info,
// the mmap'ed snapshot) and returns every difference from the expected state,
// empty if none. A sysfs read of a message longer than 4094 bytes must fail
// with EFBIG.
struct Expected {
    std::string message;
    int64_t sum = 0;
    uint64_t count = 0;
    uint64_t generation = 0;
};
std::vector<std::string> compare_views(const Expected& want, int dev = 0);

// Reads a whole file (any size); errno in .first, data in .second.
std::pair<int, std::string> slurp(const std::string& path);
// open + write + close of a debugfs/procfs control file; 0 or errno.
int write_control(const std::string& path, std::string_view value);

}  // namespace kt
