// SPDX-License-Identifier: GPL-2.0-or-later
// kctl batch [FILE|-]: kctl commands, one per line, run as one kctl::batch (one io_uring
// submission where io_uring is usable), one result per line.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <cstring>
#include <fstream>
#include <istream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "context.hpp"
#include "output.hpp"

namespace kctl::cli {

namespace {

/// Splits a line into words the way a shell would for these commands: blanks separate,
/// '...' and "..." quote (in "..." a backslash escapes " and \), a backslash outside
/// quotes escapes the next character, # at the start of a word starts a comment.
/// nullopt on an unterminated quote.
std::optional<std::vector<std::string>> split_words(std::string_view line) {
    std::vector<std::string> words;
    std::string w;
    bool in_word = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (c == ' ' || c == '\t' || c == '\r') {
            if (in_word)
                words.push_back(std::exchange(w, {}));
            in_word = false;
        } else if (c == '#' && !in_word) {
            break;
        } else if (c == '\'') {
            const std::size_t end = line.find('\'', i + 1);
            if (end == std::string_view::npos)
                return std::nullopt;
            w.append(line.substr(i + 1, end - i - 1));
            i = end;
            in_word = true;
        } else if (c == '"') {
            std::size_t j = i + 1;
            for (; j < line.size() && line[j] != '"'; ++j) {
                if (line[j] == '\\' && j + 1 < line.size() &&
                    (line[j + 1] == '"' || line[j + 1] == '\\'))
                    ++j;
                w += line[j];
            }
            if (j >= line.size())
                return std::nullopt;
            i = j;
            in_word = true;
        } else if (c == '\\' && i + 1 < line.size()) {
            w += line[++i];
            in_word = true;
        } else {
            w += c;
            in_word = true;
        }
    }
    if (in_word)
        words.push_back(std::move(w));
    return words;
}

/// One parsed line.
struct entry {
    std::size_t line = 0;
    std::string command;
    std::string device;  // "" = the batch's -d
    std::vector<std::int64_t> values;
    std::string text;
    std::size_t index = 0;  // in the batch
};

/// Parses one line's words; throws CLI::ValidationError (a usage error) if malformed.
entry parse_line(std::size_t n, std::vector<std::string> words) {
    entry e;
    e.line = n;
    auto bad = [n](const std::string& why) {
        return CLI::ValidationError(fmt::format("line {}: {}", n, why));
    };
    std::size_t i = 0;
    for (; i < words.size() && words[i].starts_with('-'); ++i) {
        const std::string& w = words[i];
        if (w == "-d" || w == "--device") {
            if (++i >= words.size())
                throw bad(w + " needs a value");
            e.device = words[i];
        } else if (w.starts_with("--device=")) {
            e.device = w.substr(9);
        } else {
            throw bad("option " + w + " is not allowed in a batch (only -d/--device)");
        }
    }
    if (i >= words.size())
        throw bad("no command");
    e.command = words[i++];
    const std::size_t args = words.size() - i;
    if (e.command == "add") {
        if (args == 0)
            throw bad("add needs at least one value");
        for (; i < words.size(); ++i) {
            std::int64_t v = 0;
            if (kctl::parse_number(words[i], v) != 0)
                throw bad("not a decimal 64-bit integer: " + words[i]);
            e.values.push_back(v);
        }
    } else if (e.command == "set-msg") {
        if (args != 1)
            throw bad("set-msg takes one TEXT (quote it)");
        e.text = words[i];
    } else if (e.command == "get-msg" || e.command == "sum" || e.command == "reset" ||
               e.command == "info") {
        if (args != 0)
            throw bad(e.command + " takes no arguments");
    } else {
        throw bad("command not allowed in a batch: " + e.command +
                  " (get-msg, set-msg, add, sum, reset, info)");
    }
    return e;
}

std::string result_text(const entry& e, const kctl::batch_result& r) {
    if (e.command == "sum")
        return fmt::format("sum={} count={} generation={}", r.sum.sum, r.sum.count,
                           r.sum.generation);
    if (e.command == "get-msg")
        return quote(r.message);
    if (e.command == "info") {
        std::string out;
        for (const std::string& line : {info_text(r.info)}) {
            std::size_t start = 0;
            for (std::size_t nl; (nl = line.find('\n', start)) != std::string::npos;
                 start = nl + 1) {
                std::string kv = line.substr(start, nl - start);
                const std::size_t colon = kv.find(": ");
                if (colon != std::string::npos)
                    kv.replace(colon, 2, "=");
                out += (out.empty() ? "" : " ") + kv;
            }
        }
        return out;
    }
    return "ok";
}

json result_json(const entry& e, const std::string& device, const kctl::batch_result& r) {
    json j = {{"format", "kctl-batch"}, {"version", json_version},
              {"line", e.line},         {"command", e.command},
              {"device", device},       {"transport", std::string(to_string(r.transport))},
              {"ok", r.error == 0}};
    if (r.error != 0) {
        const char* name = strerrorname_np(r.error);
        j["errno"] = r.error;
        j["error"] = name ? name : std::to_string(r.error);
        j["strerror"] = std::strerror(r.error);  // not "message": get-msg's field
        return j;
    }
    if (e.command == "sum")
        j.update(sum_json(r.sum));
    else if (e.command == "get-msg")
        j.update(msg_json(r.message));
    else if (e.command == "info")
        j["info"] = info_json(r.info);
    else if (e.command == "add")
        j["values"] = e.values.size();
    else if (e.command == "set-msg")
        j["length"] = e.text.size();
    return j;
}

int run_batch(context& ctx, const std::string& file) {
    std::ifstream f;
    std::istream* in = &ctx.streams.in;
    if (file != "-") {
        f.open(file);
        if (!f)
            throw failure(errno, file);
        in = &f;
    }
    std::vector<entry> entries;
    std::string line;
    for (std::size_t n = 1; std::getline(*in, line); ++n) {
        auto words = split_words(line);
        if (!words)
            throw CLI::ValidationError(fmt::format("line {}: unterminated quote", n));
        if (!words->empty())
            entries.push_back(parse_line(n, std::move(*words)));
    }
    if (in->bad())
        throw failure(EIO, file);

    kctl::batch_options o;
    const kctl::transport_kind t = *kctl::parse_transport(ctx.g.transport);
    o.set_transport(t == kctl::transport_kind::automatic ? kctl::transport_kind::uring : t);
    if (ctx.g.verbose) {
        std::ostream& err = ctx.streams.err;
        o.set_log([&err](std::string_view l) { err << "kctl: " << l << '\n'; });
    }
    kctl::batch b(o);

    // Each device is looked up once; a name that finds none fails its lines only.
    std::map<std::string, std::optional<kctl::device_entry>> devices;
    std::vector<std::string> names(entries.size());
    std::vector<int> lookup_err(entries.size(), 0);
    for (std::size_t k = 0; k < entries.size(); ++k) {
        entry& e = entries[k];
        const std::string& name = e.device.empty() ? ctx.g.device : e.device;
        auto [it, fresh] = devices.try_emplace(name);
        if (fresh) {
            try {
                it->second = kctl::find_device(name);
            } catch (const kctl::error&) {
            }
        }
        if (!it->second) {
            lookup_err[k] = ENODEV;
            names[k] = name.empty() ? kctl::default_device_name() : name;
            continue;
        }
        const kctl::device_entry& d = *it->second;
        names[k] = d.name();
        if (e.command == "add")
            e.index = b.add(d, e.values);
        else if (e.command == "set-msg")
            e.index = b.set_msg(d, e.text);
        else if (e.command == "get-msg")
            e.index = b.get_msg(d);
        else if (e.command == "sum")
            e.index = b.sum(d);
        else if (e.command == "reset")
            e.index = b.reset(d);
        else
            e.index = b.info(d);
    }
    const std::vector<kctl::batch_result>& results = b.run();

    bool any_failed = false;
    for (std::size_t k = 0; k < entries.size(); ++k) {
        const entry& e = entries[k];
        kctl::batch_result none;
        none.error = lookup_err[k];
        const kctl::batch_result& r = lookup_err[k] ? none : results.at(e.index);
        if (r.error != 0) {
            any_failed = true;
            ctx.streams.err << "kctl: batch: line " << e.line << ": " << e.command << ": "
                            << names[k] << " via " << to_string(r.transport) << ": "
                            << std::strerror(r.error) << '\n';
        }
        if (ctx.g.json)
            ctx.streams.out << dump(result_json(e, names[k], r)) << '\n';
        else
            ctx.streams.out << e.line << ' ' << e.command << ' ' << names[k] << ": "
                            << (r.error ? std::string("error: ") + std::strerror(r.error)
                                        : result_text(e, r))
                            << '\n';
    }
    ctx.streams.out << std::flush;
    return any_failed ? exit_failure : exit_ok;
}

}  // namespace

void add_batch_command(CLI::App& app, context& ctx) {
    auto file = std::make_shared<std::string>("-");
    auto cmd = app.add_subcommand(
        "batch",
        "Run kctl commands (get-msg, set-msg, add, sum, reset, info; one per line, same syntax, "
        "-d allowed per line) as one batch: one io_uring submission where io_uring is usable, "
        "else one by one through the fastest transport. Prints one result per line (--json: "
        "one object per line); exit status 1 if any failed");
    cmd->add_option("FILE", *file, "The commands; - (the default) reads standard input");
    cmd->callback(
        [&ctx, file] { ctx.run_later("batch", [&ctx, file] { return run_batch(ctx, *file); }); });
}

}  // namespace kctl::cli
