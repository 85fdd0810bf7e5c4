// SPDX-License-Identifier: GPL-2.0-or-later
// kctl udev install|uninstall as a plan (a pure function of what is there) and its execution,
// so both can be tested without root: the environment names every path and runs commands.
#ifndef KCTL_TOOL_UDEV_SETUP_HPP
#define KCTL_TOOL_UDEV_SETUP_HPP

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kctl::cli {

/// The rule file as it was when kctl was built (udev/70-kdemo.rules).
std::string_view embedded_udev_rules() noexcept;

struct udev_env {
    std::string rules_path = "/etc/udev/rules.d/70-kdemo.rules";
    std::string group = "kdemo";
    std::string group_file = "/etc/group";
    std::string gshadow_file = "/etc/gshadow";
    /// Runs a command; returns its exit status, or -errno if it could not be started.
    std::function<int(const std::vector<std::string>&)> run;
    std::function<bool(const std::string&)> group_exists;
};

/// The real system: posix_spawnp and getgrnam.
udev_env system_udev_env();

enum class step_kind {
    create_group,
    group_exists,
    write_rules,
    rules_current,
    remove_rules,
    rules_absent,
    reload,
    trigger,
};

struct step {
    step_kind kind;
    std::string text;  // "create group kdemo (groupadd --system kdemo)"
    bool changes;      // false for the steps that only say what is already so
};

/// What install does: the group if missing, the rule file unless identical, then reload and
/// trigger (always: both are idempotent). `installed`: the current rule file, if any.
std::vector<step> plan_install(const udev_env& env, std::string_view rules, bool group_exists,
                               const std::optional<std::string>& installed);
/// What uninstall does: remove the rule file if present, reload, trigger. The group stays.
std::vector<step> plan_uninstall(const udev_env& env, bool installed);

/// Looks at the system: the installed rule file (nullopt if none).
std::optional<std::string> read_installed(const udev_env& env);

/// Carries out the steps that change something. Throws failure.
void execute(const std::vector<step>& steps, const udev_env& env, std::string_view rules);

/// "create-group", "write-rules", ... for JSON.
std::string_view to_string(step_kind kind) noexcept;

}  // namespace kctl::cli

#endif
