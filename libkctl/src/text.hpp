// SPDX-License-Identifier: LGPL-2.1-or-later
// Text formats of the sysfs and proc files, in one place. Parsers are strict
// (std::from_chars) and return 0 or an errno: EINVAL for malformed input, ERANGE for a
// number out of range; the *_reply parsers, which read what the kernel wrote, return
// EPROTO for anything that is not exactly the documented format.
#ifndef KCTL_SRC_TEXT_HPP
#define KCTL_SRC_TEXT_HPP

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace kctl::detail {

struct info_data;

/// Decimal signed 64-bit: optional sign, then digits only.
int parse_i64(std::string_view text, std::int64_t& out) noexcept;
/// Decimal unsigned 64-bit: optional '+', then digits only.
int parse_u64(std::string_view text, std::uint64_t& out) noexcept;

/// Removes exactly one trailing '\n', if there is one.
std::string_view strip_newline(std::string_view text) noexcept;

/// A value the kernel printed ("42\n"): exactly one number and one '\n', else EPROTO.
int parse_i64_reply(std::string_view text, std::int64_t& out) noexcept;
int parse_u64_reply(std::string_view text, std::uint64_t& out) noexcept;

/// Appends the values, separated by one space, followed by '\n' ("1 -2 3\n").
void format_values(std::span<const std::int64_t> values, std::string& out);
/// Longest text one value can need (sign and 19 digits) plus its separator.
inline constexpr std::size_t max_value_text = 21;

/// Parses /proc/kdemo/kdemoN/info: lines "key: value\n" (one space after the colon). Every
/// key of kctl::info_field must be present exactly once; unknown keys (fields a newer module
/// may add) are skipped. Returns 0 or EPROTO and fills every field of `out` on success.
int parse_info_text(std::string_view text, info_data& out);

}  // namespace kctl::detail

#endif
