// SPDX-License-Identifier: GPL-2.0-or-later
// kctl: control the kdemo devices from the command line.
#include <iostream>

#include "context.hpp"

int main(int argc, char** argv) {
    std::ios::sync_with_stdio(false);
    kctl::cli::io streams{std::cin, std::cout, std::cerr};
    return kctl::cli::run(argc, argv, streams);
}
