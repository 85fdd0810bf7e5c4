#include "common/process.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <thread>
#include <utility>

#include "common/sys.hpp"

namespace kt {

namespace {

using clock = std::chrono::steady_clock;

struct Pipe {
    int r = -1;
    int w = -1;
    Pipe() {
        int p[2];
        if (::pipe2(p, O_CLOEXEC) != 0)
            throw std::system_error(errno, std::generic_category(), "pipe2");
        r = p[0];
        w = p[1];
    }
};

void close_fd(int& fd) {
    if (fd >= 0)
        ::close(fd);
    fd = -1;
}

int wait_status(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Output written before a fork would otherwise be written twice.
void flush_all() {
    std::cout.flush();
    std::cerr.flush();
    std::fflush(nullptr);
}

// In the child: the environment and the user, then exec. Never returns.
[[noreturn]] void exec_child(const std::vector<std::string>& argv, const ExecOptions& o) {
    ::unsetenv("KCTL_DEVICE");
    ::unsetenv("KCTL_TRANSPORT");
    for (const auto& [name, value] : o.env) {
        if (value)
            ::setenv(name.c_str(), value->c_str(), 1);
        else
            ::unsetenv(name.c_str());
    }
    if (int err = become(o.user)) {
        std::fprintf(stderr, "test: cannot become %s: %s\n", o.user.c_str(), std::strerror(err));
        ::_exit(126);
    }
    std::vector<char*> args;
    for (const std::string& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    std::fprintf(stderr, "test: cannot run %s: %s\n", args[0], std::strerror(errno));
    ::_exit(127);
}

// Reads what is there on @fd into @buf; false at EOF or on error.
bool read_some(int fd, std::string& buf) {
    char chunk[65536];
    ssize_t n;
    do
        n = ::read(fd, chunk, sizeof chunk);
    while (n < 0 && errno == EINTR);
    if (n <= 0)
        return false;
    buf.append(chunk, static_cast<size_t>(n));
    return true;
}

}  // namespace

int become(const std::string& user) {
    if (user == "root")
        return 0;
    struct passwd* pw = ::getpwnam(user.c_str());
    if (!pw)
        return ENOENT;
    uid_t uid = pw->pw_uid;
    gid_t gid = pw->pw_gid;
    if (::initgroups(user.c_str(), gid) != 0 || ::setresgid(gid, gid, gid) != 0 ||
        ::setresuid(uid, uid, uid) != 0)
        return errno;
    return 0;
}

Proc exec(const std::vector<std::string>& argv, const ExecOptions& options) {
    Pipe in, out, err;
    flush_all();
    pid_t pid = ::fork();
    if (pid < 0)
        throw std::system_error(errno, std::generic_category(), "fork");
    if (pid == 0) {
        ::dup2(in.r, 0);
        ::dup2(out.w, 1);
        ::dup2(err.w, 2);
        exec_child(argv, options);
    }
    close_fd(in.r);
    close_fd(out.w);
    close_fd(err.w);
    // Feed stdin while reading stdout and stderr: any sizes, no deadlock.
    ::fcntl(in.w, F_SETFL, O_NONBLOCK);
    ::signal(SIGPIPE, SIG_IGN);
    Proc p;
    size_t written = 0;
    if (options.input.empty())
        close_fd(in.w);
    while (out.r >= 0 || err.r >= 0) {
        pollfd fds[3] = {{out.r, POLLIN, 0}, {err.r, POLLIN, 0}, {in.w, POLLOUT, 0}};
        if (::poll(fds, 3, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (fds[0].revents && !read_some(out.r, p.out))
            close_fd(out.r);
        if (fds[1].revents && !read_some(err.r, p.err))
            close_fd(err.r);
        if (fds[2].revents) {
            ssize_t n =
                ::write(in.w, options.input.data() + written, options.input.size() - written);
            if (n > 0)
                written += static_cast<size_t>(n);
            if (n < 0 && errno != EAGAIN && errno != EINTR)
                close_fd(in.w);  // EPIPE: it did not want it all
            if (written == options.input.size())
                close_fd(in.w);
        }
    }
    close_fd(in.w);
    p.status = wait_status(pid);
    return p;
}

namespace {

// Forks a child that runs @body, writes the text it returns to @result's
// write end and exits with the code it returns. Returns the child's pid.
pid_t fork_reporting(Pipe& result, const std::function<std::pair<std::string, int>()>& body) {
    flush_all();
    pid_t pid = ::fork();
    if (pid < 0)
        throw std::system_error(errno, std::generic_category(), "fork");
    if (pid == 0) {
        close_fd(result.r);
        auto [text, code] = body();
        size_t done = 0;
        while (done < text.size()) {
            ssize_t n = ::write(result.w, text.data() + done, text.size() - done);
            if (n <= 0)
                break;
            done += static_cast<size_t>(n);
        }
        ::_exit(code);
    }
    close_fd(result.w);
    return pid;
}

}  // namespace

std::string as_user(const std::string& user, const std::function<std::string()>& fn) {
    Pipe result;
    pid_t pid = fork_reporting(result, [&]() -> std::pair<std::string, int> {
        if (int e = become(user))
            return {std::string("child failed: cannot become ") + user + ": " + std::strerror(e),
                    1};
        try {
            return {fn(), 0};
        } catch (const std::exception& e) {
            return {std::string("child failed: exception: ") + e.what(), 1};
        }
    });
    std::string text;
    while (read_some(result.r, text)) {
    }
    close_fd(result.r);
    int status = wait_status(pid);
    if (status != 0) {
        ADD_FAILURE() << "the child running as " << user << " ended with status " << status << ": "
                      << text;
        if (text.rfind("child failed", 0) != 0)
            text = "child failed: status " + std::to_string(status) + ": " + text;
    }
    return text;
}

Background::Background(const std::vector<std::string>& argv, const ExecOptions& options) {
    if (start(options.input))
        exec_child(argv, options);
}

Background::Background(const std::string& user, const std::function<int()>& fn) {
    if (!start(""))
        return;
    int status = 1;
    if (int e = become(user)) {
        std::fprintf(stderr, "test: cannot become %s: %s\n", user.c_str(), std::strerror(e));
    } else {
        try {
            status = fn();
        } catch (const std::exception& e) {
            std::fprintf(stderr, "test: exception: %s\n", e.what());
        }
    }
    std::fflush(nullptr);
    ::_exit(status);
}

bool Background::start(const std::string& input) {
    Pipe in, out, err;
    flush_all();
    pid_ = ::fork();
    if (pid_ < 0)
        throw std::system_error(errno, std::generic_category(), "fork");
    if (pid_ == 0) {
        ::dup2(in.r, 0);
        ::dup2(out.w, 1);
        ::dup2(err.w, 2);
        return true;
    }
    close_fd(in.r);
    close_fd(out.w);
    close_fd(err.w);
    out_ = out.r;
    err_ = err.r;
    // Small inputs only: the pipe holds 64 KiB.
    if (!input.empty())
        (void)!::write(in.w, input.data(), input.size());
    close_fd(in.w);
    return false;
}

Background::~Background() {
    if (pid_ > 0 && status_ < 0) {
        ::kill(pid_, SIGKILL);
        status_ = wait_status(pid_);
    }
    close_fd(out_);
    close_fd(err_);
}

void Background::drain(clock::time_point deadline, bool until_eof) {
    while (out_ >= 0 || err_ >= 0) {
        if (!until_eof && outbuf_.find('\n') != std::string::npos)
            return;
        if (!until_eof && out_ < 0)
            return;
        auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now());
        if (left.count() <= 0)
            return;
        pollfd fds[2] = {{out_, POLLIN, 0}, {err_, POLLIN, 0}};
        int n = ::poll(fds, 2, static_cast<int>(left.count()));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        if (fds[0].revents && !read_some(out_, outbuf_)) {
            close_fd(out_);
            out_eof_ = true;
        }
        if (fds[1].revents && !read_some(err_, errbuf_))
            close_fd(err_);
    }
}

std::optional<std::string> Background::line(std::chrono::milliseconds timeout) {
    drain(clock::now() + timeout, false);
    auto nl = outbuf_.find('\n');
    if (nl == std::string::npos)
        return std::nullopt;
    std::string l = outbuf_.substr(0, nl);
    outbuf_.erase(0, nl + 1);
    return l;
}

Proc Background::wait(std::chrono::milliseconds timeout) {
    auto deadline = clock::now() + timeout;
    drain(deadline, true);
    if (status_ < 0) {
        if (out_ >= 0 || err_ >= 0)
            ::kill(pid_, SIGKILL);  // still running at the deadline
        status_ = wait_status(pid_);
    }
    Proc p;
    p.status = status_;
    p.out = std::move(outbuf_);
    p.err = std::move(errbuf_);
    outbuf_.clear();
    errbuf_.clear();
    return p;
}

void Background::kill(int sig) {
    if (pid_ > 0 && status_ < 0)
        ::kill(pid_, sig);
}

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
    auto deadline = clock::now() + timeout;
    auto pause = std::chrono::microseconds(100);
    for (;;) {
        if (pred())
            return true;
        if (clock::now() >= deadline)
            return false;
        std::this_thread::sleep_for(pause);
        pause = std::min<std::chrono::microseconds>(pause * 2, std::chrono::milliseconds(20));
    }
}

std::optional<int> reap(pid_t pid, std::chrono::milliseconds timeout) {
    const auto deadline = clock::now() + timeout;
    auto pause = std::chrono::microseconds(100);
    for (;;) {
        int status = 0;
        pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return status;
        if (r < 0 && errno != EINTR)
            return std::nullopt;  // not our child (any more)
        if (clock::now() >= deadline)
            return std::nullopt;
        std::this_thread::sleep_for(pause);
        pause = std::min<std::chrono::microseconds>(pause * 2, std::chrono::milliseconds(20));
    }
}

std::string describe_status(int status) {
    if (WIFEXITED(status))
        return "exit status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) {
        const char* abbrev = sigabbrev_np(WTERMSIG(status));
        return std::string("killed by SIG") + (abbrev ? abbrev : "?") + " (" +
               ::strsignal(WTERMSIG(status)) + ")";
    }
    return "wait status " + std::to_string(status);
}

std::string in_child(const std::function<std::string()>& fn, std::chrono::milliseconds timeout) {
    Pipe result;
    pid_t pid = fork_reporting(result, [&]() -> std::pair<std::string, int> {
        try {
            return {fn(), 0};
        } catch (const std::exception& e) {
            return {std::string("exception: ") + e.what(), 0};
        }
    });
    const auto deadline = clock::now() + timeout;
    std::string text;
    for (;;) {
        auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now());
        pollfd p{result.r, POLLIN, 0};
        int n = ::poll(&p, 1, static_cast<int>(std::max<int64_t>(left.count(), 0)));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || !read_some(result.r, text))
            break;  // the deadline, or EOF: the child is gone or going
    }
    close_fd(result.r);
    // EOF comes a moment before the exit status
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(
        std::max(deadline - clock::now(), clock::duration::zero()));
    auto status = reap(pid, left + std::chrono::seconds(1));
    if (!status) {
        ::kill(pid, SIGKILL);
        (void)reap(pid, timeout);
        return "the child did not finish within " +
               std::to_string(std::chrono::ceil<std::chrono::seconds>(timeout).count()) +
               " s (killed)" + (text.empty() ? "" : "; it said: " + text);
    }
    if (WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
        return text;
    return "the child ended: " + describe_status(*status) +
           (text.empty() ? "" : "; it said: " + text);
}

bool blocked_in_poll(pid_t tid) {
    Io io = read_file("/proc/" + std::to_string(tid) + "/syscall");
    if (io.err)
        return false;
    long nr = std::strtol(io.data.c_str(), nullptr, 10);
    switch (nr) {
        case SYS_poll:
        case SYS_ppoll:
        case SYS_select:
        case SYS_pselect6:
        case SYS_epoll_wait:
        case SYS_epoll_pwait:
            // "running" parses as 0 (read); a blocked task has its arguments after the number
            return io.data.find(' ') != std::string::npos;
        default:
            return false;
    }
}

pid_t thread_id() {
    return static_cast<pid_t>(::syscall(SYS_gettid));
}

std::vector<std::pair<int, std::string>> open_fds() {
    std::vector<std::pair<int, std::string>> fds;
    DIR* d = ::opendir("/proc/self/fd");
    if (!d)
        return fds;
    int self = ::dirfd(d);
    while (struct dirent* e = ::readdir(d)) {
        if (e->d_name[0] == '.')
            continue;
        int fd = std::atoi(e->d_name);
        if (fd == self)
            continue;
        char target[4096];
        ssize_t n = ::readlinkat(self, e->d_name, target, sizeof target - 1);
        fds.emplace_back(fd, n > 0 ? std::string(target, static_cast<size_t>(n)) : "?");
    }
    ::closedir(d);
    std::sort(fds.begin(), fds.end());
    return fds;
}

}  // namespace kt
