// SPDX-License-Identifier: GPL-2.0-or-later
// kctl metrics [--textfile DIR]: every device for Prometheus, on stdout or atomically into
// DIR/kdemo.prom for node_exporter's textfile collector.
#include <CLI/CLI.hpp>

#include <cstring>
#include <memory>
#include <vector>

#include "context.hpp"
#include "metrics.hpp"

namespace kctl::cli {

namespace {

// What was read, and one line per problem for stderr. Never throws for a device that is
// missing or unreadable: that is what kdemo_up and kdemo_device_up report.
struct collection {
    std::vector<device_sample> devices;
    std::vector<std::string> problems;
    bool up = true;
};

collection collect(const context& ctx) {
    collection c;
    std::vector<kctl::device_entry> entries;
    try {
        if (ctx.g.device.empty())
            entries = kctl::list_devices();
        else
            entries.push_back(kctl::find_device(ctx.g.device));
    } catch (const kctl::error& e) {
        c.up = false;
        c.problems.push_back(ctx.g.device + ": " + std::strerror(e.code().value()));
        return c;
    }
    if (entries.empty()) {
        c.up = false;
        c.problems.emplace_back("no kdemo devices (is the module loaded?)");
        return c;
    }

    kctl::open_options options;
    options.set_transport(*kctl::parse_transport(ctx.g.transport));  // checked by CLI11
    if (ctx.g.verbose) {
        std::ostream& err = ctx.streams.err;
        options.set_log(
            [&err](std::string_view line) { err << "kctl: metrics: " << line << '\n'; });
    }
    for (const kctl::device_entry& e : entries) {
        try {
            kctl::device d(e, options);
            c.devices.push_back(sample_of(e.name(), d.info()));
        } catch (const kctl::error& err) {
            device_sample failed;
            failed.device = e.name();
            failed.error = err.code().value() != 0 ? err.code().value() : EIO;
            c.devices.push_back(std::move(failed));
            c.up = false;
            std::string what = e.name();
            if (!err.transport().empty())
                what += " via " + err.transport();
            c.problems.push_back(what + ": " + std::strerror(c.devices.back().error));
        }
    }
    return c;
}

}  // namespace

void add_metrics_command(CLI::App& app, context& ctx) {
    auto dir = std::make_shared<std::string>();
    auto cmd = app.add_subcommand(
        "metrics",
        "Print every device's state and statistics for Prometheus (text exposition format)");
    cmd->add_option("--textfile", *dir,
                    "Write DIR/kdemo.prom atomically instead, for node_exporter's textfile "
                    "collector (e.g. /var/lib/prometheus/node-exporter)")
        ->type_name("DIR")
        ->check(CLI::ExistingDirectory.description(""));
    cmd->footer(
        "Exit status 0 whenever the metrics were printed or written, also when kdemo_up is 0 "
        "(no devices, or one could not be read: stderr says why); 1 if the textfile could not "
        "be written.");
    cmd->callback([&ctx, dir] {
        ctx.run_later("metrics", [&ctx, dir] {
            if (ctx.g.json)
                throw CLI::ValidationError("--json",
                                           "metrics prints the Prometheus text format only");
            const collection c = collect(ctx);
            const std::string text = exposition(c.devices, c.up);
            if (dir->empty())
                ctx.streams.out << text << std::flush;
            else
                write_atomically(*dir, std::string(textfile_name), text);
            for (const std::string& p : c.problems)
                ctx.streams.err << "kctl: metrics: " << p << '\n';
            return exit_ok;
        });
    });
}

}  // namespace kctl::cli
