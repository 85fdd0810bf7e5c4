// SPDX-License-Identifier: LGPL-2.1-or-later
#include <kctl/kctl.hpp>

#include <sys/ioctl.h>

#include <utility>

#include "device_core.hpp"
#include "entry_data.hpp"
#include "info_data.hpp"
#include "make.hpp"
#include "snapshot.hpp"
#include "watch_impl.hpp"

namespace kctl {

using detail::device_core;
using detail::transport;

device::device() noexcept = default;
device::~device() = default;
device::device(device&& other) noexcept
    : core_(std::move(other.core_)), page_(std::exchange(other.page_, nullptr)) {}

device& device::operator=(device&& other) noexcept {
    core_ = std::move(other.core_);
    page_ = std::exchange(other.page_, nullptr);
    return *this;
}

device::device(const device_entry& entry, const open_options& options) {
    auto make = [](transport_kind kind, const detail::entry_data& e) {
        return detail::make_transport(kind, e);
    };
    core_ =
        std::make_shared<device_core>(entry, options.transport(), std::move(make), options.log());
}

device device::open(std::string_view name, const open_options& options) {
    return device(find_device(name), options);
}

void device::close() noexcept {
    page_ = nullptr;
    core_.reset();
}

device::operator bool() const noexcept {
    return static_cast<bool>(core_);
}

namespace {

device_core& live(const std::shared_ptr<device_core>& core, operation op) {
    if (!core) [[unlikely]]
        throw error(EBADF, "", "", std::string(to_string(op)));
    return *core;
}

}  // namespace

const device_entry& device::entry() const {
    if (!core_)
        throw error(EBADF, "", "", "entry");
    return core_->entry();
}

std::string device::get_msg() {
    std::string out;
    live(core_, operation::get_msg).run(operation::get_msg, [&out](transport& t) {
        return t.get_msg(out);
    });
    return out;
}

void device::set_msg(std::string_view message) {
    live(core_, operation::set_msg)
        .run(
            operation::set_msg, [message](transport& t) { return t.set_msg(message); },
            message.size());
}

void device::add(std::int64_t value) {
    add(std::span<const std::int64_t>(&value, 1));
}

void device::add(std::span<const std::int64_t> values) {
    device_core& core = live(core_, operation::add);
    if (values.empty() || values.size() > batch_max)  // all or nothing: never split
        throw error(values.empty() ? EINVAL : E2BIG, core.name(),
                    std::string(to_string(core.requested())), "add");
    core.run(operation::add, [values](transport& t) { return t.add(values); });
}

sum_result device::sum_slow() {
    // The ioctl shortcut: no run(), no virtual call (docs/BENCHMARKS.md). Any error takes the
    // general path below, which reports it or moves to another transport.
    if (core_) [[likely]] {
        const detail::sum_shortcut& s = core_->shortcut();
        if (s.fd >= 0) {
            kdemo_sum k;
            if (::ioctl(s.fd, KDEMO_IOC_GET_SUM, &k) == 0) [[likely]]
                return {k.sum, k.count, k.generation};
        }
    }
    sum_result out;
    live(core_, operation::sum).run(operation::sum, [&out](transport& t) { return t.sum(out); });
    // From now on sum() reads the page inline, if the page served it.
    page_ = core_->shortcut().page;
    return out;
}

void device::reset() {
    live(core_, operation::reset).run(operation::reset, [](transport& t) { return t.reset(); });
}

kctl::info device::info() {
    auto data = std::make_shared<detail::info_data>();
    live(core_, operation::info).run(operation::info, [&data](transport& t) {
        *data = {};
        return t.info(*data);
    });
    return detail::make::info(std::move(data));
}

watcher device::watch() {
    device_core& core = live(core_, operation::watch);
    std::unique_ptr<detail::watch_source> source;
    core.run(operation::watch, [&source](transport& t) { return t.watch(source); });
    // The watcher reads the state with a core of its own: a thread may wait while another
    // uses the device (the thread rule in <kctl/device.hpp>).
    return watcher(std::make_unique<detail::watch_impl>(core.fork(), std::move(source),
                                                        core.last(operation::watch)));
}

transport_kind device::last_transport(operation op) const noexcept {
    return core_ ? core_->last(op) : transport_kind::automatic;
}

}  // namespace kctl
