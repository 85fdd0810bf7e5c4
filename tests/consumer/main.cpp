// SPDX-License-Identifier: GPL-2.0-or-later
// A program outside the kdemo tree that uses the installed libkctl: the headers, the shared
// library, and the installed UAPI header. Needs no device.
#include <linux/kdemo.h>

#include <cstring>
#include <iostream>
#include <kctl/kctl.hpp>

static_assert(KDEMO_ABI_VERSION == 1);

int main() {
    if (std::strcmp(kctl::version(), KCTL_VERSION_STRING) != 0) {
        std::cerr << "headers " << KCTL_VERSION_STRING << ", library " << kctl::version() << '\n';
        return 1;
    }
    std::cout << "libkctl " << kctl::version() << ", " << kctl::list_devices().size()
              << " device(s)\n";
    try {
        kctl::device::open("kdemo-consumer-test-none");
        return 1;
    } catch (const std::system_error& e) {  // kctl::error is a std::system_error
        return e.code() == std::errc::no_such_device ? 0 : 1;
    }
}
