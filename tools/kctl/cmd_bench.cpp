// SPDX-License-Identifier: GPL-2.0-or-later
// kctl bench: every transport on every operation, side by side (libkctl's kctl::bench), as
// an aligned table or one JSON document (docs/bench-schema.json).
#include "cmd_bench.hpp"

#include <fmt/format.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <memory>
#include <thread>

#include "context.hpp"
#include "validators.hpp"

namespace kctl::cli {

namespace bn = kctl::bench;

namespace {

constexpr bn::section section_list[] = {
    bn::section::floor,   bn::section::operation, bn::section::file,   bn::section::batch,
    bn::section::message, bn::section::threads,   bn::section::wakeup, bn::section::submit};

json number_or_null(double v) {
    return std::isfinite(v) ? json(v) : json(nullptr);
}

json optional_number(const std::optional<double>& v) {
    return v ? number_or_null(*v) : json(nullptr);
}

json row_json(const bn::row& r) {
    const bool ok = r.measured();
    json j;
    j["id"] = r.id;
    j["section"] = std::string(to_string(r.section));
    j["label"] = r.label;
    j["transport"] = r.transport;
    j["op"] = r.op;
    j["variant"] = r.variant;
    j["param"] = r.param ? json(r.param) : json(nullptr);
    j["status"] = std::string(
        to_string(r.status == bn::row_status::planned ? bn::row_status::skipped : r.status));
    j["note"] = r.note;
    const bn::statistics& s = r.stats;
    j["samples"] = ok ? json(s.samples) : json(nullptr);
    j["ops"] = ok ? json(s.ops) : json(nullptr);
    j["group"] = ok ? json(s.group) : json(nullptr);
    j["median_ns"] = ok ? number_or_null(s.median_ns) : json(nullptr);
    j["mean_ns"] = ok ? number_or_null(s.mean_ns) : json(nullptr);
    j["p99_ns"] = ok ? number_or_null(s.p99_ns) : json(nullptr);
    j["min_ns"] = ok ? number_or_null(s.min_ns) : json(nullptr);
    j["max_ns"] = ok ? number_or_null(s.max_ns) : json(nullptr);
    j["ops_per_s"] = ok ? number_or_null(r.ops_per_s) : json(nullptr);
    j["items"] = r.items.empty() ? json(nullptr) : json(r.items);
    j["items_per_s"] = ok && !r.items.empty() ? number_or_null(r.items_per_s) : json(nullptr);
    j["ratio_to_null_ioctl"] = ok ? optional_number(r.ratio_to_null_ioctl) : json(nullptr);
    j["time_s"] = r.time_s;
    return j;
}

json target_json(const bn::target& t) {
    return {{"id", t.id},
            {"description", t.description},
            {"numerator", t.numerator},
            {"denominator", t.denominator},
            {"quantity", t.quantity},
            {"compare", t.at_least ? ">=" : "<="},
            {"goal", t.goal},
            {"ratio", optional_number(t.ratio)},
            {"met", t.met ? json(*t.met) : json(nullptr)}};
}

json string_list(const auto& items) {
    json j = json::array();
    for (const auto& i : items)
        j.push_back(std::string(to_string(i)));
    return j;
}

json or_null(const std::string& s) {
    return s.empty() ? json(nullptr) : json(s);
}

}  // namespace

json bench_json(const bn::report& r) {
    const bn::environment& e = r.env;
    json env;
    env["kernel"] = {{"sysname", e.sysname},
                     {"release", e.release},
                     {"version", e.version},
                     {"machine", e.machine}};
    env["cpu"] = {{"model", e.cpu_model}, {"count", e.cpus}};
    env["virtualization"] = {{"hypervisor", or_null(e.hypervisor)},
                             {"hypervisor_flag", e.hypervisor_flag},
                             {"emulated", e.emulated},
                             {"sys_vendor", e.sys_vendor},
                             {"product_name", e.product_name}};
    env["clock"] = {{"source", e.clocksource},
                    {"clock_gettime_ns", e.clock_ns},
                    {"group_clock", e.tick},
                    {"group_clock_ns", e.tick_ns}};
    json mitigations = json::object();
    for (const auto& [k, v] : e.mitigations)
        mitigations[k] = v;
    env["mitigations"] = mitigations;
    env["user"] = {{"uid", e.uid}, {"euid", e.euid}, {"can_write", e.can_write}};
    env["device"] = {{"name", e.device},
                     {"node", e.node},
                     {"driver_version", or_null(e.driver_version)},
                     {"abi", e.abi ? json(e.abi) : json(nullptr)},
                     {"msg_max", e.msg_max}};
    env["library_version"] = e.library_version;
    env["git_revision"] = e.git_revision;
    env["floors"] = {{"null_syscall", e.null_syscall}, {"null_ioctl", e.null_ioctl}};

    const bn::options& o = r.settings;
    json settings;
    settings["duration_s"] = o.duration.count();
    settings["samples"] = o.samples;
    settings["transports"] =
        o.transports.empty() ? string_list(kctl::concrete_transports) : string_list(o.transports);
    settings["ops"] =
        o.operations.empty() ? string_list(kctl::all_operations) : string_list(o.operations);
    settings["max_threads"] = o.max_threads;

    json rows = json::array();
    for (const bn::row& row : r.rows)
        rows.push_back(row_json(row));
    json targets = json::array();
    for (const bn::target& t : r.targets)
        targets.push_back(target_json(t));

    json j;
    j["format"] = "kdemo-bench";
    j["version"] = 1;
    j["kctl_version"] = KCTL_VERSION_STRING;
    j["date"] = iso_time(e.date);
    j["elapsed_s"] = r.elapsed_s;
    j["environment"] = env;
    j["settings"] = settings;
    j["rows"] = rows;
    j["targets"] = targets;
    return j;
}

std::string format_ns(double ns) {
    if (!std::isfinite(ns))
        return "-";
    if (ns < 1e3)
        return fmt::format("{:.{}f} ns", ns, ns < 10 ? 2 : ns < 100 ? 1 : 0);
    const char* unit = "us";
    double v = ns / 1e3;
    if (ns >= 1e9) {
        unit = "s";
        v = ns / 1e9;
    } else if (ns >= 1e6) {
        unit = "ms";
        v = ns / 1e6;
    }
    return fmt::format("{:.{}f} {}", v, v < 10 ? 2 : v < 100 ? 1 : 0, unit);
}

std::string format_count(double n) {
    if (!std::isfinite(n))
        return "-";
    const char* suffix = "";
    double v = n;
    if (n >= 1e9) {
        suffix = "G";
        v = n / 1e9;
    } else if (n >= 1e6) {
        suffix = "M";
        v = n / 1e6;
    } else if (n >= 1e3) {
        suffix = "k";
        v = n / 1e3;
    }
    if (*suffix == '\0' && v >= 100)
        return fmt::format("{:.0f}", v);
    return fmt::format("{:.{}f}{}", v, v < 10 ? 2 : v < 100 ? 1 : 0, suffix);
}

namespace {

std::string section_title(bn::section s) {
    switch (s) {
        case bn::section::floor:
            return "Floors";
        case bn::section::operation:
            return "Operations: each transport through libkctl";
        case bn::section::file:
            return "One file: a descriptor kept open vs open/read/close per read";
        case bn::section::batch:
            return "add() with n values per call (ioctl: ADD for one, ADD_BATCH for more)";
        case bn::section::message:
            return "Message size: get-msg and set-msg";
        case bn::section::threads:
            return "Threads on one device, each with its own descriptors (OPS/S: all together)";
        case bn::section::wakeup:
            return "Wake-up: a change in one thread to poll() returning in another";
        case bn::section::submit:
            return "Commands per submission: kctl::batch through io_uring (time per command)";
    }
    return {};
}

std::string throughput(const bn::row& r) {
    if (!r.measured() || r.items.empty())
        return "";
    if (r.items == "bytes")
        return format_count(r.items_per_s) + "B/s";
    return format_count(r.items_per_s) + " " + r.items + "/s";
}

std::string row_note(const bn::row& r) {
    if (r.status == bn::row_status::failed)
        return "FAILED: " + r.note;
    if (!r.measured())
        return "skipped: " + (r.note.empty() ? std::string("not run") : r.note);
    return r.note;
}

std::string ratio_text(const std::optional<double>& r) {
    if (!r || !std::isfinite(*r))
        return "-";
    return fmt::format("{:.{}f}", *r, *r < 10 ? 2 : *r < 100 ? 1 : 0);
}

std::string environment_text(const bn::report& r) {
    const bn::environment& e = r.env;
    std::string out;
    out += fmt::format("kctl bench on {}: kdemo {}{}, msg_max {}; libkctl {}, kctl {}\n", e.device,
                       e.driver_version.empty() ? "?" : e.driver_version,
                       e.abi ? fmt::format(" (ABI {})", e.abi) : std::string(), e.msg_max,
                       e.library_version, KCTL_VERSION_STRING);
    out += fmt::format("{} {} {} ({})\n", e.sysname, e.release, e.machine, e.version);
    std::string virt = e.hypervisor.empty() ? "no hypervisor" : "hypervisor " + e.hypervisor;
    if (e.emulated)
        virt += ", emulated (QEMU TCG: every instruction is translated)";
    out += fmt::format("CPU: {} x{}; {}{}\n", e.cpu_model, e.cpus, virt,
                       e.sys_vendor.empty() ? "" : "; " + e.sys_vendor + " " + e.product_name);
    out += fmt::format(
        "Clocks: clock_gettime {} per read (clocksource {}); groups timed with {}, {} per read\n",
        format_ns(e.clock_ns), e.clocksource.empty() ? "?" : e.clocksource, e.tick,
        format_ns(e.tick_ns));
    out +=
        fmt::format("Run: {}, {} samples per row (interleaved rounds), {:.1f} s; uid {}{}\n",
                    iso_time(e.date), r.settings.samples, r.elapsed_s, e.uid,
                    e.can_write ? ", device writable" : ", device NOT writable: mutations skipped");
    return out;
}

}  // namespace

std::string bench_text(const bn::report& r) {
    std::size_t width = 28;
    for (const bn::row& row : r.rows)
        width = std::max(width, row.label.size() + 2);
    for (const bn::target& t : r.targets)
        width = std::max(width, t.description.size());

    std::string out = environment_text(r);
    const std::string head =
        fmt::format("{:<{}} {:>8} {:>10} {:>10} {:>10} {:>7} {:>16}  {}\n", "", width, "OPS/S",
                    "MEDIAN", "MEAN", "P99", "/NULL", "THROUGHPUT", "NOTE");
    std::optional<bn::section> current;
    for (const bn::row& row : r.rows) {
        if (row.section != current) {
            current = row.section;
            out += "\n" + section_title(row.section) + "\n";
            out += head;
        }
        const bool ok = row.measured();
        const bool events = row.section == bn::section::wakeup;
        out += fmt::format(
            "  {:<{}} {:>8} {:>10} {:>10} {:>10} {:>7} {:>16}  {}\n", row.label, width - 2,
            ok && !events ? format_count(row.ops_per_s) : "-",
            ok ? format_ns(row.stats.median_ns) : "-", ok ? format_ns(row.stats.mean_ns) : "-",
            ok ? format_ns(row.stats.p99_ns) : "-", ok ? ratio_text(row.ratio_to_null_ioctl) : "-",
            throughput(row), row_note(row));
    }
    out +=
        "\nMEDIAN: median over the samples of each sample's median time per operation (timed\n"
        "in groups; group size in the JSON); MEAN: the same for each sample's mean, which\n"
        "counts interruptions and deferred work (wake-up: over events); P99: 99th percentile\n"
        "over all timed groups; OPS/S: 1/MEDIAN (threads: all threads, per wall second);\n"
        "/NULL: MEDIAN divided by the null ioctl's MEDIAN. docs/BENCHMARKS.md has the rest.\n";

    out += "\nTargets (ratios of medians measured in this run)\n";
    for (const bn::target& t : r.targets) {
        out +=
            fmt::format("  {:<{}} {:>8} {} {:<5} {}\n", t.description, width - 2,
                        ratio_text(t.ratio), t.at_least ? ">=" : "<=", fmt::format("{:g}", t.goal),
                        !t.met   ? "not measured"
                        : *t.met ? "met"
                                 : "NOT MET");
    }
    return out;
}

namespace {

double num_or(const json& j, const char* key, double fallback = 0) {
    return j.contains(key) && j[key].is_number() ? j[key].get<double>() : fallback;
}

std::string str_or(const json& j, const char* key) {
    return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

std::chrono::system_clock::time_point parse_time(const std::string& iso) {
    std::tm tm{};
    int micro = 0;
    if (std::sscanf(iso.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                    &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &micro) < 6)
        return {};
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return std::chrono::system_clock::from_time_t(::timegm(&tm)) + std::chrono::microseconds(micro);
}

template <typename T, std::size_t N>
std::optional<T> named(const T (&all)[N], const std::string& name) {
    for (const T& v : all)
        if (to_string(v) == name)
            return v;
    return std::nullopt;
}

}  // namespace

bn::report bench_from_json(const json& j) {
    if (!j.is_object() || j.value("format", "") != "kdemo-bench" || j.value("version", 0) != 1)
        throw std::invalid_argument("not a kctl bench --json document (format kdemo-bench 1)");
    bn::report r;
    const json& e = j.at("environment");
    bn::environment& env = r.env;
    env.date = parse_time(j.at("date").get<std::string>());
    env.sysname = str_or(e.at("kernel"), "sysname");
    env.release = str_or(e.at("kernel"), "release");
    env.version = str_or(e.at("kernel"), "version");
    env.machine = str_or(e.at("kernel"), "machine");
    env.cpu_model = str_or(e.at("cpu"), "model");
    env.cpus = e.at("cpu").value("count", 0U);
    const json& v = e.at("virtualization");
    env.hypervisor = str_or(v, "hypervisor");
    env.hypervisor_flag = v.value("hypervisor_flag", false);
    env.emulated = v.value("emulated", false);
    env.sys_vendor = str_or(v, "sys_vendor");
    env.product_name = str_or(v, "product_name");
    const json& c = e.at("clock");
    env.clocksource = str_or(c, "source");
    env.clock_ns = num_or(c, "clock_gettime_ns");
    env.tick = str_or(c, "group_clock");
    env.tick_ns = num_or(c, "group_clock_ns");
    for (const auto& [k, val] : e.at("mitigations").items())
        env.mitigations[k] = val.get<std::string>();
    env.uid = e.at("user").value("uid", 0U);
    env.euid = e.at("user").value("euid", 0U);
    env.can_write = e.at("user").value("can_write", false);
    const json& d = e.at("device");
    env.device = str_or(d, "name");
    env.node = str_or(d, "node");
    env.driver_version = str_or(d, "driver_version");
    env.abi = d.at("abi").is_number() ? d["abi"].get<std::uint32_t>() : 0;
    env.msg_max = d.value("msg_max", std::uint64_t{0});
    env.library_version = str_or(e, "library_version");
    env.git_revision = str_or(e, "git_revision");
    env.null_syscall = str_or(e.at("floors"), "null_syscall");
    env.null_ioctl = str_or(e.at("floors"), "null_ioctl");

    const json& s = j.at("settings");
    r.settings.duration = std::chrono::duration<double>(num_or(s, "duration_s", 60));
    r.settings.samples = s.value("samples", 15U);
    r.settings.max_threads = s.value("max_threads", 0U);
    for (const json& t : s.at("transports"))
        if (const auto k = kctl::parse_transport(t.get<std::string>()))
            r.settings.transports.push_back(*k);
    for (const json& o : s.at("ops"))
        if (const auto op = named(kctl::all_operations, o.get<std::string>()))
            r.settings.operations.push_back(*op);
    r.elapsed_s = num_or(j, "elapsed_s");

    for (const json& x : j.at("rows")) {
        bn::row row;
        row.id = x.at("id");
        row.section = named(section_list, x.at("section").get<std::string>())
                          .value_or(bn::section::operation);
        row.label = x.at("label");
        row.transport = x.at("transport");
        row.op = x.at("op");
        row.variant = x.at("variant");
        row.param = x.at("param").is_number() ? x["param"].get<std::uint64_t>() : 0;
        const std::string status = x.at("status");
        row.status = status == "ok"       ? bn::row_status::measured
                     : status == "failed" ? bn::row_status::failed
                                          : bn::row_status::skipped;
        row.note = x.at("note");
        if (row.measured()) {
            row.stats.median_ns = num_or(x, "median_ns");
            row.stats.mean_ns = num_or(x, "mean_ns");
            row.stats.p99_ns = num_or(x, "p99_ns");
            row.stats.min_ns = num_or(x, "min_ns");
            row.stats.max_ns = num_or(x, "max_ns");
            row.stats.samples = x.value("samples", 0U);
            row.stats.ops = x.value("ops", std::uint64_t{0});
            row.stats.group = x.value("group", 1U);
            row.ops_per_s = num_or(x, "ops_per_s");
            row.items = x.at("items").is_string() ? x["items"].get<std::string>() : "";
            row.items_per_s = num_or(x, "items_per_s");
            if (x.at("ratio_to_null_ioctl").is_number())
                row.ratio_to_null_ioctl = x["ratio_to_null_ioctl"].get<double>();
        }
        row.time_s = num_or(x, "time_s");
        r.rows.push_back(std::move(row));
    }
    r.targets = bn::evaluate_targets(r.rows);
    return r;
}

json bench_plan_json(const std::vector<bn::row>& rows) {
    json j = json::array();
    for (const bn::row& r : rows)
        j.push_back({{"id", r.id},
                     {"section", std::string(to_string(r.section))},
                     {"label", r.label},
                     {"transport", r.transport},
                     {"op", r.op},
                     {"variant", r.variant},
                     {"param", r.param ? json(r.param) : json(nullptr)},
                     {"weight", r.weight}});
    return {{"rows", j}};
}

std::string bench_plan_text(const std::vector<bn::row>& rows) {
    std::size_t width = 10;
    for (const bn::row& r : rows)
        width = std::max(width, r.id.size());
    std::string out;
    for (const bn::row& r : rows)
        out += fmt::format("{:<{}}  {:<9}  {}\n", r.id, width, to_string(r.section), r.label);
    return out;
}

std::string bench_progress(const bn::progress& p) {
    const std::string phase =
        p.round == 0 ? std::string("warm-up") : fmt::format("round {}/{}", p.round, p.rounds);
    return fmt::format("kctl bench: {} {}/{}: {} ({:.0f} s of ~{:.0f} s)", phase, p.row, p.rows,
                       p.label, p.elapsed_s, std::max(p.expected_s, p.elapsed_s));
}

namespace {

struct bench_args {
    double duration = 60;
    unsigned samples = 15;
    std::vector<std::string> transports;
    std::vector<std::string> ops;
    unsigned threads = 0;
    bool list = false;
    bool schema = false;
    std::string from;
};

bn::options make_options(const context& ctx, const bench_args& a) {
    bn::options o;
    o.device = ctx.g.device;
    o.duration = std::chrono::duration<double>(a.duration);
    o.samples = a.samples;
    o.max_threads = a.threads;
    for (const std::string& t : a.transports)
        o.transports.push_back(*kctl::parse_transport(t));  // checked by CLI11
    for (const std::string& name : a.ops)
        for (const kctl::operation op : kctl::all_operations)
            if (to_string(op) == name)
                o.operations.push_back(op);
    return o;
}

int bench(const context& ctx, const bench_args& a) {
    std::ostream& out = ctx.streams.out;
    // Every transport is measured side by side: the global -t would mean nothing here.
    if (ctx.g.transport != "auto")
        throw CLI::ValidationError("--transport",
                                   "bench measures every transport; choose rows with "
                                   "--transports " +
                                       ctx.g.transport);
    if (a.schema) {
        out << bench_schema() << std::flush;
        return exit_ok;
    }
    if (!a.from.empty()) {  // a saved run, as a table (or JSON again)
        std::ifstream in(a.from);
        if (!in)
            throw failure(errno, a.from);
        json doc;
        try {
            doc = json::parse(in);
        } catch (const json::exception& e) {
            throw failure(0, a.from + ": " + e.what());
        }
        bn::report r;
        try {
            r = bench_from_json(doc);
        } catch (const std::exception& e) {
            throw failure(0, a.from + ": " + e.what());
        }
        out << (ctx.g.json ? dump(bench_json(r)) + '\n' : bench_text(r)) << std::flush;
        return exit_ok;
    }
    bn::options o = make_options(ctx, a);
    if (a.list) {
        kctl::device d = ctx.open_device();
        const unsigned cpus = std::thread::hardware_concurrency();
        const auto rows =
            bn::plan(o, d.info().msg_max(), a.threads ? a.threads : std::max(2U, cpus));
        out << (ctx.g.json ? dump(bench_plan_json(rows)) + '\n' : bench_plan_text(rows))
            << std::flush;
        return exit_ok;
    }
    std::ostream& err = ctx.streams.err;
    const bool tty = &err == &std::cerr && ::isatty(STDERR_FILENO) == 1;
    if (tty) {  // at most ten updates a second
        auto last = std::make_shared<std::chrono::steady_clock::time_point>();
        o.on_progress = [&err, last](const bn::progress& p) {
            const auto now = std::chrono::steady_clock::now();
            if (now - *last < std::chrono::milliseconds(100))
                return;
            *last = now;
            err << "\r\033[K" << bench_progress(p) << std::flush;
        };
    } else if (ctx.g.verbose) {  // -v without a terminal: a line per round, for logs
        auto last_round = std::make_shared<unsigned>(~0U);
        o.on_progress = [&err, last_round](const bn::progress& p) {
            if (p.round == *last_round)
                return;
            *last_round = p.round;
            err << bench_progress(p) << '\n' << std::flush;
        };
    }
    bn::report r;
    try {
        r = bn::run(o);
    } catch (...) {
        if (tty)
            err << "\r\033[K" << std::flush;
        throw;
    }
    if (tty)
        err << "\r\033[K" << std::flush;
    out << (ctx.g.json ? dump(bench_json(r)) + '\n' : bench_text(r)) << std::flush;

    std::size_t failed = 0;
    for (const bn::row& row : r.rows)
        failed += row.status == bn::row_status::failed;
    if (failed != 0)
        throw failure(
            0, fmt::format("{} row{} failed (see the report)", failed, failed == 1 ? "" : "s"));
    return exit_ok;
}

}  // namespace

void add_bench_command(CLI::App& app, context& ctx) {
    auto a = std::make_shared<bench_args>();
    auto cmd = app.add_subcommand(
        "bench",
        "Measure every transport on every operation against a null syscall and a null ioctl "
        "(docs/BENCHMARKS.md); the device's message is restored, its accumulator left reset");
    cmd->add_option("--duration", a->duration,
                    "About how long the run takes, in seconds (default 60)")
        ->check(positive_number);
    cmd->add_option("--samples", a->samples, "Samples (interleaved rounds) per row, 3..1000")
        ->check(CLI::Range(3U, 1000U));
    cmd->add_option("--transports", a->transports,
                    "Only these transports (comma-separated; the floors always run)")
        ->delimiter(',')
        ->check(CLI::IsMember({"mmap", "ioctl", "sysfs", "proc", "netlink", "uring"}));
    cmd->add_option("--ops", a->ops,
                    "Only these operations (comma-separated: get-msg,set-msg,sum,add,reset,info,"
                    "watch; watch is the wake-up latency)")
        ->delimiter(',')
        ->check(CLI::IsMember({"get-msg", "set-msg", "sum", "add", "reset", "info", "watch"}));
    cmd->add_option("--threads", a->threads,
                    "Most threads in the threads rows (default: online CPUs, at least 2)")
        ->check(CLI::Range(1U, 256U));
    cmd->add_flag("--list", a->list, "Print the rows a run would have, and exit");
    cmd->add_flag("--schema", a->schema, "Print the JSON schema of --json, and exit");
    cmd->add_option("--from", a->from,
                    "Print the report of a saved --json run instead of measuring (table, or "
                    "--json)")
        ->check(CLI::ExistingFile);
    cmd->callback([&ctx, a] { ctx.run_later("bench", [&ctx, a] { return bench(ctx, *a); }); });
}

}  // namespace kctl::cli
