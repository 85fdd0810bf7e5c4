// SPDX-License-Identifier: LGPL-2.1-or-later
// The `auto` transport chooser: a pure function of what each transport supports and what
// the caller may do, to an ordered list of candidates per operation. Kept free of I/O so it
// can be tested table-driven; the permission probe (probe.hpp) fills its input.
#ifndef KCTL_SRC_CHOOSER_HPP
#define KCTL_SRC_CHOOSER_HPP

#include <kctl/kctl.hpp>

#include <array>
#include <cstddef>
#include <string>

namespace kctl::detail {

inline constexpr std::size_t transport_count = 6;  // mmap, ioctl, sysfs, proc, netlink, uring
inline constexpr std::size_t operation_count = 7;

constexpr std::size_t index(transport_kind k) noexcept {
    return static_cast<std::size_t>(k);
}
constexpr std::size_t index(operation op) noexcept {
    return static_cast<std::size_t>(op);
}

/// How much of an operation a transport offers.
enum class support : std::uint8_t {
    none,     // EOPNOTSUPP
    partial,  // works, with less (sysfs info lacks driver, version, abi and msg_len)
    full,
};

/// THE table: what each transport supports. The chooser prefers full support over partial,
/// then the measured order (preference()).
support capability(transport_kind kind, operation op) noexcept;

/// The order the chooser tries the transports in for `op`, every concrete transport once:
/// those measured by the committed bench run fastest first, then the unmeasured ones in
/// concrete_transports order. Generated into preference.inc by tools/bench-preference from
/// docs/bench/bench.json (docs/BENCHMARKS.md); a unit test keeps the two in step.
const std::array<transport_kind, transport_count>& preference(operation op) noexcept;

/// For each transport and operation: 0 if the caller can use it, else an errno saying why
/// not (EOPNOTSUPP: not offered; EACCES/EPERM: no permission; ENOENT: no such file).
struct usability {
    std::array<std::array<int, operation_count>, transport_count> err{};

    int& at(transport_kind k, operation op) noexcept { return err[index(k)][index(op)]; }
    int at(transport_kind k, operation op) const noexcept { return err[index(k)][index(op)]; }
};

/// A transport passed over, and why (an errno; EFBIG: the request exceeds its size limit).
struct skipped {
    transport_kind kind;
    int err;
    std::size_t rank = 0;  // how many candidates rank above it
};

/// The candidates for one request, best first, and the transports passed over (not those
/// that lack the operation altogether).
struct plan {
    std::array<transport_kind, transport_count> order{};
    std::size_t size = 0;
    std::array<skipped, transport_count> passed{};
    std::size_t passed_size = 0;
};

/// Chooses for `op`; `msg_size` is the length of the message for set-msg (sysfs carries at
/// most sysfs_msg_max bytes, netlink netlink_msg_max), ignored otherwise.
plan choose(const usability& u, operation op, std::size_t msg_size = 0) noexcept;

/// The plan for an explicitly requested transport: it alone, if it supports `op`.
plan only(transport_kind kind, operation op) noexcept;

/// Whether `err` from transport `kind` means "this transport cannot do it here" (so the next
/// candidate may be tried) rather than an answer from the device: EACCES, EPERM, ENOENT,
/// ENOTTY, EOPNOTSUPP, EBADF, EFBIG from any transport; from mmap also ENODEV (the driver
/// maps nothing) and EPROTO (a snapshot page of another ABI), since the page is only ever a
/// faster copy of what ioctl and sysfs read.
bool is_fallback_error(transport_kind kind, int err) noexcept;

/// "ioctl not writable (EACCES)", "sysfs cannot carry it (EFBIG)", "sysfs failed (EIO)".
std::string describe_skip(operation op, const skipped& s, bool at_runtime);

/// The errno's name ("EACCES"), or its number if it has none.
std::string errno_name(int err);

}  // namespace kctl::detail

#endif
