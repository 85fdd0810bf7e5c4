// SPDX-License-Identifier: LGPL-2.1-or-later
#include <poll.h>

#include "watch_impl.hpp"

namespace kctl {

namespace detail {

watch_impl::watch_impl(std::shared_ptr<device_core> core, std::unique_ptr<watch_source> src,
                       transport_kind k)
    : kind(k), source(std::move(src)), core_(std::move(core)) {
    std::uint64_t generation = 0;
    if (const int err = source->rearm(generation); err != 0)
        raise(err);
    current = read_state();
}

void watch_impl::raise(int err) const {
    throw error(err, core_->name(), std::string(to_string(kind)), "watch");
}

state watch_impl::read_state() {
    state s;
    sum_result before, after;
    core_->run(operation::sum, [&before](transport& t) { return t.sum(before); });
    for (;;) {
        core_->run(operation::get_msg, [&s](transport& t) { return t.get_msg(s.message); });
        core_->run(operation::sum, [&after](transport& t) { return t.sum(after); });
        if (after.generation == before.generation)
            break;
        before = after;  // something changed meanwhile: the message may be of either moment
    }
    s.generation = after.generation;
    s.sum = after.sum;
    s.count = after.count;
    return s;
}

std::optional<state> watch_impl::wait(std::chrono::milliseconds timeout) {
    using clock = std::chrono::steady_clock;
    const bool forever = timeout.count() < 0;
    const auto deadline = clock::now() + (forever ? std::chrono::milliseconds(0) : timeout);
    for (;;) {
        int ms = -1;
        if (!forever) {
            const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now());
            ms = static_cast<int>(
                std::clamp<std::chrono::milliseconds::rep>(left.count(), 0, INT32_MAX));
        }
        pollfd p{source->fd(), source->events(), 0};
        const int n = ::poll(&p, 1, ms);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            raise(errno);
        if (n == 0)
            return std::nullopt;
        int err = 0;
        if (!source->changed(p.revents, err))
            raise(err);
        std::uint64_t generation = 0;
        if (const int e = source->rearm(generation); e != 0)
            raise(e);
        if (generation <= current.generation)
            continue;  // already reported (a later read caught up with it)
        if (!source->carried(current))
            current = read_state();
        return current;
    }
}

}  // namespace detail

watcher::watcher() noexcept = default;
watcher::~watcher() = default;
watcher::watcher(watcher&& other) noexcept = default;
watcher& watcher::operator=(watcher&& other) noexcept = default;
watcher::watcher(std::unique_ptr<detail::watch_impl> impl) noexcept : impl_(std::move(impl)) {}

void watcher::close() noexcept {
    impl_.reset();
}

watcher::operator bool() const noexcept {
    return static_cast<bool>(impl_);
}

namespace {

detail::watch_impl& live(const std::unique_ptr<detail::watch_impl>& impl) {
    if (!impl)
        throw error(EBADF, "", "", "watch");
    return *impl;
}

}  // namespace

const state& watcher::current() const {
    return live(impl_).current;
}

std::optional<state> watcher::wait(std::chrono::milliseconds timeout) {
    return live(impl_).wait(timeout);
}

transport_kind watcher::transport() const noexcept {
    return impl_ ? impl_->kind : transport_kind::automatic;
}

int watcher::fd() const noexcept {
    return impl_ ? impl_->source->fd() : -1;
}

}  // namespace kctl
