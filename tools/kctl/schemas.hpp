// SPDX-License-Identifier: GPL-2.0-or-later
// The JSON Schemas of kctl's --json output, embedded at build time from docs/schema/ (and
// docs/bench-schema.json), so that `kctl schema COMMAND` needs no source tree.
#ifndef KCTL_TOOL_SCHEMAS_HPP
#define KCTL_TOOL_SCHEMAS_HPP

#include <span>
#include <string_view>

namespace kctl::cli {

struct json_schema {
    std::string_view command;  // "list", "udev", ... as on the command line
    std::string_view text;     // the schema document
};

/// One schema per command with --json, bench last (metrics has none: it
/// prints the Prometheus text format only).
std::span<const json_schema> json_schemas();

}  // namespace kctl::cli

#endif
