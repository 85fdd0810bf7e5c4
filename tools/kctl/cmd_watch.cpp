// SPDX-License-Identifier: GPL-2.0-or-later
// kctl watch: one line per change, until --count changes or the --timeout deadline.
#include <CLI/CLI.hpp>

#include <cmath>
#include <memory>

#include "context.hpp"
#include "output.hpp"
#include "validators.hpp"

namespace kctl::cli {

namespace {

struct watch_options {
    std::uint64_t count = 0;  // 0: no limit
    double timeout = -1;      // seconds; < 0: none
};

/// Exit 0 once --count changes were seen; at the --timeout deadline, 1 if fewer than
/// --count (without --count: none at all) were seen, else 0.
int watch(const context& ctx, const watch_options& o) {
    using namespace std::chrono;
    kctl::device d = ctx.open_device();
    kctl::watcher w = d.watch();
    const bool timed = o.timeout >= 0;
    const auto deadline = steady_clock::now() + duration_cast<steady_clock::duration>(
                                                    duration<double>(timed ? o.timeout : 0));
    std::uint64_t seen = 0;
    while (o.count == 0 || seen < o.count) {
        milliseconds left(-1);
        if (timed)
            left = std::max(milliseconds(0), ceil<milliseconds>(deadline - steady_clock::now()));
        const kctl::state before = w.current();
        const auto now = w.wait(left);
        if (!now)
            return (seen == 0 || o.count != 0) ? exit_failure : exit_ok;
        const change c = diff(before, *now, system_clock::now());
        ctx.streams.out << (ctx.g.json ? dump(document("watch", change_json(c))) + '\n'
                                       : change_text(c))
                        << std::flush;
        ++seen;
    }
    return exit_ok;
}

}  // namespace

void add_watch_command(CLI::App& app, context& ctx) {
    auto o = std::make_shared<watch_options>();
    auto cmd = app.add_subcommand(
        "watch", "Print each change (--json: one JSON object per line) as it happens");
    cmd->add_option("-c,--count", o->count, "Exit after N changes")->check(positive_number);
    cmd->add_option("-T,--timeout", o->timeout,
                    "Give up after SECONDS; exit status 1 if fewer changes than asked for "
                    "(without --count: none) happened by then")
        ->check(non_negative_number);
    cmd->callback([&ctx, o] { ctx.run_later("watch", [&ctx, o] { return watch(ctx, *o); }); });
}

}  // namespace kctl::cli
