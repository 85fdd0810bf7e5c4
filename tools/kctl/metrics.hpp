// SPDX-License-Identifier: GPL-2.0-or-later
// kctl metrics: the devices' state and statistics in the Prometheus text exposition format
// (version 0.0.4, whose names and escaping OpenMetrics parsers accept too), and the atomic
// textfile write node_exporter's textfile collector needs. Pure functions, unit-tested.
#ifndef KCTL_TOOL_METRICS_HPP
#define KCTL_TOOL_METRICS_HPP

#include <kctl/kctl.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kctl::cli {

/// What one device reported. Fields a transport does not know stay empty and their metric
/// families are left out for that device; a device that could not be read has `error` set.
struct device_sample {
    std::string device;  // "kdemo0"
    int error = 0;       // 0: read; else the errno that stopped the read
    std::optional<std::string> driver;
    std::optional<std::string> version;
    std::optional<std::uint64_t> abi;
    std::optional<std::int64_t> sum;
    std::optional<std::uint64_t> count;
    std::optional<std::uint64_t> generation;
    std::optional<std::uint64_t> msg_len;
    std::optional<std::uint64_t> msg_max;
    std::optional<std::uint64_t> opens;
    std::optional<std::uint64_t> ioctl_ops;
    std::optional<std::uint64_t> sysfs_ops;
    std::optional<std::uint64_t> proc_ops;
    std::optional<std::uint64_t> netlink_ops;
    std::optional<std::uint64_t> uring_ops;
};

/// The fields `info` has, by name.
device_sample sample_of(std::string device, const kctl::info& info);

/// A label value escaped for the exposition format: \ " and line feed as \\ \" \n.
std::string escape_label_value(std::string_view value);

/// The whole exposition: every family with HELP and TYPE lines, families without samples
/// left out, devices in the order given. `up` is kdemo_up: the devices were found and all
/// of them read.
std::string exposition(const std::vector<device_sample>& devices, bool up);

/// Writes `text` to DIR/NAME so that a reader sees the old file or the new one, never a part:
/// a temporary file in DIR (".NAME.XXXXXX", a name node_exporter ignores), mode 0644, renamed
/// over NAME. Nothing is left behind on failure. Throws failure (errno, what).
void write_atomically(const std::string& dir, const std::string& name, std::string_view text);

/// The file `kctl metrics --textfile DIR` writes.
inline constexpr std::string_view textfile_name = "kdemo.prom";

}  // namespace kctl::cli

#endif
