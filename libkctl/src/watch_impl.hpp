// SPDX-License-Identifier: LGPL-2.1-or-later
// What kctl::watcher holds: the polled source and a device core of its own (not the one of
// the device it came from, which another thread may be using) to read the state with.
#ifndef KCTL_SRC_WATCH_IMPL_HPP
#define KCTL_SRC_WATCH_IMPL_HPP

#include <kctl/kctl.hpp>

#include <memory>

#include "device_core.hpp"

namespace kctl::detail {

class watch_impl {
  public:
    watch_impl(std::shared_ptr<device_core> core, std::unique_ptr<watch_source> source,
               transport_kind kind);

    std::optional<state> wait(std::chrono::milliseconds timeout);

    state current;
    transport_kind kind;
    std::unique_ptr<watch_source> source;

  private:
    /// Reads sum, count, generation and message of one moment: the message between two sums
    /// of the same generation (every change moves the generation), retried until they agree.
    state read_state();
    [[noreturn]] void raise(int err) const;

    std::shared_ptr<device_core> core_;
};

}  // namespace kctl::detail

#endif
