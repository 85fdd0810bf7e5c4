#include "common/hardening.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/kdemo.hpp"
#include "common/module.hpp"

namespace kt {

uint64_t env_u64(const char* name, uint64_t fallback) {
    const char* v = std::getenv(name);
    if (!v || !*v)
        return fallback;
    uint64_t out = 0;
    auto [end, ec] = std::from_chars(v, v + std::strlen(v), out);
    return ec == std::errc() && *end == '\0' ? out : fallback;
}

double stress_seconds() {
    const char* v = std::getenv("KDEMO_STRESS_SECONDS");
    if (v && *v) {
        char* end = nullptr;
        double s = std::strtod(v, &end);
        if (end && *end == '\0' && s > 0)
            return s;
    }
    return 5.0;
}

uint64_t fuzz_fresh_seed() {
    static const uint64_t seed = [] {
        if (const char* e = std::getenv("KDEMO_FUZZ_SEED"); e && *e)
            return env_u64("KDEMO_FUZZ_SEED", 0);
        // GRND_INSECURE: the debug kernel's CRNG may not be ready yet so early
        // after boot (GRND_NONBLOCK then fails), and a seed needs no secrecy
        uint64_t v = 0;
        if (::getrandom(&v, sizeof(v), GRND_INSECURE) != sizeof(v) &&
            ::getrandom(&v, sizeof(v), GRND_NONBLOCK) != sizeof(v))
            v = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
                (static_cast<uint64_t>(::getpid()) << 40);
        return v >> 1;  // fits a signed 64-bit shell variable too
    }();
    return seed;
}

Budget::Budget(double seconds, uint64_t max_iterations)
    : deadline_(std::chrono::steady_clock::now() +
                std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                    std::chrono::duration<double>(seconds))),
      max_(max_iterations) {}

bool Budget::next() {
    if (done_ >= max_)
        return false;
    if (expired())  // the vDSO clock: cheap enough even under TCG
        return false;
    done_++;
    return true;
}

void Figures::add(const std::string& key, uint64_t value) {
    add(key, std::to_string(value));
}

void Figures::add(const std::string& key, const std::string& value) {
    items_.emplace_back(key, value);
    ::testing::Test::RecordProperty(key, value);
}

void Figures::print() const {
    std::string line = "kdemo-figures: " + name_;
    for (const auto& [k, v] : items_)
        line += " " + k + "=" + v;
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
}

uint64_t fnv1a64(std::string_view data) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (unsigned char c : data) {
        h ^= c;
        h *= 0x100000001b3ULL;
    }
    return h;
}

std::string framed_message(std::mt19937_64& rng, size_t len) {
    if (len < kFrameHeader)
        len = kFrameHeader;
    std::string payload(len - kFrameHeader, ' ');
    // printable ASCII (0x20..0x7e): no newline, nothing a text transport alters
    std::uniform_int_distribution<int> ch(0x20, 0x7e);
    for (auto& c : payload)
        c = static_cast<char>(ch(rng));
    char header[kFrameHeader + 1];
    std::snprintf(header, sizeof(header), "<%07zu:%016llx>", payload.size(),
                  static_cast<unsigned long long>(fnv1a64(payload)));
    return std::string(header, kFrameHeader) + payload;
}

bool frame_ok(std::string_view m) {
    if (m.size() < kFrameHeader || m[0] != '<' || m[8] != ':' || m[25] != '>')
        return false;
    size_t len = 0;
    auto r1 = std::from_chars(m.data() + 1, m.data() + 8, len);
    if (r1.ec != std::errc() || r1.ptr != m.data() + 8)
        return false;
    uint64_t hash = 0;
    auto r2 = std::from_chars(m.data() + 9, m.data() + 25, hash, 16);
    if (r2.ec != std::errc() || r2.ptr != m.data() + 25)
        return false;
    std::string_view payload = m.substr(kFrameHeader);
    return payload.size() == len && fnv1a64(payload) == hash;
}

std::pair<int, std::string> slurp(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return {errno, {}};
    std::string out;
    char buf[65536];
    int err = 0;
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof(buf));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            err = errno;
            break;
        }
        if (n == 0)
            break;
        out.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    return {err, out};
}

int write_control(const std::string& path, std::string_view value) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    ssize_t n = ::write(fd, value.data(), value.size());
    int err = n < 0 ? errno : (static_cast<size_t>(n) == value.size() ? 0 : EIO);
    ::close(fd);
    return err;
}

std::vector<std::string> module_leftovers() {
    std::vector<std::string> left;
    for (const char* p : {"/sys/module/kdemo", "/sys/class/kdemo", "/proc/kdemo", "/dev/kdemo0"})
        if (::access(p, F_OK) == 0)
            left.emplace_back(p);
    auto [err, devices] = slurp("/proc/devices");
    if (err)
        left.emplace_back("/proc/devices unreadable");
    else if (devices.find(" kdemo\n") != std::string::npos)
        left.emplace_back("char major 'kdemo' in /proc/devices");
    return left;
}

KmsgWatch::KmsgWatch() : fd_(::open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC)) {
    if (fd_ >= 0)
        ::lseek(fd_, 0, SEEK_END);
}

KmsgWatch::~KmsgWatch() {
    if (fd_ >= 0)
        ::close(fd_);
}

std::vector<KmsgRecord> KmsgWatch::records() {
    std::vector<KmsgRecord> out;
    if (fd_ < 0)
        return out;
    char record[8192];
    for (;;) {
        ssize_t n = ::read(fd_, record, sizeof(record) - 1);
        if (n < 0) {
            if (errno == EPIPE)  // overwritten records: keep reading
                continue;
            break;  // EAGAIN: nothing more
        }
        std::string_view r(record, static_cast<size_t>(n));
        // "prio,seq,usec,flags;message\n" then optional " KEY=value" lines
        auto semi = r.find(';');
        if (semi == std::string_view::npos)
            continue;
        unsigned prio = 7;
        std::from_chars(r.data(), r.data() + r.size(), prio);
        auto nl = r.find('\n', semi);
        KmsgRecord rec;
        rec.level = static_cast<int>(prio & 7);
        rec.text =
            std::string(r.substr(semi + 1, nl == std::string_view::npos ? nl : nl - semi - 1));
        out.push_back(std::move(rec));
    }
    return out;
}

std::vector<std::string> kernel_problems(const std::vector<KmsgRecord>& records,
                                         bool kdemo_warnings) {
    static const char* const markers[] = {
        "WARNING:",
        "BUG:",
        "Oops",
        "Call Trace",
        "general protection",
        "KASAN",
        "UBSAN",
        "kmemleak",
        "possible recursive locking",
        "possible circular locking",
        "inconsistent lock state",
        "suspicious RCU usage",
        "refcount_t",
        "list_add corruption",
        "list_del corruption",
        "sleeping function called from invalid context",
        "soft lockup",
        "hard LOCKUP",
        "blocked for more than",
        "rcu_sched self-detected stall",
        "rcu: INFO:",
        "Kernel panic",
    };
    std::vector<std::string> out;
    auto check = [&](const KmsgRecord& r) {
        bool bad = kdemo_warnings && r.level <= 4 && r.text.find("kdemo") != std::string::npos;
        for (const char* m : markers)
            bad = bad || r.text.find(m) != std::string::npos;
        if (bad)
            out.push_back("<" + std::to_string(r.level) + ">" + r.text);
    };
    // A report is the block between two lines of '=' (KASAN, UBSAN, KCSAN).
    // On the kcsan kernel the data races of the rest of the kernel are not
    // kdemo's: a KCSAN report counts only if one of its stacks has a kdemo
    // frame, as in the guest's final log check (tests/vm/guest/init).
    auto rule = [](const std::string& t) {
        return t.size() >= 17 && t.find_first_not_of('=') == std::string::npos;
    };
    std::vector<const KmsgRecord*> block;
    bool inside = false;
    auto close_block = [&]() {
        bool kcsan = false, kdemo = false;
        for (const KmsgRecord* r : block) {
            kcsan = kcsan || r->text.find("BUG: KCSAN:") != std::string::npos;
            kdemo = kdemo || r->text.find("[kdemo]") != std::string::npos;
        }
        if (!kcsan || kdemo)
            for (const KmsgRecord* r : block)
                check(*r);
        block.clear();
    };
    for (const auto& r : records) {
        if (rule(r.text)) {
            block.push_back(&r);
            if (inside)
                close_block();
            inside = !inside;
        } else if (inside) {
            block.push_back(&r);
        } else {
            check(r);
        }
    }
    for (const KmsgRecord* r : block)  // an unfinished report
        check(*r);
    return out;
}

std::vector<std::string> compare_views(const Expected& want, int dev) {
    std::vector<std::string> diff;
    auto expect = [&](const std::string& where, const std::string& got, const std::string& wanted) {
        if (got != wanted)
            diff.push_back(where + ": '" + got.substr(0, 60) + "' (" + std::to_string(got.size()) +
                           " bytes), expected '" + wanted.substr(0, 60) + "' (" +
                           std::to_string(wanted.size()) + " bytes)");
    };
    const std::string sum = std::to_string(want.sum), count = std::to_string(want.count),
                      gen = std::to_string(want.generation),
                      len = std::to_string(want.message.size());
    int fd = ::open(node_path(dev).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return {"open " + node_path(dev) + ": " + std::strerror(errno)};
    std::string m;
    if (int err = get_msg(fd, m))
        diff.push_back(std::string("GET_MSG: ") + std::strerror(err));
    else
        expect("GET_MSG", m, want.message);
    kdemo_sum s{};
    if (int err = xioctl(fd, KDEMO_IOC_GET_SUM, &s)) {
        diff.push_back(std::string("GET_SUM: ") + std::strerror(err));
    } else {
        expect("GET_SUM sum", std::to_string(s.sum), sum);
        expect("GET_SUM count", std::to_string(s.count), count);
        expect("GET_SUM generation", std::to_string(s.generation), gen);
    }
    kdemo_info info{};
    info.size = sizeof(info);
    if (int err = xioctl(fd, KDEMO_IOC_GET_INFO, &info)) {
        diff.push_back(std::string("GET_INFO: ") + std::strerror(err));
    } else {
        expect("GET_INFO sum", std::to_string(info.sum), sum);
        expect("GET_INFO count", std::to_string(info.count), count);
        expect("GET_INFO generation", std::to_string(info.generation), gen);
        expect("GET_INFO msg_len", std::to_string(info.msg_len), len);
    }
    void* map = ::mmap(nullptr, 4096, PROT_READ, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
        diff.push_back(std::string("mmap: ") + std::strerror(errno));
    } else {
        kdemo_snapshot c = read_snapshot(static_cast<const kdemo_snapshot*>(map));
        ::munmap(map, 4096);
        expect("mmap sum", std::to_string(c.sum), sum);
        expect("mmap count", std::to_string(c.count), count);
        expect("mmap generation", std::to_string(c.generation), gen);
        expect("mmap msg_len", std::to_string(c.msg_len), len);
    }
    ::close(fd);

    auto text = [&](const std::string& path, const std::string& wanted) {
        auto [err, data] = slurp(path);
        if (err)
            diff.push_back(path + ": " + std::strerror(err));
        else
            expect(path, data, wanted + "\n");
    };
    if (want.message.size() > 4094) {
        auto [err, data] = slurp(sysfs_path("message", dev));
        if (err != EFBIG)
            diff.push_back(sysfs_path("message", dev) + ": " + std::strerror(err) +
                           ", expected EFBIG for a message of " + len + " bytes");
    } else {
        text(sysfs_path("message", dev), want.message);
    }
    text(sysfs_path("sum", dev), sum);
    text(sysfs_path("count", dev), count);
    text(sysfs_path("generation", dev), gen);
    text(proc_path("message", dev), want.message);
    text(proc_path("sum", dev), sum);
    text(proc_path("count", dev), count);
    auto [err, info_text] = slurp(proc_path("info", dev));
    if (err) {
        diff.push_back(proc_path("info", dev) + ": " + std::strerror(err));
    } else {
        for (const auto& [key, value] : {std::pair<std::string, std::string>{"sum", sum},
                                         {"count", count},
                                         {"generation", gen},
                                         {"msg_len", len}}) {
            std::string line = "\n" + key + ": " + value + "\n";
            if (info_text.find(line) == std::string::npos)
                diff.push_back("proc info lacks '" + key + ": " + value + "'");
        }
    }
    return diff;
}

namespace {
std::string g_broken;
}

void set_kernel_broken(const std::string& why) {
    if (g_broken.empty())
        g_broken = why;
}

const std::string& kernel_broken() {
    return g_broken;
}

bool oopsed(const std::vector<std::string>& problems) {
    for (const auto& p : problems)
        if ((p.find("BUG:") != std::string::npos && p.find("BUG: KCSAN:") == std::string::npos) ||
            p.find("Oops") != std::string::npos ||
            p.find("general protection") != std::string::npos)
            return true;
    return false;
}

std::vector<std::string> expect_clean_kernel_log(KmsgWatch& kmsg, const std::string& what) {
    auto problems = kernel_problems(kmsg.records());
    for (const auto& p : problems)
        ADD_FAILURE() << "kernel log: " << p;
    if (oopsed(problems))
        set_kernel_broken(what + " oopsed the kernel");
    return problems;
}

pid_t fork_child(const std::function<void()>& body) {
    std::fflush(nullptr);
    pid_t pid = ::fork();
    if (pid != 0)
        return pid;
    int status = 0;
    try {
        body();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "child %d: %s\n", ::getpid(), e.what());
        status = 100;
    } catch (...) {
        status = 100;
    }
    std::fflush(nullptr);
    ::_exit(status);
}

int wait_child(pid_t pid, std::chrono::milliseconds timeout) {
    auto end = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        int status = 0;
        pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return status;
        if (r < 0 && errno != EINTR)
            return -1;
        if (std::chrono::steady_clock::now() >= end) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            return -1;
        }
        ::usleep(2000);
    }
}

}  // namespace kt
