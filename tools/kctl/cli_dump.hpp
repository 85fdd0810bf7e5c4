// SPDX-License-Identifier: GPL-2.0-or-later
// kctl's command line described from its own CLI11 definitions (the hidden option
// --dump-cli FORMAT), so that the bash completion and the man page list made at build time
// cannot fall behind the commands, options and choices.
#ifndef KCTL_TOOL_CLI_DUMP_HPP
#define KCTL_TOOL_CLI_DUMP_HPP

#include <string>

namespace CLI {
class App;
}

namespace kctl::cli {

/// The formats --dump-cli knows.
inline constexpr const char* dump_formats[] = {"bash", "man", "json"};

/// "bash": the bash completion script (share/bash-completion/completions/kctl).
/// "man": one line per command, "PATH<TAB>NAME" (e.g. "udev install<TAB>create group ..."):
/// the pages help2man makes and their NAME lines.
/// "json": every command with its options (names, value, choices) and arguments.
std::string dump_cli(const CLI::App& app, const std::string& format);

}  // namespace kctl::cli

#endif
