// SPDX-License-Identifier: LGPL-2.1-or-later
// The library's (and its unit tests') way to make the public objects that wrap private data:
// their constructors from kctl::detail types are private and not exported.
#ifndef KCTL_SRC_MAKE_HPP
#define KCTL_SRC_MAKE_HPP

#include <kctl/kctl.hpp>

#include <memory>
#include <utility>

namespace kctl::detail {

struct make {
    static kctl::info info(std::shared_ptr<const info_data> data) noexcept {
        return kctl::info(std::move(data));
    }
    static device_entry entry(std::shared_ptr<const entry_data> data) noexcept {
        return device_entry(std::move(data));
    }
};

}  // namespace kctl::detail

#endif
