// SPDX-License-Identifier: LGPL-2.1-or-later
// The workloads of kctl bench: which runner measures which row, and the device state the
// rows share (what message the device holds, whether it may be changed).
#ifndef KCTL_SRC_BENCH_CASES_HPP
#define KCTL_SRC_BENCH_CASES_HPP

#include <kctl/bench.hpp>
#include <kctl/kctl.hpp>

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bench_impl.hpp"

namespace kctl::detail::bench {

/// The message the operation rows read and write, and the file rows read (bytes).
inline constexpr std::size_t standard_msg_size = 16;

/// `n` bytes of a fixed pattern ("abc...zabc..."): text every transport carries.
std::string pattern(std::size_t n);

/// What the rows of one run share.
class context {
  public:
    explicit context(kctl::device_entry e);

    kctl::device_entry entry;
    /// Chooses per operation (auto); sets up the state rows need, restores it at the end.
    kctl::device admin;
    /// The message as found, if it could be read: only then may the message be changed.
    std::optional<std::string> saved_msg;
    /// The message may be changed: it was saved, and some transport may write it.
    bool can_write_msg = false;
    /// The accumulator may be changed (add and reset are writable through some transport).
    bool can_write_acc = false;
    /// The CPUs the run may use, in order (the measuring thread runs on the first).
    std::vector<int> cpus;
    /// Set once the bench changed the message or the accumulator.
    bool changed_msg = false;
    bool changed_acc = false;

    /// The device with only transport `kind` (one per transport, shared by the rows).
    kctl::device& device(transport_kind kind);
    /// Makes the device hold pattern(size), unless it already does.
    void ensure_message(std::size_t size);
    /// What the device holds now: pattern(msg_size), or npos if unknown.
    std::size_t msg_size = std::string::npos;
    /// Puts back the message and zeroes the accumulator, if the run changed them.
    void restore() noexcept;

  private:
    std::array<std::unique_ptr<kctl::device>, std::size(concrete_transports)> devices_;
};

/// The runner for a planned row, or nullptr if the engine has none for it.
std::unique_ptr<runner> make_runner(const kctl::bench::row& r, context& ctx);

/// The runner of the netlink floor and of the netlink listing rows (bench_netlink.cpp).
std::unique_ptr<runner> make_netlink_runner(const kctl::bench::row& r);

}  // namespace kctl::detail::bench

#endif
