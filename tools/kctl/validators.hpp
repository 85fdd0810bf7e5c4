// SPDX-License-Identifier: GPL-2.0-or-later
// Option checks whose failures read plainly: CLI11's PositiveNumber and NonNegativeNumber
// print the whole range of a double ("not in range 0.000000 to 1797693...").
#ifndef KCTL_TOOLS_VALIDATORS_HPP
#define KCTL_TOOLS_VALIDATORS_HPP

#include <CLI/CLI.hpp>

#include <string>

namespace kctl::cli {

/// A number above `floor` (`inclusive`: at least `floor`), e.g. "must be a number greater
/// than 0, not -1".
inline CLI::Validator number_above(double floor, bool inclusive) {
    const std::string what = std::string("a number ") +
                             (inclusive ? "of at least " : "greater than ") +
                             CLI::detail::to_string(floor);
    return CLI::Validator(
        [floor, inclusive, what](std::string& in) -> std::string {
            double v = 0;
            if (!CLI::detail::lexical_cast(in, v) || !(inclusive ? v >= floor : v > floor))
                return "must be " + what + ", not " + in;
            return {};
        },
        inclusive ? "NUMBER>=" + CLI::detail::to_string(floor)
                  : "NUMBER>" + CLI::detail::to_string(floor));
}

inline const CLI::Validator positive_number = number_above(0, false);
inline const CLI::Validator non_negative_number = number_above(0, true);

}  // namespace kctl::cli

#endif  // KCTL_TOOLS_VALIDATORS_HPP
