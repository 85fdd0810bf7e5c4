// SPDX-License-Identifier: GPL-2.0-or-later
// The commands on one device's state: list, get-msg, set-msg, add, sum, reset, info.
#include <CLI/CLI.hpp>

#include <iterator>
#include <memory>
#include <vector>

#include "context.hpp"
#include "output.hpp"

namespace kctl::cli {

namespace {

/// Prints the JSON form (format kctl-COMMAND) with --json, else the text form.
int print(const context& ctx, std::string_view command, const json& j, const std::string& text) {
    ctx.streams.out << (ctx.g.json ? dump(document(command, j)) + '\n' : text) << std::flush;
    return exit_ok;
}

}  // namespace

void add_list_command(CLI::App& app, context& ctx) {
    app.add_subcommand("list", "List the devices and the transports you may use")->callback([&ctx] {
        ctx.run_later("list", [&ctx] {
            std::vector<device_row> rows;
            for (const kctl::device_entry& e : kctl::list_devices())
                rows.push_back(make_row(e));
            return print(ctx, "list", list_json(rows), list_text(rows));
        });
    });
}

void add_msg_commands(CLI::App& app, context& ctx) {
    auto no_newline = std::make_shared<bool>(false);
    auto get = app.add_subcommand("get-msg", "Print the message");
    get->add_flag("-n,--no-newline", *no_newline, "Print the message bytes only");
    get->callback([&ctx, no_newline] {
        ctx.run_later("get-msg", [&ctx, no_newline] {
            kctl::device d = ctx.open_device();
            const std::string msg = d.get_msg();
            return print(ctx, "get-msg", msg_json(msg), *no_newline ? msg : msg + '\n');
        });
    });

    auto text = std::make_shared<std::string>();
    auto set = app.add_subcommand("set-msg", "Set the message");
    set->add_option("TEXT", *text, "The message; - reads all of standard input, bytes exact")
        ->required();
    set->callback([&ctx, text] {
        ctx.run_later("set-msg", [&ctx, text] {
            if (*text == "-")
                text->assign(std::istreambuf_iterator<char>(ctx.streams.in), {});
            kctl::device d = ctx.open_device();
            d.set_msg(*text);
            return print(ctx, "set-msg", set_msg_json(d.entry().name(), text->size()), "");
        });
    });
}

void add_accumulator_commands(CLI::App& app, context& ctx) {
    auto numbers = std::make_shared<std::vector<std::string>>();
    auto add = app.add_subcommand("add", "Add values to the sum, all or none");
    add->add_option("N", *numbers, "Decimal signed 64-bit integers")
        ->required()
        ->check(CLI::Validator(
            [](const std::string& s) {
                std::int64_t v = 0;
                return kctl::parse_number(s, v) == 0 ? std::string()
                                                     : "not a decimal 64-bit integer: " + s;
            },
            "INTEGER"));
    add->callback([&ctx, numbers] {
        ctx.run_later("add", [&ctx, numbers] {
            std::vector<std::int64_t> values(numbers->size());
            for (std::size_t i = 0; i < values.size(); ++i)
                kctl::parse_number((*numbers)[i], values[i]);
            kctl::device d = ctx.open_device();
            d.add(values);
            return print(ctx, "add", add_json(d.entry().name(), values.size()), "");
        });
    });

    app.add_subcommand("sum", "Print sum, count and generation")->callback([&ctx] {
        ctx.run_later("sum", [&ctx] {
            const kctl::sum_result s = ctx.open_device().sum();
            return print(ctx, "sum", sum_json(s), sum_text(s));
        });
    });

    app.add_subcommand("reset", "Zero the sum and the count")->callback([&ctx] {
        ctx.run_later("reset", [&ctx] {
            kctl::device d = ctx.open_device();
            d.reset();
            return print(ctx, "reset", reset_json(d.entry().name()), "");
        });
    });
}

void add_info_command(CLI::App& app, context& ctx) {
    app.add_subcommand("info", "Print the device information")->callback([&ctx] {
        ctx.run_later("info", [&ctx] {
            const kctl::info i = ctx.open_device().info();
            return print(ctx, "info", {{"info", info_json(i)}}, info_text(i));
        });
    });
}

}  // namespace kctl::cli
