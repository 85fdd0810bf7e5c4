// SPDX-License-Identifier: LGPL-2.1-or-later
// Part of libkctl. Include <kctl/kctl.hpp>, not this file.
#ifndef KCTL_TYPES_HPP
#define KCTL_TYPES_HPP

#ifndef KCTL_INSIDE_KCTL_HPP
#error "Only <kctl/kctl.hpp> can be included directly."
#endif

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace kctl {

/// Version of the loaded library, e.g. "1.0.0".
KCTL_API const char* version() noexcept;

/// The largest message the sysfs transport carries: a sysfs read returns at most
/// PAGE_SIZE - 1 = 4095 bytes, one of which is the trailing newline.
inline constexpr std::size_t sysfs_msg_max = 4094;

/// The most values one add() accepts (KDEMO_BATCH_MAX). A longer list fails with E2BIG
/// before anything is sent: every add() is all or nothing, never split into chunks.
inline constexpr std::size_t batch_max = 4096;

/// How libkctl talks to a device. `automatic` picks, per operation, the fastest transport
/// that is usable by the caller and supports the operation, in the order the committed bench
/// run measured (libkctl/README.md, "Transports"). `uring` is io_uring passthrough
/// (IORING_OP_URING_CMD) on the node: it wins for batches (kctl::batch), never for a single
/// call, so `automatic` never picks it for one.
enum class transport_kind : std::uint8_t { mmap, ioctl, sysfs, proc, netlink, uring, automatic };

/// The concrete transports (mmap only serves `sum`). Not a speed order: `automatic` tries them
/// per operation in the measured order; those a bench run did not measure come last, in this
/// order.
inline constexpr transport_kind concrete_transports[] = {
    transport_kind::mmap, transport_kind::ioctl,   transport_kind::sysfs,
    transport_kind::proc, transport_kind::netlink, transport_kind::uring};

/// The longest message the netlink transport carries (KDEMO_MSG_NL_MAX: one attribute).
inline constexpr std::size_t netlink_msg_max = 65531;

/// What a caller does with a device.
enum class operation : std::uint8_t { get_msg, set_msg, add, sum, reset, info, watch };

inline constexpr operation all_operations[] = {
    operation::get_msg, operation::set_msg, operation::add,  operation::sum,
    operation::reset,   operation::info,    operation::watch};

/// "mmap", "ioctl", "sysfs", "proc", "netlink", "uring", "auto".
KCTL_API std::string_view to_string(transport_kind kind) noexcept;
/// "get-msg", "set-msg", "add", "sum", "reset", "info", "watch".
KCTL_API std::string_view to_string(operation op) noexcept;
/// Parses a transport name ("auto" included); nullopt if unknown.
KCTL_API std::optional<transport_kind> parse_transport(std::string_view name) noexcept;
/// True for the operations that change the device (set-msg, add, reset).
KCTL_API bool is_mutation(operation op) noexcept;

/// Parses one decimal signed 64-bit number by the kernel's text rules: an optional sign and
/// digits, nothing else (no spaces, "0x10", "1e3", "12d34"). Returns 0, EINVAL (malformed) or
/// ERANGE (out of range); `value` is written only on success.
KCTL_API int parse_number(std::string_view text, std::int64_t& value) noexcept;

/// One consistent snapshot of the accumulator.
struct sum_result {
    std::int64_t sum = 0;
    std::uint64_t count = 0;
    std::uint64_t generation = 0;
};

/// The fields of `info`, in the order of the proc `info` file.
enum class info_field : std::uint8_t {
    driver,
    version,
    abi,
    device,
    msg_max,
    msg_len,
    sum,
    count,
    generation,
    opens,
    ioctl_ops,
    sysfs_ops,
    proc_ops,
    netlink_ops,
    uring_ops,
    random,
};

inline constexpr std::size_t info_field_count = 16;

/// The key of a field, exactly as in /proc/kdemo/kdemoN/info ("msg_max", "ioctl_ops", ...).
KCTL_API std::string_view to_string(info_field field) noexcept;

namespace detail {
struct info_data;
struct make;
}  // namespace detail

/// The read-only information of a device. Not every transport knows every field (sysfs has
/// no driver name, version, ABI version or message length): has() says which are present.
class KCTL_API info {
  public:
    info();

    bool has(info_field field) const noexcept;
    /// The value of a present string field (driver, version, device), else nullopt.
    std::optional<std::string> text(info_field field) const;
    /// The value of a present numeric field, else nullopt. `sum` is returned as its
    /// two's-complement bit pattern: use sum() for the signed value.
    std::optional<std::uint64_t> number(info_field field) const noexcept;

    const std::string& driver() const noexcept;
    const std::string& version() const noexcept;
    const std::string& device() const noexcept;
    std::uint32_t abi_version() const noexcept;
    std::uint64_t msg_max() const noexcept;
    std::uint64_t msg_len() const noexcept;
    std::int64_t sum() const noexcept;
    std::uint64_t count() const noexcept;
    std::uint64_t generation() const noexcept;
    std::uint64_t opens() const noexcept;
    std::uint64_t ioctl_ops() const noexcept;
    std::uint64_t sysfs_ops() const noexcept;
    std::uint64_t proc_ops() const noexcept;
    std::uint64_t netlink_ops() const noexcept;
    std::uint64_t uring_ops() const noexcept;
    std::uint64_t random() const noexcept;

  private:
    // Only the library fills an info (detail::make): inline and not exported.
    friend struct detail::make;
    KCTL_LOCAL explicit info(std::shared_ptr<const detail::info_data> data) noexcept
        : data_(std::move(data)) {}

    std::shared_ptr<const detail::info_data> data_;
};

}  // namespace kctl

#endif
