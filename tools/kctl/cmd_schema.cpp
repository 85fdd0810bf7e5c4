// SPDX-License-Identifier: GPL-2.0-or-later
// kctl schema [COMMAND]: the JSON Schema of COMMAND --json (docs/schema/), or the commands
// that have one.
#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <vector>

#include "context.hpp"
#include "schemas.hpp"

namespace kctl::cli {

void add_schema_command(CLI::App& app, context& ctx) {
    auto command = std::make_shared<std::string>();
    std::vector<std::string> names;
    for (const json_schema& s : json_schemas())
        names.emplace_back(s.command);
    auto cmd = app.add_subcommand("schema",
                                  "Print the JSON Schema (draft 2020-12) of COMMAND --json; "
                                  "without COMMAND, list the commands that have one");
    cmd->add_option("COMMAND", *command, "A command with --json output")
        ->check(CLI::IsMember(names));
    cmd->callback([&ctx, command] {
        ctx.run_later("schema", [&ctx, command] {
            for (const json_schema& s : json_schemas()) {
                if (command->empty())
                    ctx.streams.out << s.command << '\n';
                else if (s.command == *command)
                    ctx.streams.out << s.text;
            }
            ctx.streams.out << std::flush;
            return exit_ok;
        });
    });
}

}  // namespace kctl::cli
