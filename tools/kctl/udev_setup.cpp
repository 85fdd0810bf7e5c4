// SPDX-License-Identifier: GPL-2.0-or-later
#include "udev_setup.hpp"

#include <fcntl.h>
#include <grp.h>
#include <shadow.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "context.hpp"

extern char** environ;

namespace kctl::cli {

namespace {

constexpr const char* subsystem = "kdemo";

std::vector<std::string> reload_command() {
    return {"udevadm", "control", "--reload"};
}

// --settle (udevadm 248 and later): returns once udev has processed the
// events it triggered, so the rule is applied when kctl exits. A plain
// `udevadm settle` afterwards can return before udevd has even queued them.
std::vector<std::string> trigger_command() {
    return {"udevadm", "trigger", "--settle", std::string("--subsystem-match=") + subsystem,
            "--action=add"};
}

std::vector<std::string> groupadd_command(const udev_env& env) {
    return {"groupadd", "--system", env.group};
}

std::string join(const std::vector<std::string>& words) {
    std::string out;
    for (const std::string& w : words)
        out += (out.empty() ? "" : " ") + w;
    return out;
}

int spawn(const std::vector<std::string>& argv) {
    std::vector<char*> args;
    for (const std::string& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = 0;
    if (const int err = ::posix_spawnp(&pid, args[0], nullptr, nullptr, args.data(), environ))
        return -err;
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -errno;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void run_checked(const udev_env& env, const std::vector<std::string>& cmd) {
    const int status = env.run(cmd);
    if (status < 0)
        throw failure(-status, cmd[0]);
    if (status != 0)
        throw failure(0, join(cmd) + " failed with status " + std::to_string(status));
}

/// A free system GID (below 1000, from the top down, as groupadd --system picks them).
unsigned free_system_gid(const std::string& group_file) {
    std::set<unsigned> used;
    std::ifstream in(group_file);
    for (std::string line; std::getline(in, line);) {
        std::istringstream fields(line);
        std::string name, password, gid;
        if (std::getline(fields, name, ':') && std::getline(fields, password, ':') &&
            std::getline(fields, gid, ':'))
            used.insert(static_cast<unsigned>(std::strtoul(gid.c_str(), nullptr, 10)));
    }
    for (unsigned gid = 999; gid >= 100; --gid)
        if (!used.count(gid))
            return gid;
    throw failure(ENOSPC, "no free system group id in " + group_file);
}

void append_line(const std::string& path, const std::string& line) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0)
        throw failure(errno, path);
    const ssize_t n = ::write(fd, line.data(), line.size());
    const int err = n < 0 ? errno : (static_cast<std::size_t>(n) != line.size() ? EIO : 0);
    const int sync_err = ::fsync(fd) == 0 ? 0 : errno;
    ::close(fd);
    if (err || sync_err)
        throw failure(err ? err : sync_err, path);
}

/// Without groupadd: append the group under the shadow-suite lock, as groupadd would.
void append_group(const udev_env& env) {
    if (::lckpwdf() != 0)
        throw failure(errno, "cannot lock the group files");
    try {
        if (!env.group_exists(env.group)) {
            const unsigned gid = free_system_gid(env.group_file);
            append_line(env.group_file, env.group + ":x:" + std::to_string(gid) + ":\n");
            if (::access(env.gshadow_file.c_str(), F_OK) == 0)
                append_line(env.gshadow_file, env.group + ":!::\n");
        }
    } catch (...) {
        ::ulckpwdf();
        throw;
    }
    ::ulckpwdf();
}

void create_group(const udev_env& env) {
    const auto cmd = groupadd_command(env);
    const int status = env.run(cmd);
    if (status == -ENOENT)
        append_group(env);
    else if (status == 9)  // groupadd: group name not unique (created meanwhile)
        return;
    else if (status != 0)
        run_checked(env, cmd);  // reports the failure
}

void write_rules(const udev_env& env, std::string_view rules) {
    namespace fs = std::filesystem;
    const fs::path target(env.rules_path);
    std::error_code ec;
    fs::create_directories(target.parent_path(), ec);
    if (ec)
        throw failure(ec.value(), target.parent_path().string());
    const std::string tmp = (target.parent_path() / ("." + target.filename().string())).string();
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        throw failure(errno, tmp);
    const ssize_t n = ::write(fd, rules.data(), rules.size());
    int err = n < 0 ? errno : (static_cast<std::size_t>(n) != rules.size() ? EIO : 0);
    if (!err && (::fchmod(fd, 0644) != 0 || ::fsync(fd) != 0))
        err = errno;
    ::close(fd);
    if (!err && ::rename(tmp.c_str(), env.rules_path.c_str()) != 0)
        err = errno;
    if (err) {
        ::unlink(tmp.c_str());
        throw failure(err, env.rules_path);
    }
}

void remove_rules(const udev_env& env) {
    if (::unlink(env.rules_path.c_str()) != 0 && errno != ENOENT)
        throw failure(errno, env.rules_path);
}

step reload_step() {
    return {step_kind::reload, join(reload_command()), true};
}

step trigger_step() {
    return {step_kind::trigger, join(trigger_command()), true};
}

}  // namespace

std::string_view to_string(step_kind kind) noexcept {
    constexpr std::array<std::string_view, 8> names = {
        "create-group", "group-exists", "write-rules", "rules-current",
        "remove-rules", "rules-absent", "reload",      "trigger"};
    return names.at(static_cast<std::size_t>(kind));
}

udev_env system_udev_env() {
    udev_env env;
    env.run = spawn;
    env.group_exists = [](const std::string& name) { return ::getgrnam(name.c_str()) != nullptr; };
    return env;
}

std::optional<std::string> read_installed(const udev_env& env) {
    std::ifstream in(env.rules_path, std::ios::binary);
    if (!in)
        return std::nullopt;
    return std::string(std::istreambuf_iterator<char>(in), {});
}

std::vector<step> plan_install(const udev_env& env, std::string_view rules, bool group_exists,
                               const std::optional<std::string>& installed) {
    std::vector<step> steps;
    if (group_exists)
        steps.push_back({step_kind::group_exists, "group " + env.group + " exists", false});
    else
        steps.push_back({step_kind::create_group,
                         "create group " + env.group + " (" + join(groupadd_command(env)) + ")",
                         true});
    if (installed && *installed == rules)
        steps.push_back({step_kind::rules_current, env.rules_path + " is up to date", false});
    else
        steps.push_back({step_kind::write_rules, "write " + env.rules_path, true});
    steps.push_back(reload_step());
    steps.push_back(trigger_step());
    return steps;
}

std::vector<step> plan_uninstall(const udev_env& env, bool installed) {
    std::vector<step> steps;
    if (installed)
        steps.push_back({step_kind::remove_rules, "remove " + env.rules_path, true});
    else
        steps.push_back({step_kind::rules_absent, env.rules_path + " is not installed", false});
    steps.push_back(reload_step());
    steps.push_back(trigger_step());
    return steps;
}

void execute(const std::vector<step>& steps, const udev_env& env, std::string_view rules) {
    for (const step& s : steps) {
        switch (s.kind) {
            case step_kind::create_group:
                create_group(env);
                break;
            case step_kind::write_rules:
                write_rules(env, rules);
                break;
            case step_kind::remove_rules:
                remove_rules(env);
                break;
            case step_kind::reload:
                run_checked(env, reload_command());
                break;
            case step_kind::trigger:
                run_checked(env, trigger_command());
                break;
            case step_kind::group_exists:
            case step_kind::rules_current:
            case step_kind::rules_absent:
                break;
        }
    }
}

}  // namespace kctl::cli
