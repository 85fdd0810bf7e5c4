// SPDX-License-Identifier: LGPL-2.1-or-later
// open_options and batch_options: opaque settings objects. Their fields are here, not in
// the public headers, so a new setting is a new setter (a symbol added at a new version
// node), never a change of a public type's size or layout.
#include <kctl/kctl.hpp>

#include <algorithm>
#include <utility>

#include "options.hpp"

namespace kctl {

namespace {

/// The settings of `d`, made afresh if it was moved from.
template <typename T>
T& live(std::unique_ptr<T>& d) {
    if (!d)
        d = std::make_unique<T>();
    return *d;
}

template <typename T>
const T& read(const std::unique_ptr<T>& d) noexcept {
    static const T defaults;
    return d ? *d : defaults;
}

}  // namespace

open_options::open_options() : d_(std::make_unique<detail::open_settings>()) {}
open_options::~open_options() = default;
open_options::open_options(const open_options& other)
    : d_(std::make_unique<detail::open_settings>(read(other.d_))) {}
open_options& open_options::operator=(const open_options& other) {
    if (this != &other)
        live(d_) = read(other.d_);
    return *this;
}
open_options::open_options(open_options&& other) noexcept = default;
open_options& open_options::operator=(open_options&& other) noexcept = default;

open_options& open_options::set_transport(transport_kind kind) {
    live(d_).transport = kind;
    return *this;
}
transport_kind open_options::transport() const noexcept {
    return read(d_).transport;
}
open_options& open_options::set_log(std::function<void(std::string_view)> log) {
    live(d_).log = std::move(log);
    return *this;
}
const std::function<void(std::string_view)>& open_options::log() const noexcept {
    return read(d_).log;
}

batch_options::batch_options() : d_(std::make_unique<detail::batch_settings>()) {}
batch_options::~batch_options() = default;
batch_options::batch_options(const batch_options& other)
    : d_(std::make_unique<detail::batch_settings>(read(other.d_))) {}
batch_options& batch_options::operator=(const batch_options& other) {
    if (this != &other)
        live(d_) = read(other.d_);
    return *this;
}
batch_options::batch_options(batch_options&& other) noexcept = default;
batch_options& batch_options::operator=(batch_options&& other) noexcept = default;

batch_options& batch_options::set_transport(transport_kind kind) {
    live(d_).transport = kind;
    return *this;
}
transport_kind batch_options::transport() const noexcept {
    return read(d_).transport;
}
batch_options& batch_options::set_fallback(transport_kind kind) {
    live(d_).fallback = kind;
    return *this;
}
transport_kind batch_options::fallback() const noexcept {
    return read(d_).fallback;
}
batch_options& batch_options::set_sqpoll_idle_ms(unsigned ms) {
    live(d_).sqpoll_idle_ms = ms;
    return *this;
}
unsigned batch_options::sqpoll_idle_ms() const noexcept {
    return read(d_).sqpoll_idle_ms;
}
batch_options& batch_options::set_depth(unsigned depth) {
    live(d_).depth = std::clamp(depth, 1U, 4096U);
    return *this;
}
unsigned batch_options::depth() const noexcept {
    return read(d_).depth;
}
batch_options& batch_options::set_log(std::function<void(std::string_view)> log) {
    live(d_).log = std::move(log);
    return *this;
}
const std::function<void(std::string_view)>& batch_options::log() const noexcept {
    return read(d_).log;
}

}  // namespace kctl
