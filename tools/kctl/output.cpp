// SPDX-License-Identifier: GPL-2.0-or-later
#include "output.hpp"

#include <fmt/format.h>

#include <ctime>

namespace kctl::cli {

std::string dump(const json& j) {
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

json document(std::string_view command, const json& body) {
    json j = {{"format", "kctl-" + std::string(command)}, {"version", json_version}};
    for (const auto& [k, v] : body.items())
        j[k] = v;
    return j;
}

std::string quote(std::string_view bytes) {
    std::string out = "\"";
    for (const char ch : bytes) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '"' || c == '\\')
            out += {'\\', ch};
        else if (c == '\n')
            out += "\\n";
        else if (c == '\t')
            out += "\\t";
        else if (c < 0x20 || c >= 0x7f)
            out += fmt::format("\\x{:02x}", c);
        else
            out += ch;
    }
    return out + '"';
}

std::string iso_time(std::chrono::system_clock::time_point t) {
    using namespace std::chrono;
    const auto us = duration_cast<microseconds>(t.time_since_epoch()).count();
    const std::time_t secs = static_cast<std::time_t>(us / 1000000);
    std::tm tm{};
    ::gmtime_r(&secs, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    return fmt::format("{}.{:06}Z", buf, us % 1000000);
}

device_row make_row(const kctl::device_entry& e) {
    device_row r{e.name(), e.node(), e.major_number(), e.minor_number(), {}};
    for (std::size_t i = 0; i < r.access.size(); ++i)
        r.access[i] = e.access(kctl::concrete_transports[i]);
    return r;
}

namespace {

std::string access_text(kctl::access_mode m) {
    if (!m.read && !m.write)
        return "-";
    return std::string(m.read ? "r" : "") + (m.write ? "w" : "");
}

}  // namespace

json list_json(const std::vector<device_row>& rows) {
    json devices = json::array();
    for (const device_row& r : rows) {
        json transports = json::object();
        for (std::size_t i = 0; i < r.access.size(); ++i)
            transports[std::string(to_string(kctl::concrete_transports[i]))] = {
                {"read", r.access[i].read}, {"write", r.access[i].write}};
        devices.push_back({{"name", r.name},
                           {"node", r.node},
                           {"major", r.major},
                           {"minor", r.minor},
                           {"transports", transports}});
    }
    return {{"devices", devices}};
}

std::string list_text(const std::vector<device_row>& rows) {
    std::string out = fmt::format("{:<10} {:<16} {:<9} {}\n", "DEVICE", "NODE", "MAJ:MIN",
                                  "TRANSPORTS (r: read, w: write)");
    for (const device_row& r : rows) {
        std::string transports;
        for (std::size_t i = 0; i < r.access.size(); ++i)
            transports +=
                fmt::format("{}{}:{}", i ? " " : "", to_string(kctl::concrete_transports[i]),
                            access_text(r.access[i]));
        out += fmt::format("{:<10} {:<16} {:<9} {}\n", r.name, r.node.empty() ? "-" : r.node,
                           fmt::format("{}:{}", r.major, r.minor), transports);
    }
    return out;
}

std::string base64(std::string_view bytes) {
    static constexpr char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        const auto v = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i]) << 16 |
                                                  static_cast<unsigned char>(bytes[i + 1]) << 8 |
                                                  static_cast<unsigned char>(bytes[i + 2]));
        for (const int shift : {18, 12, 6, 0})
            out.push_back(alphabet[(v >> shift) & 63]);
    }
    if (const std::size_t rest = bytes.size() - i; rest > 0) {
        std::uint32_t v = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i]) << 16);
        if (rest == 2)
            v |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1]) << 8);
        out.push_back(alphabet[(v >> 18) & 63]);
        out.push_back(alphabet[(v >> 12) & 63]);
        out.push_back(rest == 2 ? alphabet[(v >> 6) & 63] : '=');
        out.push_back('=');
    }
    return out;
}

json msg_json(std::string_view message) {
    return {{"message", std::string(message)},
            {"message_base64", base64(message)},
            {"length", message.size()}};
}

json set_msg_json(std::string_view device, std::size_t length) {
    return {{"device", std::string(device)}, {"length", length}};
}

json add_json(std::string_view device, std::size_t values) {
    return {{"device", std::string(device)}, {"values", values}};
}

json reset_json(std::string_view device) {
    return {{"device", std::string(device)}};
}

json module_json(std::string_view module, bool loaded) {
    return {{"module", std::string(module)}, {"loaded", loaded}};
}

json sum_json(const kctl::sum_result& s) {
    return {{"sum", s.sum}, {"count", s.count}, {"generation", s.generation}};
}

std::string sum_text(const kctl::sum_result& s) {
    return fmt::format("sum: {}\ncount: {}\ngeneration: {}\n", s.sum, s.count, s.generation);
}

namespace {

constexpr std::array<info_field, info_field_count> info_fields = {
    info_field::driver,     info_field::version,     info_field::abi,       info_field::device,
    info_field::msg_max,    info_field::msg_len,     info_field::sum,       info_field::count,
    info_field::generation, info_field::opens,       info_field::ioctl_ops, info_field::sysfs_ops,
    info_field::proc_ops,   info_field::netlink_ops, info_field::uring_ops, info_field::random};

json info_value(const kctl::info& i, info_field f) {
    if (!i.has(f))
        return nullptr;
    if (const auto text = i.text(f))
        return *text;
    if (f == info_field::sum)
        return i.sum();
    return *i.number(f);
}

}  // namespace

json info_json(const kctl::info& i) {
    json j = json::object();
    for (const info_field f : info_fields)
        j[std::string(to_string(f))] = info_value(i, f);
    return j;
}

std::string info_text(const kctl::info& i) {
    std::string out;
    for (const info_field f : info_fields) {
        const json v = info_value(i, f);
        out += fmt::format("{}: {}\n", to_string(f),
                           v.is_null()     ? "-"
                           : v.is_string() ? v.get<std::string>()
                                           : v.dump());
    }
    return out;
}

change diff(const kctl::state& before, const kctl::state& now,
            std::chrono::system_clock::time_point when) {
    return {when, now, before.message != now.message, before.sum != now.sum,
            before.count != now.count};
}

json change_json(const change& c) {
    json changed = json::array();
    if (c.message)
        changed.push_back("message");
    if (c.sum)
        changed.push_back("sum");
    if (c.count)
        changed.push_back("count");
    return {
        {"time", iso_time(c.when)}, {"generation", c.now.generation},          {"changed", changed},
        {"message", c.now.message}, {"message_base64", base64(c.now.message)}, {"sum", c.now.sum},
        {"count", c.now.count}};
}

std::string change_text(const change& c) {
    std::string what;
    if (c.message)
        what += " message=" + quote(c.now.message);
    if (c.sum)
        what += fmt::format(" sum={}", c.now.sum);
    if (c.count)
        what += fmt::format(" count={}", c.now.count);
    if (what.empty())
        what = " no visible change";
    return fmt::format("{} generation {}:{}\n", iso_time(c.when), c.now.generation, what);
}

}  // namespace kctl::cli
