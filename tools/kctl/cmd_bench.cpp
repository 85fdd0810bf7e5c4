// SPDX-License-Identifier: GPL-2.0-or-later
// kctl bench: a placeholder; the benchmark is its own piece of work.
#include <CLI/CLI.hpp>

#include "context.hpp"

namespace kctl::cli {

void add_bench_command(CLI::App& app, context& ctx) {
    app.add_subcommand("bench", "Measure every transport (not yet)")->callback([&ctx] {
        ctx.run_later("bench", [&ctx]() -> int { throw failure(0, "not yet"); });
    });
}

}  // namespace kctl::cli
