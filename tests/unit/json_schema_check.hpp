// SPDX-License-Identifier: GPL-2.0-or-later
// kctl's --json documents against their schemas (docs/schema/), strictly: besides what
// bench_schema_check.hpp checks, every key kctl prints must be one the schema names, so an
// undocumented field fails the tests (consumers may still ignore unknown keys: the schemas
// themselves allow additions). Shared by the host unit test and the guest test.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "bench_schema_check.hpp"

namespace kdemo {

namespace schema_detail {

inline const njson& resolve(const njson& schema, const njson& root) {
    if (schema.contains("$ref")) {
        const std::string ref = schema["$ref"];
        return root["$defs"][ref.substr(std::string("#/$defs/").size())];
    }
    return schema;
}

inline void undocumented(const njson& s, const njson& v, const njson& root, const std::string& at,
                         std::vector<std::string>& errors) {
    const njson& schema = resolve(s, root);
    if (v.is_object()) {
        const bool open = schema.contains("additionalProperties");
        for (const auto& [k, sub] : v.items()) {
            if (schema.contains("properties") && schema["properties"].contains(k))
                undocumented(schema["properties"][k], sub, root, at + "." + k, errors);
            else if (open && schema["additionalProperties"].is_object())
                undocumented(schema["additionalProperties"], sub, root, at + "." + k, errors);
            else if (!open)
                errors.push_back(at + "." + k + ": not in the schema");
        }
    } else if (v.is_array() && schema.contains("items")) {
        for (std::size_t i = 0; i < v.size(); ++i)
            undocumented(schema["items"], v[i], root, at + "[" + std::to_string(i) + "]", errors);
    }
}

}  // namespace schema_detail

/// schema_errors(), and every key of `doc` that `schema` does not name.
inline std::vector<std::string> strict_schema_errors(const nlohmann::json& schema,
                                                     const nlohmann::json& doc) {
    std::vector<std::string> errors = schema_errors(schema, doc);
    schema_detail::undocumented(schema, doc, schema, "$", errors);
    return errors;
}

}  // namespace kdemo
