// SPDX-License-Identifier: GPL-2.0-or-later
// What every kctl command shares: the global options, the streams, how to open the device
// and how to report an error.
#ifndef KCTL_TOOL_CONTEXT_HPP
#define KCTL_TOOL_CONTEXT_HPP

#include <kctl/kctl.hpp>

#include <functional>
#include <iosfwd>
#include <stdexcept>
#include <string>

namespace CLI {
class App;
}

namespace kctl::cli {

/// Exit statuses.
inline constexpr int exit_ok = 0;
inline constexpr int exit_failure = 1;
inline constexpr int exit_usage = 2;

struct io {
    std::istream& in;
    std::ostream& out;
    std::ostream& err;
};

struct globals {
    std::string device;  // "" = kctl::default_device_name()
    std::string transport = "auto";
    bool json = false;
    bool verbose = false;
};

/// An error of kctl itself, printed as "kctl: COMMAND: WHAT: strerror(err)" (or without the
/// strerror part when err is 0).
class failure : public std::runtime_error {
  public:
    failure(int err, const std::string& what) : std::runtime_error(what), err_(err) {}
    int err() const noexcept { return err_; }

  private:
    int err_;
};

struct context {
    explicit context(io& s) : streams(s) {}

    io& streams;
    globals g;
    std::string command;          // for error messages: "set-msg", "udev install"
    std::function<int()> action;  // set by the chosen subcommand's callback

    /// Opens the device named by -d with the transport of -t; -v logs the chooser.
    kctl::device open_device() const;
    /// Sets what runs once parsing succeeded.
    void run_later(std::string name, std::function<int()> fn);
};

/// The command groups, one file each.
void add_list_command(CLI::App& app, context& ctx);
void add_msg_commands(CLI::App& app, context& ctx);
void add_accumulator_commands(CLI::App& app, context& ctx);
void add_info_command(CLI::App& app, context& ctx);
void add_watch_command(CLI::App& app, context& ctx);
void add_udev_command(CLI::App& app, context& ctx);
void add_module_command(CLI::App& app, context& ctx);
void add_bench_command(CLI::App& app, context& ctx);
void add_metrics_command(CLI::App& app, context& ctx);
void add_batch_command(CLI::App& app, context& ctx);
void add_schema_command(CLI::App& app, context& ctx);

/// Runs kctl; returns the exit status. args[0] is the program name.
int run(int argc, const char* const* argv, io& streams);

}  // namespace kctl::cli

#endif
