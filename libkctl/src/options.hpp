// SPDX-License-Identifier: LGPL-2.1-or-later
// What open_options and batch_options hold (see options.cpp).
#ifndef KCTL_SRC_OPTIONS_HPP
#define KCTL_SRC_OPTIONS_HPP

#include <kctl/kctl.hpp>

#include <functional>
#include <string_view>

namespace kctl::detail {

struct open_settings {
    transport_kind transport = transport_kind::automatic;
    std::function<void(std::string_view)> log;
};

struct batch_settings {
    transport_kind transport = transport_kind::uring;
    transport_kind fallback = transport_kind::automatic;
    unsigned sqpoll_idle_ms = 0;
    unsigned depth = 256;
    std::function<void(std::string_view)> log;
};

}  // namespace kctl::detail

#endif
