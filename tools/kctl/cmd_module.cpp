// SPDX-License-Identifier: GPL-2.0-or-later
// kctl module load|unload, through libkmod.
#include <libkmod.h>
#include <syslog.h>
#include <CLI/CLI.hpp>

#include <memory>

#include "context.hpp"
#include "output.hpp"

namespace kctl::cli {

namespace {

constexpr const char* module_name = "kdemo";

struct kmod_ctx_unref {
    void operator()(kmod_ctx* p) const noexcept { kmod_unref(p); }
};
struct kmod_module_unref_ {
    void operator()(kmod_module* p) const noexcept { kmod_module_unref(p); }
};
struct kmod_list_unref {
    void operator()(kmod_list* p) const noexcept { kmod_module_unref_list(p); }
};
using kmod_ctx_ptr = std::unique_ptr<kmod_ctx, kmod_ctx_unref>;
using kmod_module_ptr = std::unique_ptr<kmod_module, kmod_module_unref_>;
using kmod_list_ptr = std::unique_ptr<kmod_list, kmod_list_unref>;

struct module_options {
    std::string path;               // --path: a .ko file
    std::vector<std::string> args;  // [NAME] [PARAM=VALUE...]
};

kmod_ctx_ptr new_kmod() {
    kmod_ctx_ptr ctx(kmod_new(nullptr, nullptr));
    if (!ctx)
        throw failure(ENOMEM, "libkmod");
    // libkmod would print its own "libkmod: ERROR ..." line for each failure; kctl reports
    // every failure itself, as one "kctl: COMMAND: WHAT: STRERROR" line.
    kmod_set_log_priority(ctx.get(), LOG_CRIT);
    kmod_load_resources(ctx.get());
    return ctx;
}

void check(int ret, const std::string& what) {
    if (ret < 0)
        throw failure(-ret, what);
}

/// Splits the positional words into a module name (no '=') and its parameters.
void split_args(const module_options& o, std::string& name, std::string& params) {
    for (const std::string& a : o.args) {
        if (a.find('=') != std::string::npos)
            params += (params.empty() ? "" : " ") + a;
        else if (name.empty() && o.path.empty())
            name = a;
        else
            throw CLI::ValidationError("ARGS", "unexpected module name: " + a);
    }
    if (name.empty())
        name = module_name;
}

int load(const context& ctx, const module_options& o) {
    std::string name, params;
    split_args(o, name, params);
    const kmod_ctx_ptr k = new_kmod();
    kmod_module* raw = nullptr;
    if (!o.path.empty()) {
        check(kmod_module_new_from_path(k.get(), o.path.c_str(), &raw), o.path);
        const kmod_module_ptr mod(raw);
        check(kmod_module_insert_module(mod.get(), 0, params.c_str()), o.path);
        name = kmod_module_get_name(mod.get());
    } else {
        kmod_list* list = nullptr;
        check(kmod_module_new_from_lookup(k.get(), name.c_str(), &list), name);
        const kmod_list_ptr mods(list);
        if (!mods)
            throw failure(ENOENT, name + " (not in the module index; try --path)");
        const kmod_module_ptr mod(kmod_module_get_module(mods.get()));
        check(kmod_module_probe_insert_module(mod.get(), 0, params.c_str(), nullptr, nullptr,
                                              nullptr),
              name);
    }
    const json j = module_json(name, true);
    ctx.streams.out << (ctx.g.json ? dump(document("module", j)) + '\n' : "") << std::flush;
    return exit_ok;
}

int unload(const context& ctx) {
    const kmod_ctx_ptr k = new_kmod();
    kmod_module* raw = nullptr;
    check(kmod_module_new_from_name(k.get(), module_name, &raw), module_name);
    const kmod_module_ptr mod(raw);
    if (kmod_module_get_initstate(mod.get()) < 0)
        throw failure(ENOENT, std::string(module_name) + " is not loaded");
    check(kmod_module_remove_module(mod.get(), 0), module_name);
    const json j = module_json(module_name, false);
    ctx.streams.out << (ctx.g.json ? dump(document("module", j)) + '\n' : "") << std::flush;
    return exit_ok;
}

}  // namespace

void add_module_command(CLI::App& app, context& ctx) {
    auto module = app.add_subcommand("module", "Load or unload the kdemo module (libkmod)");
    module->require_subcommand(1);

    auto o = std::make_shared<module_options>();
    auto load_cmd = module->add_subcommand(
        "load", "Load kdemo (by name from the module index, or a .ko file with --path)");
    load_cmd->add_option("-p,--path", o->path, "The module file, e.g. driver/kdemo.ko")
        ->check(CLI::ExistingFile);
    load_cmd->add_option("ARGS", o->args, "[NAME] [PARAM=VALUE...], e.g. ndevs=4 msg_max=8192");
    load_cmd->callback(
        [&ctx, o] { ctx.run_later("module load", [&ctx, o] { return load(ctx, *o); }); });

    module->add_subcommand("unload", "Unload kdemo")->callback([&ctx] {
        ctx.run_later("module unload", [&ctx] { return unload(ctx); });
    });
}

}  // namespace kctl::cli
