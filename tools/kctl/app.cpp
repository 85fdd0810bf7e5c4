// SPDX-License-Identifier: GPL-2.0-or-later
// kctl's command line: global options, the command groups, error reporting, exit status.
#include <CLI/CLI.hpp>

#include <grp.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <iostream>
#include <vector>

#include "cli_dump.hpp"
#include "context.hpp"

namespace kctl::cli {

kctl::device context::open_device() const {
    kctl::open_options options;
    options.set_transport(*kctl::parse_transport(g.transport));  // checked by CLI11
    if (g.verbose) {
        std::ostream& err = streams.err;
        options.set_log([&err](std::string_view line) { err << "kctl: " << line << '\n'; });
    }
    return kctl::device::open(g.device, options);
}

void context::run_later(std::string name, std::function<int()> fn) {
    command = std::move(name);
    action = std::move(fn);
}

namespace {

std::string version_text() {
    return std::string("kctl ") + KCTL_VERSION_STRING + " (libkctl " + kctl::version() + ")";
}

void print_error(const context& ctx, const std::string& what, int err) {
    ctx.streams.err << "kctl: " << ctx.command << ": " << what;
    if (err != 0)
        ctx.streams.err << ": " << std::strerror(err);
    ctx.streams.err << '\n';
}

/// Whether the caller is in the group the udev rule names (false if there is no such group).
bool in_group_kdemo(bool& group_exists) {
    const group* g = ::getgrnam("kdemo");
    group_exists = g != nullptr;
    if (!g)
        return false;
    if (::getegid() == g->gr_gid)
        return true;
    const int n = ::getgroups(0, nullptr);
    std::vector<gid_t> groups(static_cast<std::size_t>(std::max(n, 0)));
    if (n > 0 && ::getgroups(n, groups.data()) == n)
        return std::find(groups.begin(), groups.end(), g->gr_gid) != groups.end();
    return false;
}

/// What to do about the two errors a new user meets first, on a line of its own after the
/// error (which keeps its "kctl: COMMAND: WHAT: STRERROR" form): no device at all (the
/// module is not loaded), and no permission while outside group kdemo.
void print_hint(const context& ctx, int err) {
    std::string hint;
    if (err == ENODEV) {
        try {
            if (kctl::list_devices().empty())
                hint = "no kdemo device exists: is the module loaded? (kctl module load)";
        } catch (const std::exception&) {
        }
    } else if ((err == EACCES || err == EPERM) && ::geteuid() != 0) {
        bool exists = false;
        if (!in_group_kdemo(exists))
            hint = exists ? "not in group kdemo? see docs/ADMIN.md (sudo usermod -aG kdemo USER)"
                          : "there is no group kdemo: see docs/ADMIN.md (sudo kctl udev install)";
    }
    if (!hint.empty())
        ctx.streams.err << "kctl: hint: " << hint << '\n';
}

std::string describe(const kctl::error& e) {
    std::string what = e.device().empty() ? e.op() : e.device();
    if (!e.transport().empty())
        what += " via " + e.transport();
    return what;
}

/// "auto" and every concrete transport, from libkctl's names.
std::vector<std::string> transport_names() {
    std::vector<std::string> names{std::string(to_string(kctl::transport_kind::automatic))};
    for (const kctl::transport_kind k : kctl::concrete_transports)
        names.emplace_back(to_string(k));
    return names;
}

void add_global_options(CLI::App& app, globals& g) {
    app.add_option("-d,--device", g.device,
                   "Device: 0, kdemo0, /dev/kdemo0, /dev/kdemo/kdemo0 or its sysfs path "
                   "(default: $KCTL_DEVICE, else kdemo0)")
        ->type_name("DEVICE")
        ->envname("KCTL_DEVICE");
    app.add_option("-t,--transport", g.transport,
                   "Transport (default: $KCTL_TRANSPORT, else auto: the fastest usable)")
        ->check(CLI::IsMember(transport_names()))
        ->envname("KCTL_TRANSPORT");
    app.add_flag("-j,--json", g.json, "Print one JSON document on stdout");
    app.add_flag("-v,--verbose", g.verbose, "Say which transport serves each operation, and why");
}

}  // namespace

int run(int argc, const char* const* argv, io& streams) {
    context ctx(streams);
    CLI::App app{"Control the kdemo devices.", "kctl"};
    app.set_version_flag("-V,--version", version_text());
    // At most one command; that there is one is checked after parsing, so that an unknown
    // word is reported as such rather than as a missing command.
    app.require_subcommand(0, 1);
    app.fallthrough();  // global options may also follow the command
    add_global_options(app, ctx.g);
    std::string dump_format;  // hidden: what the build makes the completion and man pages of
    app.add_option("--dump-cli", dump_format)
        ->check(CLI::IsMember(
            std::vector<std::string>(std::begin(dump_formats), std::end(dump_formats))))
        ->group("");

    add_list_command(app, ctx);
    add_msg_commands(app, ctx);
    add_accumulator_commands(app, ctx);
    add_info_command(app, ctx);
    add_watch_command(app, ctx);
    add_udev_command(app, ctx);
    add_module_command(app, ctx);
    add_bench_command(app, ctx);
    add_metrics_command(app, ctx);
    add_batch_command(app, ctx);
    add_schema_command(app, ctx);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int status = app.exit(e, streams.out, streams.err);
        return status == 0 ? exit_ok : exit_usage;
    }
    if (!dump_format.empty()) {
        streams.out << dump_cli(app, dump_format) << std::flush;
        return exit_ok;
    }
    if (app.get_subcommands().empty()) {
        streams.err << "A subcommand is required\nRun with --help for more information.\n";
        return exit_usage;
    }
    if (!ctx.action)
        return exit_usage;  // a command group without its subcommand (CLI11 already said)

    try {
        return ctx.action();
    } catch (const CLI::Error& e) {  // a usage error found after parsing
        print_error(ctx, e.what(), 0);
        return exit_usage;
    } catch (const kctl::error& e) {
        print_error(ctx, describe(e), e.code().value());
        print_hint(ctx, e.code().value());
    } catch (const failure& e) {
        print_error(ctx, e.what(), e.err());
    } catch (const std::system_error& e) {
        print_error(ctx, e.what(), 0);
    } catch (const std::exception& e) {
        print_error(ctx, e.what(), 0);
    }
    return exit_failure;
}

}  // namespace kctl::cli
