// SPDX-License-Identifier: LGPL-2.1-or-later
// RAII handles for libudev objects.
#ifndef KCTL_SRC_UDEV_PTR_HPP
#define KCTL_SRC_UDEV_PTR_HPP

#include <libudev.h>

#include <memory>

namespace kctl::detail {

template <typename T, T* (*Unref)(T*)>
struct unref_with {
    void operator()(T* p) const noexcept { Unref(p); }
};

using udev_ptr = std::unique_ptr<udev, unref_with<udev, udev_unref>>;
using udev_enumerate_ptr =
    std::unique_ptr<udev_enumerate, unref_with<udev_enumerate, udev_enumerate_unref>>;
using udev_device_ptr = std::unique_ptr<udev_device, unref_with<udev_device, udev_device_unref>>;

}  // namespace kctl::detail

#endif
