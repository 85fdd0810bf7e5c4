// What the fuzzers of tests/guest/hardening share: the model of one device,
// errno sets, the Fixed/Fresh seed parameter and the fixture that loads the
// module for a run, prints its replay command, and collects findings with
// their iteration numbers (fuzz_test.cpp, fuzz_netlink_test.cpp).
#pragma once

#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "common/hardening.hpp"
#include "common/kdemo.hpp"

namespace kt {
namespace {

constexpr unsigned kMsgMax = 4095;             // the module's default, of the fixed-seed runs
constexpr uint64_t kFixedSeed = 0x6b64656d6f;  // "kdemo"

using Errs = std::set<int>;

std::string errs_str(const Errs& e) {
    std::string s = "{";
    for (int x : e)
        s += (s.size() > 1 ? "," : "") + std::string(x ? strerrorname_np(x) : "0");
    return s + "}";
}

// The device as the documents say it must be.
struct Model {
    std::string message;
    int64_t sum = 0;
    uint64_t count = 0;
    uint64_t generation = 0;

    void changed() { generation++; }
};

enum class Seed { Fixed, Fresh };

uint64_t fresh_seed() {
    return fuzz_fresh_seed();
}

// msg_max of the fresh runs: KDEMO_FUZZ_MSG_MAX, else the seed's pick.
unsigned fresh_msg_max() {
    static const unsigned choices[] = {1, 4095, 1048576};
    const uint64_t m = env_u64("KDEMO_FUZZ_MSG_MAX", 0);
    if (m >= 1 && m <= 1048576)
        return static_cast<unsigned>(m);
    return choices[fresh_seed() % std::size(choices)];
}

class Fuzz : public KdemoTest, public ::testing::WithParamInterface<Seed> {
  protected:
    void SetUp() override {
        if (!kernel_broken().empty())
            GTEST_SKIP() << "the kernel oopsed earlier: " << kernel_broken();
        const bool fresh = GetParam() == Seed::Fresh;
        seed = fresh ? fresh_seed() : kFixedSeed;
        msg_max = fresh ? fresh_msg_max() : kMsgMax;
        const char* flavour = std::getenv("KDEMO_KERNEL_FLAVOUR");
        const auto* t = ::testing::UnitTest::GetInstance()->current_test_info();
        replay = "tests/vm/suite -k " + std::string(flavour && *flavour ? flavour : "6.1") +
                 " --env KDEMO_STRESS_SECONDS=" + fmt_seconds(run_seconds()) +
                 (fresh ? " --env KDEMO_FUZZ_SEED=" + std::to_string(seed) +
                              " --env KDEMO_FUZZ_MSG_MAX=" + std::to_string(msg_max)
                        : std::string()) +
                 (fresh && fresh_iterations()
                      ? " --env KDEMO_FUZZ_ITERATIONS=" + std::to_string(fresh_iterations())
                      : std::string()) +
                 " --filter '" + t->test_suite_name() + "." + t->name() + "'";
        std::printf("kdemo-fuzz: seed %" PRIu64 " msg_max %u; replay: %s\n", seed, msg_max,
                    replay.c_str());
        std::fflush(stdout);
        KdemoTest::SetUp();  // loads the module with config(): our msg_max
        if (HasFatalFailure())
            return;
        wo = open_file(node_path(), O_WRONLY);
        model.generation = state().generation;
    }
    ModuleConfig config() const override {
        ModuleConfig c;
        c.msg_max = msg_max;
        return c;
    }
    void TearDown() override {
        if (!kernel_broken().empty())
            return;
        wo.reset();
        rw.reset();
        ro.reset();
        ensure_module();  // the defaults the other tests expect
    }
    static std::string fmt_seconds(double s) {
        char b[32];
        std::snprintf(b, sizeof(b), "%g", s);
        return b;
    }
    // The time bound of a run: KDEMO_FUZZ_SECONDS for a fresh one, if set.
    double run_seconds() const {
        if (GetParam() == Seed::Fresh)
            if (uint64_t n = env_u64("KDEMO_FUZZ_SECONDS", 0))
                return static_cast<double>(n);
        return stress_seconds();
    }
    // The iteration cap of a run of @seconds at @per_second iterations (20 000
    // for the ioctl fuzzer, 10 000 for the text fuzzer, 2 000 for the netlink
    // fuzzer); a fresh run's KDEMO_FUZZ_ITERATIONS is the ioctl fuzzer's cap,
    // the others' scaled alike.
    uint64_t iteration_cap(double seconds, double per_second) const {
        if (GetParam() == Seed::Fresh)
            if (uint64_t n = fresh_iterations())
                return static_cast<uint64_t>(static_cast<double>(n) * per_second / 20000);
        return static_cast<uint64_t>(per_second * seconds);
    }
    static uint64_t fresh_iterations() { return env_u64("KDEMO_FUZZ_ITERATIONS", 0); }

    void finding(const std::string& what) {
        findings++;
        if (shown.size() < 30)
            shown.push_back("iteration " + std::to_string(iteration) + ": " + what);
    }
    // The state must be what the model says.
    bool check_state(const std::string& after, bool message_too) {
        Sum s = get_sum(ro.get());
        bool ok = s.sum == model.sum && s.count == model.count && s.generation == model.generation;
        if (!ok)
            finding(after + ": state is sum " + std::to_string(s.sum) + " count " +
                    std::to_string(s.count) + " generation " + std::to_string(s.generation) +
                    ", model says " + std::to_string(model.sum) + " " +
                    std::to_string(model.count) + " " + std::to_string(model.generation));
        if (message_too) {
            std::string m = get_msg(ro.get());
            if (m != model.message) {
                finding(after + ": message of " + std::to_string(m.size()) + " bytes, model says " +
                        std::to_string(model.message.size()));
                ok = false;
            }
        }
        if (!ok) {  // continue from what the device says, to find more
            model.sum = s.sum;
            model.count = s.count;
            model.generation = s.generation;
            model.message = get_msg(ro.get());
        }
        return ok;
    }
    // Every transport agrees with the model.
    void check_views(const std::string& when) {
        for (const auto& d :
             compare_views({model.message, model.sum, model.count, model.generation}))
            finding(when + ": " + d);
    }
    void report_findings() {
        for (const auto& s : shown)
            ADD_FAILURE() << s;
        EXPECT_EQ(findings, 0u) << "unexpected outcomes (first " << shown.size() << " above); seed "
                                << seed << ", msg_max " << msg_max << "; replay: " << replay;
    }

    Fd wo;
    Model model;
    uint64_t seed = 0;
    unsigned msg_max = kMsgMax;
    uint64_t iteration = 0;  // of the running fuzz loop, for the findings
    std::string replay;
    uint64_t findings = 0;
    std::vector<std::string> shown;
};

}  // namespace
}  // namespace kt
