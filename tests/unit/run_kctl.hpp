// SPDX-License-Identifier: GPL-2.0-or-later
// kctl's command line run in-process, as the unit tests of the CLI use it: arguments (and
// stdin) in, exit status and both outputs out. Device commands name a device that does not
// exist, so they fail the same way everywhere.
#ifndef KCTL_TESTS_UNIT_RUN_KCTL_HPP
#define KCTL_TESTS_UNIT_RUN_KCTL_HPP

#include <stdlib.h>

#include <filesystem>
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

/// The line kctl adds after "No such device" when no kdemo device exists at all, as on this
/// machine, whose kernel has no kdemo module (it runs in the guest); none if one is loaded.
inline std::string no_module_hint() {
    if (std::filesystem::exists("/sys/class/kdemo"))
        return "";
    return "kctl: hint: no kdemo device exists: is the module loaded? (kctl module load)\n";
}

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

/// @p text (kctl's output) split into its lines, without the newlines.
inline std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);)
        out.push_back(l);
    return out;
}

}  // namespace kctl::cli::test

#endif  // KCTL_TESTS_UNIT_RUN_KCTL_HPP
