// SPDX-License-Identifier: LGPL-2.1-or-later
// Where a benchmark runs (the machine's part of kctl::bench::environment).
#ifndef KCTL_SRC_BENCH_ENV_HPP
#define KCTL_SRC_BENCH_ENV_HPP

#include <kctl/bench.hpp>
#include <kctl/kctl.hpp>

namespace kctl::detail::bench {

/// Fills date, uname, CPU, virtualisation, clocks, mitigations, user and library version.
/// Call tick_init() first.
void detect_environment(kctl::bench::environment& env);

}  // namespace kctl::detail::bench

#endif
