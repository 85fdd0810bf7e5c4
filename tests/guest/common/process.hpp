// Child processes for the guest tests: programs run with their stdout, stderr
// and exit status kept apart, code run as another user of the guest, and
// waiting without sleeping for a fixed time.
//
// The guest's users: "root", "kuser" (uid 1000, in group kdemo) and
// "outsider" (uid 1001, not in kdemo).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kt {

// Switches the calling process to @user as `setpriv --init-groups` does
// (initgroups, setresgid, setresuid); "root" changes nothing. 0 or errno.
// Meant for a child process: there is no way back.
int become(const std::string& user);

// The outcome of a program.
struct Proc {
    int status = -1;  // exit status, or 128 + signal
    std::string out;  // all of stdout
    std::string err;  // all of stderr
};

struct ExecOptions {
    std::string user = "root";
    std::string input;  // all of stdin (then EOF)
    // Set (value) or removed (nullopt) in the child's environment.
    // KCTL_DEVICE and KCTL_TRANSPORT are always removed unless set here.
    std::vector<std::pair<std::string, std::optional<std::string>>> env;
};

// ExecOptions for running as @user.
inline ExecOptions as(const std::string& user) {
    ExecOptions o;
    o.user = user;
    return o;
}

// Runs @argv (argv[0] searched on PATH) without a shell and waits for it.
Proc exec(const std::vector<std::string>& argv, const ExecOptions& options = {});

// Runs @fn in a forked child as @user and returns what it returned.
// @fn must not use GoogleTest assertions (the child's failures would be
// lost): it reports in its string, and the caller asserts on that. An
// exception escaping @fn, or a child that dies, is a test failure and gives
// "child failed: ...".
std::string as_user(const std::string& user, const std::function<std::string()>& fn);

// A program running in the background with stdout on a pipe, read line by
// line. Killed (SIGKILL) and reaped on destruction if still running.
class Background {
  public:
    Background(const std::vector<std::string>& argv, const ExecOptions& options = {});
    // Runs @fn in a forked child as @user, its stdout on the pipe (write lines
    // to descriptor 1); the child's exit status is what @fn returns (1 if it
    // throws). The same rule as as_user(): no GoogleTest assertions in @fn.
    Background(const std::string& user, const std::function<int()>& fn);
    ~Background();
    Background(const Background&) = delete;
    Background& operator=(const Background&) = delete;

    pid_t pid() const { return pid_; }
    // The next line of stdout without its '\n', or nullopt at EOF or when
    // none arrives within @timeout.
    std::optional<std::string> line(std::chrono::milliseconds timeout = std::chrono::seconds(30));
    // Waits for the exit (at most @timeout, then SIGKILL): the status and
    // the rest of stdout and all of stderr.
    Proc wait(std::chrono::milliseconds timeout = std::chrono::seconds(30));
    void kill(int sig);

  private:
    // Forks with stdout and stderr on pipes; true in the child.
    bool start(const std::string& input);
    void drain(std::chrono::steady_clock::time_point deadline, bool until_eof);

    pid_t pid_ = -1;
    int out_ = -1;
    int err_ = -1;
    std::string outbuf_;
    std::string errbuf_;
    bool out_eof_ = false;
    int status_ = -1;
};

// True once @pred holds, polling it with growing pauses (from 100 us up to
// 20 ms) until @timeout; false if it never did. For waiting on another
// process or thread without asserting how long it takes.
bool eventually(const std::function<bool()>& pred,
                std::chrono::milliseconds timeout = std::chrono::seconds(30));

// How long a call, a child or a poller may take before the test calls it
// hung. A hang guard, not a timing assertion: generous even under TCG.
constexpr std::chrono::seconds kHangGuard{10};

// Waits at most @timeout for child @pid to end, without killing it: its wait
// status, or nullopt if it is still running (a child stuck in the kernel may
// not die even of SIGKILL, and waiting for it would hang the test).
std::optional<int> reap(pid_t pid, std::chrono::milliseconds timeout);

// A wait status in words: "exit status 3", "killed by SIGBUS (Bus error)".
std::string describe_status(int status);

// Runs @fn in a forked child (for code that may die of a signal, such as a
// read of a mapping that may SIGBUS) and returns what it returned: "" means
// success. A child that throws, dies of a signal or does not finish within
// @timeout (then it is killed) gives a description of that instead. The same
// rule as as_user(): no GoogleTest assertions in @fn.
std::string in_child(const std::function<std::string()>& fn,
                     std::chrono::milliseconds timeout = kHangGuard);

// True if thread or process @tid (a pid, or a thread id of this process) is
// blocked in poll(2), ppoll(2) or select: read from /proc/TID/syscall.
bool blocked_in_poll(pid_t tid);

// The calling thread's id (gettid).
pid_t thread_id();

// Paths of the descriptors this process has open, by number (/proc/self/fd).
std::vector<std::pair<int, std::string>> open_fds();

}  // namespace kt
