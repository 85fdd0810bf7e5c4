// kdemo through raw ioctl(2) calls, and the fixture every driver test uses.
#pragma once

#include <gtest/gtest.h>
#include <linux/kdemo.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "common/module.hpp"
#include "common/sys.hpp"

namespace kt {

// KDEMO_IOC_GET_SUM's answer.
struct Sum {
    int64_t sum = 0;
    uint64_t count = 0;
    uint64_t generation = 0;
};

// Each returns 0 or the errno of the ioctl.
int set_msg(int fd, std::string_view msg);
int get_msg(int fd, std::string& out, uint64_t* generation = nullptr);
int add(int fd, int64_t value);
int add_batch(int fd, std::span<const int64_t> values);
int reset(int fd);

// These throw std::system_error when the ioctl fails.
Sum get_sum(int fd);
std::string get_msg(int fd);
kdemo_info get_info(int fd);

// One consistent copy of the mmap'ed snapshot, by the header's protocol.
kdemo_snapshot read_snapshot(const kdemo_snapshot* s);

// A text file's content without its one trailing newline; ADD_FAILURE if
// the read fails or the newline is missing.
std::string read_value(const std::string& path);

// The fixture: kdemo loaded with config(), kdemo0 open read-write (rw) and
// read-only (ro), message empty, accumulator zero.
class KdemoTest : public ::testing::Test {
  protected:
    void SetUp() override;
    virtual ModuleConfig config() const { return {}; }

    // sum/count/generation as ioctl sees them right now
    Sum state() const { return get_sum(rw.get()); }

    Fd rw;
    Fd ro;
};

// A device in a known state (message "before", sum 7, one value) for the tests
// of refusals through the node, ioctl or io_uring: a refusal changes nothing.
class SeededTest : public KdemoTest {
  protected:
    void SetUp() override {
        KdemoTest::SetUp();
        ASSERT_EQ(set_msg(rw.get(), "before"), 0);
        ASSERT_EQ(add(rw.get(), 7), 0);
        before_ = state();
    }
    // The state is exactly what SetUp left.
    void expect_unchanged() {
        Sum now = state();
        EXPECT_EQ(now.sum, before_.sum);
        EXPECT_EQ(now.count, before_.count);
        EXPECT_EQ(now.generation, before_.generation);
        EXPECT_EQ(get_msg(rw.get()), "before");
    }
    Sum before_;
};

}  // namespace kt
