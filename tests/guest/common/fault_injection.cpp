#include "common/fault_injection.hpp"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "common/hardening.hpp"
#include "common/module.hpp"

namespace kt {

namespace {
const std::string kFailslab = "/sys/kernel/debug/failslab";
const std::string kFailPage = "/sys/kernel/debug/fail_page_alloc";
const std::string kFailNth = "/proc/thread-self/fail-nth";

bool exists(const std::string& path) {
    return ::access(path.c_str(), F_OK) == 0;
}
}  // namespace

bool debug_kernel() {
    const char* f = std::getenv("KDEMO_KERNEL_FLAVOUR");
    return f && std::string(f) == "debug";
}

std::vector<uint64_t> spread(uint64_t span) {
    unsigned bits = 0;
    while ((uint64_t{1} << bits) < span)
        bits++;
    std::vector<uint64_t> order;
    for (uint64_t i = 0; i < (uint64_t{1} << bits); i++) {
        uint64_t r = 0;
        for (unsigned b = 0; b < bits; b++)
            if (i & (uint64_t{1} << b))
                r |= uint64_t{1} << (bits - 1 - b);
        if (r < span)
            order.push_back(r);
    }
    return order;
}

std::string fault_injection_missing() {
    if (exists(kFailslab) && exists(kFailNth))
        return "";
    return kFailslab + " or " + kFailNth +
           " is absent: this kernel has no slab fault injection (the debug kernel has; "
           "tests/vm/suite -k debug)";
}

FaultKnob::FaultKnob(std::string path, const std::string& value) : path_(std::move(path)) {
    auto [err, old] = slurp(path_);
    if (!err) {
        old_ = old;
        while (!old_.empty() && old_.back() == '\n')
            old_.pop_back();
    }
    err_ = write_control(path_, value);
}

FaultKnob::~FaultKnob() {
    if (!err_ && !old_.empty())
        (void)write_control(path_, old_);
}

AllocFailures::AllocFailures() {
    knobs_.push_back(std::make_unique<FaultKnob>(kFailslab + "/ignore-gfp-wait", "N"));
    knobs_.push_back(std::make_unique<FaultKnob>(kFailslab + "/verbose", "0"));
    if (exists(kFailPage)) {
        knobs_.push_back(std::make_unique<FaultKnob>(kFailPage + "/ignore-gfp-wait", "N"));
        knobs_.push_back(std::make_unique<FaultKnob>(kFailPage + "/min-order", "0"));
        knobs_.push_back(std::make_unique<FaultKnob>(kFailPage + "/verbose", "0"));
    }
}

int AllocFailures::error() const {
    for (const auto& k : knobs_)
        if (k->error())
            return k->error();
    return 0;
}

FailNth::FailNth() : fd_(open_file(kFailNth, O_RDWR)) {}

bool FailNth::arm(uint64_t n) {
    std::string v = std::to_string(n);
    return ::pwrite(fd_.get(), v.data(), v.size(), 0) == static_cast<ssize_t>(v.size());
}

uint64_t FailNth::left() {
    char buf[32] = {};
    ssize_t n = ::pread(fd_.get(), buf, sizeof(buf) - 1, 0);
    return n > 0 ? std::strtoull(buf, nullptr, 10) : ~0ULL;
}

void FailNth::disarm() {
    (void)arm(0);
}

int finit(int module_fd, const std::string& params) {
    return ::syscall(SYS_finit_module, module_fd, params.c_str(), 0) < 0 ? errno : 0;
}

uint64_t count_load_points(FailNth& nth, int module_fd, const std::string& params) {
    constexpr uint64_t kFar = 1000000;
    if (!nth.arm(kFar))
        return 0;
    int err = finit(module_fd, params);
    const uint64_t left = nth.left();
    nth.disarm();
    if (err || unload_module_raw())
        return 0;
    return left < kFar ? kFar - left : 0;
}

}  // namespace kt
