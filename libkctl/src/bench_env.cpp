// SPDX-License-Identifier: LGPL-2.1-or-later
// Where a benchmark runs: kernel, CPU, virtualisation, clocks. Everything is best effort: a
// file that cannot be read leaves its field empty.
#include <sched.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "bench_env.hpp"
#include "bench_impl.hpp"
#include "git_revision.h"  // generated: KCTL_GIT_REVISION, KCTL_BUILD_TYPE

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace kctl::detail::bench {

bool use_tsc = false;

namespace {

/// The "flags" line of /proc/cpuinfo ("" if there is none).
std::string cpu_flags() {
    std::ifstream f("/proc/cpuinfo");
    std::string line;
    while (std::getline(f, line)) {
        if (line.rfind("flags", 0) == 0) {
            const std::size_t colon = line.find(':');
            return colon == std::string::npos ? std::string() : line.substr(colon + 1);
        }
    }
    return {};
}

}  // namespace

kctl::bench::clock_choice tick_init() {
    bool allowed = false;
#if defined(__x86_64__) || defined(__i386__)
    // rdtsc faults (SIGSEGV) if the process disabled it with PR_SET_TSC.
    int mode = PR_TSC_ENABLE;
    allowed = !(::prctl(PR_GET_TSC, &mode, 0, 0, 0) == 0 && mode != PR_TSC_ENABLE);
    kctl::bench::clock_choice c = kctl::bench::choose_group_clock(cpu_flags(), allowed);
#else
    (void)allowed;
    kctl::bench::clock_choice c{false, "no TSC on this architecture: CLOCK_MONOTONIC"};
#endif
    use_tsc = c.tsc;
    return c;
}

std::vector<int> allowed_cpus() {
    std::vector<int> cpus;
    cpu_set_t set;
    CPU_ZERO(&set);
    if (::sched_getaffinity(0, sizeof set, &set) != 0)
        return cpus;
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
        if (CPU_ISSET(cpu, &set))
            cpus.push_back(cpu);
    return cpus;
}

int pin_to(int cpu) noexcept {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    return ::sched_setaffinity(0, sizeof one, &one) == 0 ? 0 : errno;
}

namespace {

std::string read_line(const std::string& path) {
    std::ifstream f(path);
    std::string line;
    std::getline(f, line);
    while (!line.empty() && (line.back() == '\n' || line.back() == ' '))
        line.pop_back();
    return line;
}

/// The value of the first "key : value" line of /proc/cpuinfo with this key.
std::string cpuinfo(const std::string& text, std::string_view key) {
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        const std::size_t colon = line.find(':');
        if (colon == std::string::npos)
            continue;
        std::string k = line.substr(0, colon);
        while (!k.empty() && (k.back() == ' ' || k.back() == '\t'))
            k.pop_back();
        if (k != key)
            continue;
        std::string v = line.substr(colon + 1);
        v.erase(0, v.find_first_not_of(' '));
        return v;
    }
    return {};
}

std::string cpuid_hypervisor() {
#if defined(__x86_64__) || defined(__i386__)
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1U << 31)))
        return {};
    __cpuid(0x40000000, a, b, c, d);
    char id[13] = {};
    std::memcpy(id, &b, 4);
    std::memcpy(id + 4, &c, 4);
    std::memcpy(id + 8, &d, 4);
    const std::string s(id);
    if (s == "TCGTCGTCGTCG")
        return "TCG";
    if (s.rfind("KVMKVMKVM", 0) == 0)
        return "KVM";
    if (s == "VMwareVMware")
        return "VMware";
    if (s == "XenVMMXenVMM")
        return "Xen";
    if (s == "Microsoft Hv")
        return "Hyper-V";
    if (s == " lrpepyh  vr")
        return "Parallels";
    if (s == "VBoxVBoxVBox")
        return "VirtualBox";
    if (s == "ACRNACRNACRN")
        return "ACRN";
    return s;
#else
    return {};
#endif
}

/// Median cost of one call of `fn`, over 5 batches of `n`.
template <typename Fn>
double cost_ns(Fn fn, int n) {
    std::vector<double> per;
    for (int r = 0; r < 5; ++r) {
        const std::uint64_t t0 = mono_ns();
        for (int i = 0; i < n; ++i)
            fn();
        const std::uint64_t t1 = mono_ns();
        per.push_back(static_cast<double>(t1 - t0) / n);
    }
    return kctl::bench::median(per);
}

}  // namespace

void detect_environment(kctl::bench::environment& env) {
    env.date = std::chrono::system_clock::now();
    utsname u{};
    if (::uname(&u) == 0) {
        env.sysname = u.sysname;
        env.release = u.release;
        env.version = u.version;
        env.machine = u.machine;
    }
    std::string cpu;
    {
        std::ifstream f("/proc/cpuinfo");
        std::ostringstream s;
        s << f.rdbuf();
        cpu = s.str();
    }
    env.cpu_model = cpuinfo(cpu, "model name");
    if (env.cpu_model.empty())
        env.cpu_model = cpuinfo(cpu, "Model");
    if (env.cpu_model.empty())
        env.cpu_model = cpuinfo(cpu, "cpu model");
    const long n = ::sysconf(_SC_NPROCESSORS_ONLN);
    env.cpus = n > 0 ? static_cast<unsigned>(n) : 1;
    const std::string flags = " " + cpuinfo(cpu, "flags") + " ";
    env.hypervisor_flag = flags.find(" hypervisor ") != std::string::npos;
    env.hypervisor = cpuid_hypervisor();
    env.sys_vendor = read_line("/sys/class/dmi/id/sys_vendor");
    env.product_name = read_line("/sys/class/dmi/id/product_name");
    if (env.hypervisor.empty() && (env.hypervisor_flag || env.sys_vendor == "QEMU"))
        env.hypervisor = env.sys_vendor.empty() ? "unknown" : env.sys_vendor;
    env.emulated = env.hypervisor == "TCG" || env.cpu_model.find("TCG") != std::string::npos;
    env.clocksource = read_line("/sys/devices/system/clocksource/clocksource0/current_clocksource");

    std::error_code ec;
    for (const auto& e :
         std::filesystem::directory_iterator("/sys/devices/system/cpu/vulnerabilities", ec))
        env.mitigations[e.path().filename().string()] = read_line(e.path().string());

    env.clock_ns = cost_ns([] { (void)mono_ns(); }, 400);
    env.tick = use_tsc ? "tsc" : "monotonic";
    env.tick_ns = use_tsc ? cost_ns([] { (void)ticks(); }, 20000) : env.clock_ns;
    env.uid = ::getuid();
    env.euid = ::geteuid();
    env.library_version = kctl::version();
    env.git_revision = KCTL_GIT_REVISION;
    env.build_type = KCTL_BUILD_TYPE;
    env.null_syscall = "getppid";
    env.null_ioctl = "_IO(0xDE, 0xFF)";
}

}  // namespace kctl::detail::bench

namespace kctl::bench {

clock_choice choose_group_clock(std::string_view cpu_flags, bool rdtsc_allowed) {
    auto has = [cpu_flags](std::string_view flag) {
        std::size_t at = 0;
        while ((at = cpu_flags.find(flag, at)) != std::string_view::npos) {
            const std::size_t end = at + flag.size();
            const bool starts = at == 0 || cpu_flags[at - 1] == ' ' || cpu_flags[at - 1] == '\t';
            const bool ends = end == cpu_flags.size() || cpu_flags[end] == ' ' ||
                              cpu_flags[end] == '\t' || cpu_flags[end] == '\n';
            if (starts && ends)
                return true;
            at = end;
        }
        return false;
    };
    if (!rdtsc_allowed)
        return {false, "rdtsc disabled for this process (PR_SET_TSC): CLOCK_MONOTONIC"};
    if (!has("tsc"))
        return {false, "no tsc flag: CLOCK_MONOTONIC"};
    const bool constant = has("constant_tsc");
    const bool nonstop = has("nonstop_tsc");
    if (constant && nonstop)
        return {true, "constant_tsc and nonstop_tsc"};
    std::string missing = !constant && !nonstop ? "constant_tsc and nonstop_tsc"
                          : !constant           ? "constant_tsc"
                                                : "nonstop_tsc";
    return {false, "no " + missing + " flag: CLOCK_MONOTONIC"};
}

}  // namespace kctl::bench
