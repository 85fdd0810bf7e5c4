// SPDX-License-Identifier: GPL-2.0-or-later
// A small JSON Schema (2020-12) checker for the keywords docs/bench-schema.json uses: type,
// const, enum, minimum, exclusiveMinimum, minLength, pattern, minItems, items, required,
// properties, additionalProperties, $ref (#/$defs/...), if/then/else. Shared by the host
// unit test and the guest test of kctl bench (the guest has no Python).
#pragma once

#include <nlohmann/json.hpp>

#include <regex>
#include <string>
#include <vector>

namespace kdemo {

namespace schema_detail {

using njson = nlohmann::json;

inline void check(const njson& schema, const njson& v, const njson& root, const std::string& at,
                  std::vector<std::string>& errors);

inline bool has_type(const njson& v, const std::string& t) {
    if (t == "null")
        return v.is_null();
    if (t == "boolean")
        return v.is_boolean();
    if (t == "integer")
        return v.is_number_integer();
    if (t == "number")
        return v.is_number();
    if (t == "string")
        return v.is_string();
    if (t == "object")
        return v.is_object();
    if (t == "array")
        return v.is_array();
    return false;
}

inline void check(const njson& schema, const njson& v, const njson& root, const std::string& at,
                  std::vector<std::string>& errors) {
    auto fail = [&](const std::string& what) { errors.push_back(at + ": " + what); };
    if (schema.contains("$ref")) {
        const std::string ref = schema["$ref"];
        const std::string prefix = "#/$defs/";
        if (ref.rfind(prefix, 0) != 0) {
            fail("unsupported $ref " + ref);
            return;
        }
        check(root["$defs"][ref.substr(prefix.size())], v, root, at, errors);
    }
    if (schema.contains("type")) {
        const njson& t = schema["type"];
        bool ok = false;
        if (t.is_string())
            ok = has_type(v, t);
        else
            for (const auto& one : t)
                ok = ok || has_type(v, one);
        if (!ok)
            fail("type is not " + t.dump() + ": " + v.dump());
    }
    if (schema.contains("const") && v != schema["const"])
        fail("not " + schema["const"].dump());
    if (schema.contains("enum")) {
        bool found = false;
        for (const auto& e : schema["enum"])
            found = found || e == v;
        if (!found)
            fail("not in " + schema["enum"].dump() + ": " + v.dump());
    }
    if (v.is_number()) {
        if (schema.contains("minimum") && v.get<double>() < schema["minimum"].get<double>())
            fail("below minimum");
        if (schema.contains("exclusiveMinimum") &&
            !(v.get<double>() > schema["exclusiveMinimum"].get<double>()))
            fail("not above exclusiveMinimum: " + v.dump());
    }
    if (v.is_string()) {
        const std::string s = v;
        if (schema.contains("minLength") && s.size() < schema["minLength"].get<std::size_t>())
            fail("too short");
        if (schema.contains("pattern") &&
            !std::regex_search(s, std::regex(schema["pattern"].get<std::string>())))
            fail("does not match " + schema["pattern"].dump() + ": " + s);
    }
    if (v.is_array()) {
        if (schema.contains("minItems") && v.size() < schema["minItems"].get<std::size_t>())
            fail("too few items");
        if (schema.contains("items"))
            for (std::size_t i = 0; i < v.size(); ++i)
                check(schema["items"], v[i], root, at + "[" + std::to_string(i) + "]", errors);
    }
    if (v.is_object()) {
        if (schema.contains("required"))
            for (const auto& k : schema["required"])
                if (!v.contains(k.get<std::string>()))
                    fail("missing " + k.get<std::string>());
        for (const auto& [k, sub] : v.items()) {
            if (schema.contains("properties") && schema["properties"].contains(k))
                check(schema["properties"][k], sub, root, at + "." + k, errors);
            else if (schema.contains("additionalProperties") &&
                     schema["additionalProperties"].is_object())
                check(schema["additionalProperties"], sub, root, at + "." + k, errors);
        }
    }
    if (schema.contains("if")) {
        std::vector<std::string> probe;
        check(schema["if"], v, root, at, probe);
        if (probe.empty() && schema.contains("then"))
            check(schema["then"], v, root, at, errors);
        else if (!probe.empty() && schema.contains("else"))
            check(schema["else"], v, root, at, errors);
    }
}

}  // namespace schema_detail

/// Every way `doc` breaks `schema`, as "$.path: what"; empty if it validates.
inline std::vector<std::string> schema_errors(const nlohmann::json& schema,
                                              const nlohmann::json& doc) {
    std::vector<std::string> errors;
    schema_detail::check(schema, doc, schema, "$", errors);
    return errors;
}

}  // namespace kdemo
