// SPDX-License-Identifier: GPL-2.0-or-later
// kctl udev install|uninstall: the plan, and its execution in a temporary directory.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "context.hpp"
#include "temp_dir.hpp"
#include "udev_setup.hpp"

namespace kctl::cli {
namespace {

std::vector<step_kind> kinds(const std::vector<step>& steps) {
    std::vector<step_kind> out;
    for (const step& s : steps)
        out.push_back(s.kind);
    return out;
}

struct fake_system {
    explicit fake_system(const test::temp_dir& dir) {
        env.rules_path = dir / "etc/udev/rules.d/70-kdemo.rules";
        env.group_file = dir / "group";
        env.gshadow_file = dir / "gshadow";
        env.run = [this](const std::vector<std::string>& cmd) {
            commands.push_back(cmd);
            return status;
        };
        env.group_exists = [this](const std::string&) { return group; };
    }
    udev_env env;
    std::vector<std::vector<std::string>> commands;
    int status = 0;
    bool group = false;
};

TEST(UdevRules, EmbeddedRuleIsTheSourceFileByteForByte) {
    std::ifstream in(KDEMO_UDEV_RULE_FILE, std::ios::binary);
    ASSERT_TRUE(in) << KDEMO_UDEV_RULE_FILE;
    const std::string source{std::istreambuf_iterator<char>(in), {}};
    EXPECT_EQ(embedded_udev_rules(), source);
    EXPECT_NE(source.find("GROUP=\"kdemo\""), std::string::npos);
}

TEST(UdevPlan, FreshSystemGetsEverything) {
    const udev_env env;
    EXPECT_EQ(kinds(plan_install(env, "rules", false, std::nullopt)),
              (std::vector{step_kind::create_group, step_kind::write_rules, step_kind::reload,
                           step_kind::trigger}));
}

TEST(UdevPlan, InstalledSystemOnlyReloadsAndTriggers) {
    const udev_env env;
    const auto steps = plan_install(env, "rules", true, std::string("rules"));
    EXPECT_EQ(kinds(steps), (std::vector{step_kind::group_exists, step_kind::rules_current,
                                         step_kind::reload, step_kind::trigger}));
    EXPECT_FALSE(steps[0].changes);
    EXPECT_FALSE(steps[1].changes);
}

TEST(UdevPlan, ChangedRuleIsRewritten) {
    const udev_env env;
    EXPECT_EQ(kinds(plan_install(env, "new", true, std::string("old")))[1], step_kind::write_rules);
}

TEST(UdevPlan, UninstallKeepsTheGroup) {
    const udev_env env;
    EXPECT_EQ(kinds(plan_uninstall(env, true)),
              (std::vector{step_kind::remove_rules, step_kind::reload, step_kind::trigger}));
    EXPECT_EQ(kinds(plan_uninstall(env, false))[0], step_kind::rules_absent);
}

TEST(UdevInstall, WritesTheRuleRunsGroupaddAndUdevadm) {
    test::temp_dir dir;
    fake_system sys(dir);
    const auto steps = plan_install(sys.env, "RULE\n", false, read_installed(sys.env));
    execute(steps, sys.env, "RULE\n");
    EXPECT_EQ(dir.read("etc/udev/rules.d/70-kdemo.rules"), "RULE\n");
    struct stat st {};
    ASSERT_EQ(::stat(sys.env.rules_path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0644U);
    using cmd = std::vector<std::string>;
    EXPECT_EQ(sys.commands, (std::vector<cmd>{{"groupadd", "--system", "kdemo"},
                                              {"udevadm", "control", "--reload"},
                                              {"udevadm", "trigger", "--settle",
                                               "--subsystem-match=kdemo", "--action=add"}}));
}

TEST(UdevInstall, IsIdempotent) {
    test::temp_dir dir;
    fake_system sys(dir);
    execute(plan_install(sys.env, "RULE\n", false, read_installed(sys.env)), sys.env, "RULE\n");
    sys.group = true;
    const auto again = plan_install(sys.env, "RULE\n", true, read_installed(sys.env));
    EXPECT_EQ(kinds(again)[1], step_kind::rules_current);
}

TEST(UdevInstall, FailingUdevadmIsAnError) {
    test::temp_dir dir;
    fake_system sys(dir);
    sys.group = true;
    sys.status = 1;
    EXPECT_THROW(execute(plan_install(sys.env, "R", true, std::nullopt), sys.env, "R"), failure);
}

TEST(UdevUninstall, RemovesTheRule) {
    test::temp_dir dir;
    fake_system sys(dir);
    dir.write("etc/udev/rules.d/70-kdemo.rules", "R");
    execute(plan_uninstall(sys.env, read_installed(sys.env).has_value()), sys.env, "R");
    EXPECT_EQ(read_installed(sys.env), std::nullopt);
}

}  // namespace
}  // namespace kctl::cli
