// SPDX-License-Identifier: GPL-2.0-or-later
// What kctl prints: for each command a text form and a JSON form with the same fields, the
// same names and numbers as numbers. Pure functions, unit-tested.
#ifndef KCTL_TOOL_OUTPUT_HPP
#define KCTL_TOOL_OUTPUT_HPP

#include <kctl/kctl.hpp>

#include <array>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace kctl::cli {

using json = nlohmann::ordered_json;

/// One JSON document, compact; bytes that are not UTF-8 become U+FFFD.
std::string dump(const json& j);

/// The version of every kctl-COMMAND JSON shape (docs/schema/kctl-COMMAND.json). It goes up
/// only for an incompatible change; new fields may appear without it.
inline constexpr int json_version = 1;

/// What kctl COMMAND --json prints: {"format": "kctl-COMMAND", "version": json_version}
/// followed by the fields of `body` (an object), so a consumer can tell what it reads.
json document(std::string_view command, const json& body);

/// RFC 4648 base64 with padding: the lossless form of a message in --json ("message_base64"
/// beside the "message" text, in which bytes that are not UTF-8 become U+FFFD). Twenty lines
/// rather than a library: Debian's libb64 is unmaintained, and OpenSSL for this is a lot.
std::string base64(std::string_view bytes);

/// A message for a one-line text form: printable ASCII as is, \" \\ \n \t, else \xNN.
std::string quote(std::string_view bytes);

/// 2025-11-23T13:45:01.123456Z
std::string iso_time(std::chrono::system_clock::time_point t);

// list
struct device_row {
    std::string name;
    std::string node;
    unsigned major = 0;
    unsigned minor = 0;
    std::array<kctl::access_mode, std::size(kctl::concrete_transports)>
        access{};  // in kctl::concrete_transports order
};
device_row make_row(const kctl::device_entry& e);
json list_json(const std::vector<device_row>& rows);
std::string list_text(const std::vector<device_row>& rows);

// get-msg
json msg_json(std::string_view message);

// set-msg, add, reset: what was done to which device
json set_msg_json(std::string_view device, std::size_t length);
json add_json(std::string_view device, std::size_t values);
json reset_json(std::string_view device);

// module load|unload
json module_json(std::string_view module, bool loaded);

// sum
json sum_json(const kctl::sum_result& s);
std::string sum_text(const kctl::sum_result& s);

// info: fields a transport cannot provide are null in JSON and "-" in text.
json info_json(const kctl::info& i);
std::string info_text(const kctl::info& i);

// watch: one line (text or JSON) per change.
struct change {
    std::chrono::system_clock::time_point when;
    kctl::state now;
    bool message = false;
    bool sum = false;
    bool count = false;
};
change diff(const kctl::state& before, const kctl::state& now,
            std::chrono::system_clock::time_point when);
json change_json(const change& c);
std::string change_text(const change& c);

}  // namespace kctl::cli

#endif
