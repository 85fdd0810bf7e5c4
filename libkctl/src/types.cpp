// SPDX-License-Identifier: LGPL-2.1-or-later
// Names of transports, operations and info fields; kctl::info; kctl::version().
#include <kctl/kctl.hpp>

#include <array>

#include "info_data.hpp"
#include "names.hpp"
#include "text.hpp"

namespace kctl {

const char* version() noexcept {
    return KCTL_LIBRARY_VERSION;  // the project version, from CMake
}

using detail::info_keys;
using detail::operation_names;
using detail::transport_names;

std::string_view to_string(transport_kind kind) noexcept {
    return transport_names.at(static_cast<std::size_t>(kind));
}

std::string_view to_string(operation op) noexcept {
    return operation_names.at(static_cast<std::size_t>(op));
}

std::string_view to_string(info_field field) noexcept {
    return info_keys.at(static_cast<std::size_t>(field));
}

std::optional<transport_kind> parse_transport(std::string_view name) noexcept {
    for (std::size_t i = 0; i < transport_names.size(); ++i)
        if (transport_names[i] == name)
            return static_cast<transport_kind>(i);
    return std::nullopt;
}

bool is_mutation(operation op) noexcept {
    return op == operation::set_msg || op == operation::add || op == operation::reset;
}

int parse_number(std::string_view text, std::int64_t& value) noexcept {
    return detail::parse_i64(text, value);
}

namespace {
const detail::info_data empty_info;
}

info::info() = default;

bool info::has(info_field field) const noexcept {
    return data_ && data_->has(field);
}

std::optional<std::string> info::text(info_field field) const {
    if (!has(field) || !detail::is_text(field))
        return std::nullopt;
    return data_->text[detail::index(field)];
}

std::optional<std::uint64_t> info::number(info_field field) const noexcept {
    if (!has(field) || detail::is_text(field))
        return std::nullopt;
    return data_->num[detail::index(field)];
}

namespace {

const std::string& txt(const std::shared_ptr<const detail::info_data>& p, info_field f) noexcept {
    return (p ? *p : empty_info).text[detail::index(f)];
}

std::uint64_t u64(const std::shared_ptr<const detail::info_data>& p, info_field f) noexcept {
    return (p ? *p : empty_info).num[detail::index(f)];
}

}  // namespace

const std::string& info::driver() const noexcept {
    return txt(data_, info_field::driver);
}
const std::string& info::version() const noexcept {
    return txt(data_, info_field::version);
}
const std::string& info::device() const noexcept {
    return txt(data_, info_field::device);
}
std::uint32_t info::abi_version() const noexcept {
    return static_cast<std::uint32_t>(u64(data_, info_field::abi));
}
std::uint64_t info::msg_max() const noexcept {
    return u64(data_, info_field::msg_max);
}
std::uint64_t info::msg_len() const noexcept {
    return u64(data_, info_field::msg_len);
}
std::int64_t info::sum() const noexcept {
    return static_cast<std::int64_t>(u64(data_, info_field::sum));
}
std::uint64_t info::count() const noexcept {
    return u64(data_, info_field::count);
}
std::uint64_t info::generation() const noexcept {
    return u64(data_, info_field::generation);
}
std::uint64_t info::opens() const noexcept {
    return u64(data_, info_field::opens);
}
std::uint64_t info::ioctl_ops() const noexcept {
    return u64(data_, info_field::ioctl_ops);
}
std::uint64_t info::sysfs_ops() const noexcept {
    return u64(data_, info_field::sysfs_ops);
}
std::uint64_t info::proc_ops() const noexcept {
    return u64(data_, info_field::proc_ops);
}

std::uint64_t info::netlink_ops() const noexcept {
    return u64(data_, info_field::netlink_ops);
}

std::uint64_t info::uring_ops() const noexcept {
    return u64(data_, info_field::uring_ops);
}
std::uint64_t info::random() const noexcept {
    return u64(data_, info_field::random);
}

}  // namespace kctl
