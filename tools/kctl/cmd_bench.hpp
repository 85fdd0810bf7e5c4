// SPDX-License-Identifier: GPL-2.0-or-later
// kctl bench's output: the aligned table, the JSON document (docs/bench-schema.json), the
// progress line. Pure functions, unit-tested in tests/unit/bench_test.cpp.
#ifndef KCTL_TOOL_CMD_BENCH_HPP
#define KCTL_TOOL_CMD_BENCH_HPP

#include <kctl/bench.hpp>
#include <kctl/kctl.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "output.hpp"

namespace kctl::cli {

/// The JSON schema of bench_json(), docs/bench-schema.json as it was at build time.
std::string_view bench_schema();

/// The document `kctl bench --json` prints.
json bench_json(const kctl::bench::report& r);
/// The report as aligned tables: environment, rows by section, targets.
std::string bench_text(const kctl::bench::report& r);

/// A report back from bench_json()'s document (`kctl bench --from FILE`). Throws
/// std::invalid_argument (or nlohmann::json's exceptions) if it is not one.
kctl::bench::report bench_from_json(const json& j);

/// `kctl bench --list`: the rows a run would have.
json bench_plan_json(const std::vector<kctl::bench::row>& rows);
std::string bench_plan_text(const std::vector<kctl::bench::row>& rows);

/// One progress line, without line ending ("warm-up 3/98: ioctl sum, 4 s of ~61 s").
std::string bench_progress(const kctl::bench::progress& p);

/// 950 ns, 1.23 us, 45.6 ms, 1.20 s (ASCII, so that columns stay aligned).
std::string format_ns(double ns);
/// 950, 12.3k, 1.23M, 4.56G.
std::string format_count(double n);

}  // namespace kctl::cli

#endif
