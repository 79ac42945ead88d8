// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/users/registry.hpp"

#include <gtest/gtest.h>

#include "aicactl/core/plan/errors.hpp"

namespace aicactl::core {
namespace {

UserRecord user(const std::string& name, uid_t uid, const std::string& shell) {
  UserRecord u;
  u.name = name;
  u.uid = uid;
  u.primary.name = name;
  u.primary.gid = uid;
  u.groups.push_back(GroupRef{"gpu-users", 1000});
  u.shell = shell;
  u.created_at = "2026-11-25T12:00:00Z";
  return u;
}

UserRecord alice() {
  UserRecord u = user("alice", 1001, "/bin/bash");
  u.groups.push_back(GroupRef{"docker", 999});
  u.expires = "2027-01-31";
  return u;
}

int exit_code_of(const std::string& text) {
  try {
    (void)parse_registry(text, "users.toml");
  } catch (const Error& e) {
    return static_cast<int>(e.code());
  }
  return 0;
}

TEST(Registry, RenderParseRoundTrip) {
  Registry reg;
  reg.put(alice());
  reg.put(user("bob", 1002, "/bin/zsh"));
  const Registry again = parse_registry(render_registry(reg), "users.toml");
  ASSERT_EQ(again.users.size(), 2U);
  EXPECT_EQ(again.users, reg.users);
  EXPECT_EQ(render_registry(again), render_registry(reg));
}

TEST(Registry, QuotaIsWrittenOnlyWhenSetAndRoundTrips) {
  Registry reg;
  reg.put(alice());
  EXPECT_EQ(render_registry(reg).find("quota"), std::string::npos);  // older files read the same
  UserRecord limited = alice();
  limited.quota = 53687091200;  // 50G
  reg.put(limited);
  EXPECT_NE(render_registry(reg).find("quota = 53687091200\n"), std::string::npos);
  const Registry again = parse_registry(render_registry(reg), "users.toml");
  EXPECT_EQ(again.users, reg.users);
  const std::string head = "[users.alice]\nuid = 1001\ngroup = \"alice\"\ngid = 1001\n";
  EXPECT_EQ(exit_code_of(head + "quota = 0\n"), 65);
  EXPECT_EQ(exit_code_of(head + "quota = \"50G\"\n"), 65);
  EXPECT_EQ(exit_code_of(head + "quota = 1024\n"), 0);
}

TEST(Registry, RemovedUsersAreKeptAndRoundTrip) {
  Registry reg;
  reg.put(alice());
  reg.retire(RemovedUser{"bob", 1002, GroupRef{"bob", 1002}, "kept", "/data/users/bob", "2026-11-30T10:00:00Z"});
  reg.retire(RemovedUser{"carol", 1003, GroupRef{"carol", 1003}, "purged", "", "2026-11-30T11:00:00Z"});
  const Registry again = parse_registry(render_registry(reg), "users.toml");
  EXPECT_EQ(again.users, reg.users);
  EXPECT_EQ(again.removed, reg.removed);
  EXPECT_EQ(again.find("bob"), nullptr);       // removed users are not registered users
  EXPECT_EQ(again.groups().count("bob"), 0U);  // and recover does not bring their groups back
  EXPECT_EQ(render_registry(again), render_registry(reg));
  EXPECT_EQ(exit_code_of("[[removed]]\nname = \"bob\"\nuid = 1002\n"), 65);  // no gid
  EXPECT_EQ(exit_code_of("[[removed]]\nname = \"bob\"\nuid = 1002\ngid = 1002\nbogus = 1\n"), 65);
  EXPECT_EQ(utc_now().size(), 20U);
  EXPECT_EQ(utc_today(), utc_now().substr(0, 10));
}

TEST(Registry, PutSortsAndReplaces) {
  Registry reg;
  reg.put(user("zed", 1003, "/bin/sh"));
  reg.put(alice());
  EXPECT_EQ(reg.users.front().name, "alice");
  EXPECT_EQ(reg.users.front().groups.front().name, "docker");  // groups sorted by name
  UserRecord changed = alice();
  changed.shell = "/bin/zsh";
  reg.put(changed);
  EXPECT_EQ(reg.users.size(), 2U);
  EXPECT_EQ(reg.find("alice")->shell, "/bin/zsh");
  EXPECT_TRUE(reg.remove("zed"));
  EXPECT_FALSE(reg.remove("zed"));
  EXPECT_EQ(reg.find("zed"), nullptr);
}

TEST(Registry, RejectsBrokenEntriesWith65) {
  EXPECT_EQ(exit_code_of("[users.alice]\nuid = 1001\n"), 65);  // no group/gid
  EXPECT_EQ(exit_code_of("[users.alice]\nuid = -1\ngroup = \"a\"\ngid = 1\n"), 65);
  EXPECT_EQ(exit_code_of("[users.Alice]\nuid = 1\ngroup = \"a\"\ngid = 1\n"), 65);
  EXPECT_EQ(exit_code_of("[users.alice]\nuid = 1\ngroup = \"a\"\ngid = 1\ngroups = [\"x\"]\n"), 65);
  EXPECT_EQ(exit_code_of("[users.alice]\nuid = 1\ngroup = \"a\"\ngid = 1\nexpires = \"soon\"\n"), 65);
  EXPECT_EQ(exit_code_of("[users.alice]\nuid = 1\ngroup = \"a\"\ngid = 1\nextra = 1\n"), 65);
  EXPECT_EQ(exit_code_of("[other]\n"), 65);
  EXPECT_EQ(exit_code_of("not toml at all ["), 65);
  EXPECT_EQ(exit_code_of(""), 0);
}

TEST(Registry, Dates) {
  EXPECT_EQ(date_problem("2027-01-31"), "");
  for (const char* bad : {"2027-13-01", "2027-00-10", "27-01-01", "2027/01/01", "2027-01-32", ""}) {
    EXPECT_NE(date_problem(bad), "") << bad;
  }
}

}  // namespace
}  // namespace aicactl::core
