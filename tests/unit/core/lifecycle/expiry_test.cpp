// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/lifecycle/expiry.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "aicactl/core/lifecycle/clock.hpp"
#include "aicactl/core/lifecycle/user_set.hpp"
#include "aicactl/core/plan/errors.hpp"
#include "aicactl/core/setup/config.hpp"

namespace aicactl::core {
namespace {

UserRecord user(const std::string& name, const std::string& expires) {
  UserRecord u;
  u.name = name;
  u.uid = 1001;
  u.primary = GroupRef{name, 1001};
  u.expires = expires;
  return u;
}

TEST(Clock, TestNowOverridesTheClock) {
  ::setenv(kTestNowVariable, "1798761600", 1);  // 2027-01-01T00:00:00Z
  EXPECT_EQ(date_of_day(lifecycle_today()), "2027-01-01");
  EXPECT_EQ(days_until("2027-01-15", lifecycle_today()), 14);
  EXPECT_EQ(days_until("2026-12-31", lifecycle_today()), -1);
  EXPECT_FALSE(days_until("", lifecycle_today()));
  ::setenv(kTestNowVariable, "garbage", 1);
  EXPECT_GT(lifecycle_today(), 20000) << "a bad value is ignored";
  ::unsetenv(kTestNowVariable);
}

// Each notice once; a missed run sends one notice for every day it missed, not several.
TEST(Expiry, DueNoticesOncePerNoticeDay) {
  const std::vector<int> days = {14, 7, 1};
  const UserRecord alice = user("alice", "2027-01-15");
  NoticeLog log;
  EXPECT_TRUE(due_notices(days, alice, 20, log).empty());
  EXPECT_EQ(due_notices(days, alice, 14, log), (std::vector<int>{14}));
  log.sent.insert(notice_key(alice, 14));
  EXPECT_TRUE(due_notices(days, alice, 13, log).empty()) << "the 14-day notice went out already";
  EXPECT_EQ(due_notices(days, alice, 5, log), (std::vector<int>{7}));
  EXPECT_EQ(due_notices(days, alice, 1, log), (std::vector<int>{7, 1}));
  const UserRecord moved = user("alice", "2027-02-15");
  EXPECT_EQ(due_notices(days, moved, 14, log), (std::vector<int>{14})) << "a new date gets new notices";
  EXPECT_EQ(parse_notice_log(render_notice_log(log)).sent, log.sent);
}

TEST(Expiry, ProtectsSystemKeptAndNamedRules) {
  LifecycleConfig lc;
  lc.keep = {"prof"};
  UserRecord root = user("root", "2027-01-01");
  root.uid = 0;
  EXPECT_NE(protection(lc, root, std::nullopt, true), "") << "root even when named";
  UserRecord sys = user("daemonish", "2027-01-01");
  sys.uid = 999;
  EXPECT_NE(protection(lc, sys, std::nullopt, false), "");
  UserRecord prof = user("prof", "2027-01-01");
  EXPECT_EQ(protection(lc, prof, std::nullopt, false), "in [lifecycle] keep");
  EXPECT_EQ(protection(lc, prof, std::nullopt, true), "") << "named explicitly";
  EXPECT_EQ(protection(lc, user("alice", "2027-01-01"), std::nullopt, false), "");
}

TEST(Expiry, LoginLineNamesEachUser) {
  const std::string text = render_expiry_profile({{"alice", "2027-01-15"}});
  EXPECT_NE(text.find("  alice) echo \"aicactl: your account expires on 2027-01-15"), std::string::npos);
  EXPECT_EQ(render_expiry_profile({}).find("case"), std::string::npos);
}

TEST(UserSet, ValidatesEachSetting) {
  const long today = *days_until("2027-01-01", 0);
  EXPECT_EQ(expiry_problem("2027-01-01", today), "");
  EXPECT_EQ(expiry_problem("never", today), "");
  EXPECT_NE(expiry_problem("2026-12-31", today).find("in the past"), std::string::npos);
  EXPECT_NE(expiry_problem("2027-13-01", today), "");
  EXPECT_NE(expiry_problem("tomorrow", today), "");
  EXPECT_EQ(email_problem("a.b+c@lab.example.org"), "");
  EXPECT_NE(email_problem("a b@x"), "");
  EXPECT_NE(email_problem("a@b@c"), "");
  EXPECT_NE(email_problem("-oX@y"), "");
  EXPECT_NE(email_problem("x@y\nBcc: z@w"), "");
  EXPECT_EQ(term_problem("2026-fall"), "");
  EXPECT_NE(term_problem("../x"), "");
  UserRecord u = user("alice", "2027-01-15");
  u.email = "a@x";
  const UserRecord v = with_settings(u, UserSettings{"never", "", "2026-fall"});
  EXPECT_EQ(v.expires, "");
  EXPECT_EQ(v.email, "a@x");
  EXPECT_EQ(v.term, "2026-fall");
  EXPECT_EQ(with_settings(v, UserSettings{"", "none", "none"}).term, "");
}

TEST(LifecycleConfig, ParsesAndRenders) {
  const Config c = parse_config(
      "[lifecycle]\nnotice_days = [1, 30, 7]\nmail_domain = \"lab.example.org\"\nkeep = [\"prof\"]\n"
      "revoke_groups = [\"docker\"]\ngrace_seconds = 3\npurge_paths = [\"/local/docker/{user}\"]\n",
      "t.toml");
  EXPECT_EQ(c.lifecycle.notice_days, (std::vector<int>{30, 7, 1}));
  EXPECT_EQ(c.lifecycle.mail_domain, "lab.example.org");
  EXPECT_EQ(c.lifecycle.keep, (std::vector<std::string>{"prof"}));
  EXPECT_EQ(c.lifecycle.grace_seconds, 3);
  EXPECT_EQ(parse_config(render_config(c), "again").lifecycle.purge_paths, c.lifecycle.purge_paths);
  auto bad = [](const std::string& text) {
    try {
      (void)parse_config(text, "t.toml");
    } catch (const Error& e) {
      return e.code();
    }
    return ExitCode::ok;
  };
  EXPECT_EQ(bad("[lifecycle]\nnotice_days = [0]\n"), ExitCode::bad_data);
  EXPECT_EQ(bad("[lifecycle]\nkeep = [\"Bad Name\"]\n"), ExitCode::bad_data);
  EXPECT_EQ(bad("[lifecycle]\npurge_paths = [\"/local/docker\"]\n"), ExitCode::bad_data);
  EXPECT_EQ(bad("[lifecycle]\nmail_domain = \"x@y\"\n"), ExitCode::bad_data);
  EXPECT_EQ(bad("[lifecycle]\nfoo = 1\n"), ExitCode::bad_data);
}

}  // namespace
}  // namespace aicactl::core
