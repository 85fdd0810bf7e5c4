// SPDX-License-Identifier: GPL-2.0-or-later
// kctl udev install|uninstall [--dry-run]
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <memory>

#include "context.hpp"
#include "output.hpp"
#include "udev_setup.hpp"

namespace kctl::cli {

namespace {

int apply(const context& ctx, bool install, bool dry_run) {
    const udev_env env = system_udev_env();
    const std::string_view rules = embedded_udev_rules();
    if (install && rules.empty())
        throw failure(ENOENT, "udev/70-kdemo.rules was not there when kctl was built");
    const auto installed = read_installed(env);
    const auto steps = install ? plan_install(env, rules, env.group_exists(env.group), installed)
                               : plan_uninstall(env, installed.has_value());
    if (!dry_run && ::geteuid() != 0)
        throw failure(EPERM, "must be root (see --dry-run)");
    if (!dry_run)
        execute(steps, env, rules);

    json list = json::array();
    std::string text;
    for (const step& s : steps) {
        list.push_back({{"action", std::string(to_string(s.kind))},
                        {"detail", s.text},
                        {"changes", s.changes}});
        text += (dry_run && s.changes ? "would: " : "") + s.text + '\n';
    }
    const json j = {{"dry_run", dry_run}, {"steps", list}};
    ctx.streams.out << (ctx.g.json ? dump(document("udev", j)) + '\n' : text) << std::flush;
    return exit_ok;
}

}  // namespace

void add_udev_command(CLI::App& app, context& ctx) {
    auto udev = app.add_subcommand("udev", "Install or remove the udev rule for group kdemo");
    udev->require_subcommand(1);
    for (const bool install : {true, false}) {
        auto dry_run = std::make_shared<bool>(false);
        auto cmd = udev->add_subcommand(
            install ? "install" : "uninstall",
            install ? "Create group kdemo, install the rule, reload udev and trigger the devices"
                    : "Remove the rule, reload udev and trigger the devices (the group stays)");
        cmd->add_flag("-n,--dry-run", *dry_run, "Print what would be done, change nothing");
        cmd->callback([&ctx, install, dry_run] {
            ctx.run_later(install ? "udev install" : "udev uninstall",
                          [&ctx, install, dry_run] { return apply(ctx, install, *dry_run); });
        });
    }
}

}  // namespace kctl::cli
