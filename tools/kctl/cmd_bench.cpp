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

// The JSON of the report: to_json/from_json beside the types (nlohmann::json finds them by
// argument-dependent lookup), names only from the types' to_string().
namespace kctl::bench {

namespace {

using kctl::cli::json;

json number_or_null(double v) {
    return std::isfinite(v) ? json(v) : json(nullptr);
}

json optional_number(const std::optional<double>& v) {
    return v ? number_or_null(*v) : json(nullptr);
}

json or_null(const std::string& s) {
    return s.empty() ? json(nullptr) : json(s);
}

double num_or(const json& j, const char* key, double fallback = 0) {
    return j.contains(key) && j[key].is_number() ? j[key].get<double>() : fallback;
}

std::string str_or(const json& j, const char* key) {
    return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

json string_list(const auto& items) {
    json j = json::array();
    for (const auto& i : items)
        j.push_back(std::string(to_string(i)));
    return j;
}

/// The value of `all` whose to_string() is `name`.
template <typename T, std::size_t N>
std::optional<T> named(const T (&all)[N], std::string_view name) {
    for (const T& v : all)
        if (to_string(v) == name)
            return v;
    return std::nullopt;
}

constexpr section all_sections[] = {section::floor,  section::operation, section::file,
                                    section::batch,  section::message,   section::threads,
                                    section::wakeup, section::submit};
constexpr row_status all_statuses[] = {row_status::measured, row_status::skipped,
                                       row_status::failed};

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

}  // namespace

void to_json(json& j, const row& r) {
    const bool ok = r.measured();
    const statistics& s = r.stats;
    auto when_ok = [ok](json v) { return ok ? std::move(v) : json(nullptr); };
    j = json::object();
    j["id"] = r.id;
    j["section"] = std::string(to_string(r.section));
    j["label"] = r.label;
    j["transport"] = std::string(transport_name(r));
    j["op"] = std::string(op_name(r));
    j["variant"] = std::string(to_string(r.variant));
    j["param"] = r.param ? json(r.param) : json(nullptr);
    j["status"] =
        std::string(to_string(r.status == row_status::planned ? row_status::skipped : r.status));
    j["note"] = r.note;
    j["samples"] = when_ok(s.samples);
    j["ops"] = when_ok(s.ops);
    j["group"] = when_ok(s.group);
    j["median_of_medians_ns"] = when_ok(number_or_null(s.median_of_medians_ns));
    j["median_of_means_ns"] = when_ok(number_or_null(s.median_of_means_ns));
    j["group_p99_ns"] = when_ok(number_or_null(s.group_p99_ns));
    j["min_sample_median_ns"] = when_ok(number_or_null(s.min_sample_median_ns));
    j["max_sample_median_ns"] = when_ok(number_or_null(s.max_sample_median_ns));
    j["sample_medians_ns"] = when_ok(s.sample_medians_ns);
    j["sample_means_ns"] = when_ok(s.sample_means_ns);
    j["ops_per_s"] = when_ok(number_or_null(r.ops_per_s));
    j["items"] = or_null(r.items);
    j["items_per_s"] = ok && !r.items.empty() ? number_or_null(r.items_per_s) : json(nullptr);
    j["ratio_to_null_ioctl"] = when_ok(optional_number(r.ratio_to_null_ioctl));
    j["time_s"] = r.time_s;
}

void from_json(const json& x, row& r) {
    r = row{};
    r.id = x.at("id");
    r.section =
        named(all_sections, x.at("section").get<std::string>()).value_or(section::operation);
    r.label = x.at("label");
    const std::string transport = x.at("transport");
    const std::string op = x.at("op");
    if (op == "nop")
        r.floor = floor_kind::uring_nop;
    else if (op == "null")
        r.floor = transport == "syscall"   ? floor_kind::null_syscall
                  : transport == "uring"   ? floor_kind::uring_null
                  : transport == "netlink" ? floor_kind::netlink_null
                                           : floor_kind::null_ioctl;
    r.transport = kctl::parse_transport(transport).value_or(transport_kind::ioctl);
    r.op = named(kctl::all_operations, op).value_or(operation::sum);
    r.variant = parse_variant(x.at("variant").get<std::string>()).value_or(variant::libkctl);
    r.param = x.at("param").is_number() ? x["param"].get<std::uint64_t>() : 0;
    r.status = named(all_statuses, x.at("status").get<std::string>()).value_or(row_status::skipped);
    r.note = x.at("note");
    if (r.measured()) {
        statistics& s = r.stats;
        s.median_of_medians_ns = num_or(x, "median_of_medians_ns");
        s.median_of_means_ns = num_or(x, "median_of_means_ns");
        s.group_p99_ns = num_or(x, "group_p99_ns");
        s.min_sample_median_ns = num_or(x, "min_sample_median_ns");
        s.max_sample_median_ns = num_or(x, "max_sample_median_ns");
        if (x.contains("sample_medians_ns") && x["sample_medians_ns"].is_array())
            s.sample_medians_ns = x["sample_medians_ns"].get<std::vector<double>>();
        if (x.contains("sample_means_ns") && x["sample_means_ns"].is_array())
            s.sample_means_ns = x["sample_means_ns"].get<std::vector<double>>();
        s.samples = x.value("samples", 0U);
        s.ops = x.value("ops", std::uint64_t{0});
        s.group = x.value("group", 1U);
        r.ops_per_s = num_or(x, "ops_per_s");
        r.items = str_or(x, "items");
        r.items_per_s = num_or(x, "items_per_s");
        if (x.at("ratio_to_null_ioctl").is_number())
            r.ratio_to_null_ioctl = x["ratio_to_null_ioctl"].get<double>();
    }
    r.time_s = num_or(x, "time_s");
}

void to_json(json& j, const target& t) {
    j = {{"id", t.id},
         {"description", t.description},
         {"numerator", t.numerator},
         {"denominator", t.denominator},
         {"quantity", std::string(to_string(t.quantity))},
         {"compare", t.at_least ? ">=" : "<="},
         {"goal", t.goal},
         {"ratio", optional_number(t.ratio)},
         {"ci_low", t.ci ? number_or_null(t.ci->low) : json(nullptr)},
         {"ci_high", t.ci ? number_or_null(t.ci->high) : json(nullptr)},
         {"ci_level", t.ci ? number_or_null(t.ci->level) : json(nullptr)},
         {"verdict", t.verdict == verdict::not_measured ? json(nullptr)
                                                        : json(std::string(to_string(t.verdict)))}};
}

void to_json(json& j, const environment& e) {
    j = json::object();
    j["kernel"] = {{"sysname", e.sysname},
                   {"release", e.release},
                   {"version", e.version},
                   {"machine", e.machine}};
    j["cpu"] = {{"model", e.cpu_model},
                {"count", e.cpus},
                {"measuring_cpu", e.measuring_cpu >= 0 ? json(e.measuring_cpu) : json(nullptr)}};
    j["virtualization"] = {{"hypervisor", or_null(e.hypervisor)},
                           {"hypervisor_flag", e.hypervisor_flag},
                           {"emulated", e.emulated},
                           {"sys_vendor", e.sys_vendor},
                           {"product_name", e.product_name}};
    j["clock"] = {{"source", e.clocksource},
                  {"clock_gettime_ns", e.clock_ns},
                  {"group_clock", e.tick},
                  {"group_clock_reason", e.tick_reason},
                  {"group_clock_ns", e.tick_ns}};
    json mitigations = json::object();
    for (const auto& [k, v] : e.mitigations)
        mitigations[k] = v;
    j["mitigations"] = mitigations;
    j["user"] = {{"uid", e.uid}, {"euid", e.euid}, {"can_write", e.can_write}};
    j["device"] = {{"name", e.device},
                   {"node", e.node},
                   {"driver_version", or_null(e.driver_version)},
                   {"abi", e.abi ? json(e.abi) : json(nullptr)},
                   {"msg_max", e.msg_max}};
    j["library_version"] = e.library_version;
    // "unknown" when not recorded (a version-1 document has no build type)
    j["git_revision"] = e.git_revision.empty() ? "unknown" : e.git_revision;
    j["build_type"] = e.build_type.empty() ? "unknown" : e.build_type;
    j["floors"] = {{"null_syscall", e.null_syscall}, {"null_ioctl", e.null_ioctl}};
}

void from_json(const json& e, environment& env) {
    env = environment{};
    env.sysname = str_or(e.at("kernel"), "sysname");
    env.release = str_or(e.at("kernel"), "release");
    env.version = str_or(e.at("kernel"), "version");
    env.machine = str_or(e.at("kernel"), "machine");
    const json& cpu = e.at("cpu");
    env.cpu_model = str_or(cpu, "model");
    env.cpus = cpu.value("count", 0U);
    env.measuring_cpu = cpu.contains("measuring_cpu") && cpu["measuring_cpu"].is_number()
                            ? cpu["measuring_cpu"].get<int>()
                            : -1;
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
    env.tick_reason = str_or(c, "group_clock_reason");
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
    env.build_type = str_or(e, "build_type");
    env.null_syscall = str_or(e.at("floors"), "null_syscall");
    env.null_ioctl = str_or(e.at("floors"), "null_ioctl");
}

void to_json(json& j, const options& o) {
    j = {{"duration_s", o.duration.count()},
         {"samples", o.samples},
         {"transports", o.transports.empty() ? string_list(kctl::concrete_transports)
                                             : string_list(o.transports)},
         {"ops",
          o.operations.empty() ? string_list(kctl::all_operations) : string_list(o.operations)},
         {"max_threads", o.max_threads}};
}

void from_json(const json& s, options& o) {
    o = options{};
    o.duration = std::chrono::duration<double>(num_or(s, "duration_s", 60));
    o.samples = s.value("samples", 15U);
    o.max_threads = s.value("max_threads", 0U);
    for (const json& t : s.at("transports"))
        if (const auto k = kctl::parse_transport(t.get<std::string>()))
            o.transports.push_back(*k);
    for (const json& op : s.at("ops"))
        if (const auto v = named(kctl::all_operations, op.get<std::string>()))
            o.operations.push_back(*v);
}

}  // namespace kctl::bench

namespace kctl::cli {

namespace bn = kctl::bench;

namespace {

/// The version this kctl writes; it reads it and version 1.
constexpr int bench_format_version = 2;

/// A version-1 row in the names of version 2: its statistics had names that did not say
/// what they were statistics of, and it had no samples (so no intervals).
json upgrade_row_v1(json x) {
    for (const auto& [v1, v2] :
         {std::pair{"median_ns", "median_of_medians_ns"},
          std::pair{"mean_ns", "median_of_means_ns"}, std::pair{"p99_ns", "group_p99_ns"},
          std::pair{"min_ns", "min_sample_median_ns"},
          std::pair{"max_ns", "max_sample_median_ns"}}) {
        if (x.contains(v1)) {
            x[v2] = x[v1];
            x.erase(v1);
        }
    }
    return x;
}

}  // namespace

json bench_json(const bn::report& r) {
    json j;
    j["format"] = "kdemo-bench";
    j["version"] = bench_format_version;
    j["kctl_version"] = KCTL_VERSION_STRING;
    j["date"] = iso_time(r.env.date);
    j["elapsed_s"] = r.elapsed_s;
    j["environment"] = r.env;
    j["settings"] = r.settings;
    j["rows"] = r.rows;
    j["targets"] = r.targets;
    return j;
}

bn::report bench_from_json(const json& j) {
    const int version = j.is_object() ? j.value("version", 0) : 0;
    if (!j.is_object() || j.value("format", "") != "kdemo-bench" ||
        (version != 1 && version != bench_format_version))
        throw std::invalid_argument(
            "not a kctl bench --json document (format kdemo-bench, version 1 or 2)");
    bn::report r;
    r.env = j.at("environment").get<bn::environment>();
    r.env.date = bn::parse_time(j.at("date").get<std::string>());
    r.settings = j.at("settings").get<bn::options>();
    r.elapsed_s = bn::num_or(j, "elapsed_s");
    for (const json& x : j.at("rows"))
        r.rows.push_back((version == 1 ? upgrade_row_v1(x) : x).get<bn::row>());
    r.targets = bn::evaluate_targets(r.rows);
    return r;
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
        "Clocks: clock_gettime {} per read (clocksource {}); groups timed with {}, {} per read{}\n",
        format_ns(e.clock_ns), e.clocksource.empty() ? "?" : e.clocksource, e.tick,
        format_ns(e.tick_ns), e.tick_reason.empty() ? "" : " (" + e.tick_reason + ")");
    out +=
        fmt::format("Run: {}, {} samples per row (interleaved rounds), {:.1f} s; uid {}{}\n",
                    iso_time(e.date), r.settings.samples, r.elapsed_s, e.uid,
                    e.can_write ? ", device writable" : ", device NOT writable: mutations skipped");
    out += fmt::format("Build: {} ({}); measuring thread {}\n",
                       e.git_revision.empty() ? "?" : e.git_revision,
                       e.build_type.empty() ? "build type ?" : e.build_type,
                       e.measuring_cpu >= 0 ? fmt::format("pinned to CPU {}", e.measuring_cpu)
                                            : std::string("not pinned"));
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
                    "MED(MED)", "MED(MEAN)", "GROUP P99", "/NULL", "THROUGHPUT", "NOTE");
    std::optional<bn::section> current;
    for (const bn::row& row : r.rows) {
        if (row.section != current) {
            current = row.section;
            out += "\n" + section_title(row.section) + "\n";
            out += head;
        }
        const bool ok = row.measured();
        const bool events = row.section == bn::section::wakeup;
        out += fmt::format("  {:<{}} {:>8} {:>10} {:>10} {:>10} {:>7} {:>16}  {}\n", row.label,
                           width - 2, ok && !events ? format_count(row.ops_per_s) : "-",
                           ok ? format_ns(row.stats.median_of_medians_ns) : "-",
                           ok ? format_ns(row.stats.median_of_means_ns) : "-",
                           ok ? format_ns(row.stats.group_p99_ns) : "-",
                           ok ? ratio_text(row.ratio_to_null_ioctl) : "-", throughput(row),
                           row_note(row));
    }
    out +=
        "\nMED(MED): the median over the samples of each sample's median time per operation\n"
        "(operations timed in groups; group size in the JSON; wake-up: of each sample's\n"
        "events); MED(MEAN): the median over the samples of each sample's mean time per\n"
        "operation, which counts interruptions and deferred work; GROUP P99: 99th percentile\n"
        "of the timed groups' time per operation (of single operations only where the group\n"
        "is 1; wake-up: of the events); OPS/S: 1/MED(MED) (threads: all threads, per wall\n"
        "second); /NULL: MED(MED) over the null ioctl's. docs/BENCHMARKS.md has the rest.\n";

    out += "\nTargets: the median of per-round ratios, [95% confidence interval]\n";
    for (const bn::target& t : r.targets) {
        const std::string ci =
            t.ci ? "[" + ratio_text(t.ci->low) + ", " + ratio_text(t.ci->high) + "]" : "";
        const char* verdict = t.verdict == bn::verdict::met            ? "met"
                              : t.verdict == bn::verdict::not_met      ? "NOT MET"
                              : t.verdict == bn::verdict::inconclusive ? "inconclusive"
                                                                       : "not measured";
        out += fmt::format("  {:<{}} {:>8} {:>18} {} {:<5} {}\n", t.description, width - 2,
                           ratio_text(t.ratio), ci,
                           t.at_least ? ">=" : "<=", fmt::format("{:g}", t.goal), verdict);
    }
    out +=
        "\nA verdict is met or NOT MET only when the whole interval is on one side of the goal;\n"
        "an interval across the goal is inconclusive (a run without samples: the ratio alone).\n";
    return out;
}

json bench_plan_json(const std::vector<bn::row>& rows) {
    json j = json::array();
    for (const bn::row& r : rows)
        j.push_back({{"id", r.id},
                     {"section", std::string(to_string(r.section))},
                     {"label", r.label},
                     {"transport", std::string(bn::transport_name(r))},
                     {"op", std::string(bn::op_name(r))},
                     {"variant", std::string(to_string(r.variant))},
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

/// The names of `all`, for CLI11's choices (libkctl's table is the one source).
template <typename T, std::size_t N>
std::vector<std::string> names_of(const T (&all)[N]) {
    std::vector<std::string> names;
    for (const T& v : all)
        names.emplace_back(to_string(v));
    return names;
}

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
                o.operations.push_back(op);  // checked by CLI11
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
            bn::plan(o, d.info().msg_max(), a.threads ? a.threads : std::max(2U, cpus),
                     static_cast<unsigned>(kctl::list_devices().size()));
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
        ->check(CLI::IsMember(names_of(kctl::concrete_transports)));
    cmd->add_option("--ops", a->ops,
                    "Only these operations (comma-separated: get-msg,set-msg,sum,add,reset,info,"
                    "watch; watch is the wake-up latency)")
        ->delimiter(',')
        ->check(CLI::IsMember(names_of(kctl::all_operations)));
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
