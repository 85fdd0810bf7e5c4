// SPDX-License-Identifier: GPL-2.0-or-later
// kctl's command line run in-process, as the unit tests of the CLI use it: arguments (and
// stdin) in, exit status and both outputs out. Device commands name a device that does not
// exist, so they fail the same way everywhere.
#ifndef KCTL_TESTS_UNIT_RUN_KCTL_HPP
#define KCTL_TESTS_UNIT_RUN_KCTL_HPP

#include <stdlib.h>

#include <sstream>
#include <string>
#include <vector>

#include "context.hpp"

namespace kctl::cli::test {

struct result {
    int status;
    std::string out;
    std::string err;
};

inline result run_kctl(std::vector<std::string> args, const std::string& input = "") {
    ::setenv("KCTL_DEVICE", "kdemo-unit-test-none", 1);
    ::unsetenv("KCTL_TRANSPORT");
    args.insert(args.begin(), "kctl");
    std::vector<const char*> argv;
    for (const std::string& a : args)
        argv.push_back(a.c_str());
    std::istringstream in(input);
    std::ostringstream out, err;
    io streams{in, out, err};
    const int status = run(static_cast<int>(argv.size()), argv.data(), streams);
    return {status, out.str(), err.str()};
}

}  // namespace kctl::cli::test

#endif  // KCTL_TESTS_UNIT_RUN_KCTL_HPP
