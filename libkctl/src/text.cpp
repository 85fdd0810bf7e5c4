// SPDX-License-Identifier: LGPL-2.1-or-later
#include "text.hpp"

#include <cerrno>
#include <charconv>

#include "info_data.hpp"
#include "names.hpp"

namespace kctl::detail {

namespace {

template <typename T>
int parse_integer(std::string_view text, T& out) noexcept {
    const bool plus = !text.empty() && text.front() == '+';
    if (plus)
        text.remove_prefix(1);
    // from_chars takes a leading '-' (signed types only); after a '+' it is a second sign.
    const std::size_t digits_at = (!plus && !text.empty() && text.front() == '-') ? 1 : 0;
    if (text.size() <= digits_at || text[digits_at] < '0' || text[digits_at] > '9')
        return EINVAL;
    T value{};
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, 10);
    if (ec == std::errc::result_out_of_range)
        return ERANGE;
    if (ec != std::errc{} || end != text.data() + text.size())
        return EINVAL;
    out = value;
    return 0;
}

template <typename T>
int parse_reply(std::string_view text, T& out) noexcept {
    if (text.empty() || text.back() != '\n')
        return EPROTO;
    return parse_integer(strip_newline(text), out) == 0 ? 0 : EPROTO;
}

}  // namespace

int parse_i64(std::string_view text, std::int64_t& out) noexcept {
    return parse_integer(text, out);
}

int parse_u64(std::string_view text, std::uint64_t& out) noexcept {
    return parse_integer(text, out);
}

std::string_view strip_newline(std::string_view text) noexcept {
    if (!text.empty() && text.back() == '\n')
        text.remove_suffix(1);
    return text;
}

int parse_i64_reply(std::string_view text, std::int64_t& out) noexcept {
    return parse_reply(text, out);
}

int parse_u64_reply(std::string_view text, std::uint64_t& out) noexcept {
    return parse_reply(text, out);
}

void format_values(std::span<const std::int64_t> values, std::string& out) {
    char buf[max_value_text];
    for (std::size_t i = 0; i < values.size(); ++i) {
        const auto res = std::to_chars(buf, buf + sizeof buf, values[i]);
        out.append(buf, res.ptr);
        out.push_back(i + 1 < values.size() ? ' ' : '\n');
    }
}

namespace {

/// Looks `key` up in info_keys (names.hpp), at `hint` first: the field the line is expected
/// to hold (the one after the last found).
int find_info_field(std::string_view key, std::size_t hint, info_field& out) noexcept {
    if (hint < info_field_count && info_keys[hint] == key) {
        out = static_cast<info_field>(hint);
        return 0;
    }
    for (std::size_t i = 0; i < info_field_count; ++i) {
        if (info_keys[i] == key) {
            out = static_cast<info_field>(i);
            return 0;
        }
    }
    return ENOENT;
}

int parse_info_value(info_field f, std::string_view value, info_data& out) {
    if (value.empty())
        return EPROTO;
    if (is_text(f)) {
        out.set(f, std::string(value));
        return 0;
    }
    std::uint64_t v = 0;
    if (f == info_field::sum) {
        std::int64_t s = 0;
        if (parse_i64(value, s) != 0)
            return EPROTO;
        v = static_cast<std::uint64_t>(s);
    } else if (parse_u64(value, v) != 0 || (f == info_field::abi && v > UINT32_MAX)) {
        return EPROTO;
    }
    out.set(f, v);
    return 0;
}

}  // namespace

int parse_info_text(std::string_view text, info_data& out) {
    info_data result;
    std::size_t next = 0;
    if (text.empty() || text.back() != '\n')
        return EPROTO;
    while (!text.empty()) {
        const std::size_t eol = text.find('\n');
        const std::string_view line = text.substr(0, eol);
        text.remove_prefix(eol + 1);

        const std::size_t colon = line.find(": ");
        if (colon == 0 || colon == std::string_view::npos)
            return EPROTO;
        const std::string_view key = line.substr(0, colon);
        const std::string_view value = line.substr(colon + 2);
        info_field f{};
        if (key.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") !=
            std::string_view::npos)
            return EPROTO;
        if (find_info_field(key, next, f) != 0)
            continue;  // a field this library does not know yet
        if (result.has(f) || parse_info_value(f, value, result) != 0)
            return EPROTO;
        next = index(f) + 1;
    }
    if (result.present != all_info_fields)
        return EPROTO;
    out = std::move(result);
    return 0;
}

}  // namespace kctl::detail
