// What the libkctl and kctl guest tests share: the module configuration they
// run under, a fixture that starts every test from a known state, and
// helpers to run kctl and to catch libkctl's errors.
#pragma once

#include <gtest/gtest.h>
#include <kctl/kctl.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/kdemo.hpp"
#include "common/process.hpp"

namespace kt {

// Three devices (discovery, KCTL_DEVICE) and messages longer than sysfs can
// carry (msg_max 8192 > sysfs_msg_max 4094).
inline const ModuleConfig kKctlConfig{3, 8192, false};

inline constexpr gid_t kKdemoGid = 990;  // the guest's group kdemo

// kdemo loaded with kKctlConfig; every device's message empty and
// accumulator zero; rw/ro (from KdemoTest) open on kdemo0.
class KctlTest : public KdemoTest {
  protected:
    ModuleConfig config() const override { return kKctlConfig; }
    void SetUp() override;
};

// kctl ARGS... (from PATH) with stdout, stderr and status apart.
Proc kctl(const std::vector<std::string>& args, const ExecOptions& options = {});

// The errno of the kctl::error (or std::system_error) @fn throws, 0 if none.
// @what receives what() when given.
int error_of(const std::function<void()>& fn, std::string* what = nullptr);

// "EACCES" for EACCES, "ok" for 0.
std::string err_name(int err);

// open(2) and close: 0 or errno.
int open_errno(const std::string& path, int flags);

// "ioctl", "sysfs", ... for test names and messages.
std::string name_of(kctl::transport_kind kind);
std::string name_of(kctl::operation op);

// Runs @op once on @dev with harmless arguments (set-msg "x", add 1, ...)
// and returns its errno (0 on success). watch() also waits for nothing.
int run_op(kctl::device& dev, kctl::operation op);

// A device opened with one transport and, optionally, a log of the
// chooser's decisions.
kctl::device open_with(kctl::transport_kind kind, std::vector<std::string>* log = nullptr,
                       const std::string& name = "kdemo0");

// A counter of kdemo@dev read from sysfs stats/ (reading it counts nothing).
uint64_t stat_counter(const std::string& name, int dev = 0);

}  // namespace kt
