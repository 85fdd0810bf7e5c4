// SPDX-License-Identifier: LGPL-2.1-or-later
// What kctl::info holds: every field plus which ones a transport could provide.
#ifndef KCTL_SRC_INFO_DATA_HPP
#define KCTL_SRC_INFO_DATA_HPP

#include <kctl/kctl.hpp>

#include <array>
#include <cstdint>
#include <string>

namespace kctl::detail {

constexpr std::size_t index(info_field f) noexcept {
    return static_cast<std::size_t>(f);
}

/// True for driver, version and device, the fields that are text.
constexpr bool is_text(info_field f) noexcept {
    return f == info_field::driver || f == info_field::version || f == info_field::device;
}

struct info_data {
    std::array<std::string, info_field_count> text;     // text fields
    std::array<std::uint64_t, info_field_count> num{};  // numeric fields (sum: bit pattern)
    std::uint32_t present = 0;                          // bit index(f) set if provided

    bool has(info_field f) const noexcept { return (present >> index(f)) & 1U; }
    void set(info_field f, std::uint64_t v) noexcept {
        num[index(f)] = v;
        present |= 1U << index(f);
    }
    void set(info_field f, std::string v) {
        text[index(f)] = std::move(v);
        present |= 1U << index(f);
    }
};

inline constexpr std::uint32_t all_info_fields = (1U << info_field_count) - 1;

}  // namespace kctl::detail

#endif
