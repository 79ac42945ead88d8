// SPDX-License-Identifier: Apache-2.0
// user add and user repair as plans, run dry (a unit test never changes the host's accounts;
// tests/e2e applies them in the virtual server): every step is reported, nothing is created.
#include "aicactl/core/ops/user_changes.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "aicactl/os/accounts.hpp"
#include "aicactl/os/fs.hpp"
#include "support/test_support.hpp"

namespace aicactl::core {
namespace {

constexpr const char* kNewName = "aicactl-test-nouser";

Config temp_config(const test::TempDir& dir) {
  Config c = default_config();
  c.data_root = dir.sub("data");
  c.group = os::find_group(::getegid()).value().name;  // the sharing group must exist
  test::make_dir(c.data_root);
  test::make_dir(c.under_root("users"));
  return c;
}

bool reports(const Report& r, const std::string& kind, const std::string& description) {
  return std::ranges::any_of(r.actions, [&](const ActionReport& a) {
    return a.kind == kind && a.description == description && a.status == Status::planned;
  });
}

TEST(AddUser, ADryRunPlansTheAccountHomeAndRegistryAndChangesNothing) {
  ASSERT_FALSE(os::find_user(kNewName)) << "the test's user name exists on this host";
  test::TempDir dir;
  const Config config = temp_config(dir);
  Registry registry;
  const Report r = add_user(config, registry, AddUserRequest{.name = kNewName, .uid = 4242}, DryRun::yes);
  EXPECT_EQ(r.failed, 0U);
  std::string kinds;
  for (const auto& a : r.actions) {
    kinds += a.kind + ": " + a.description + "\n";
  }
  EXPECT_TRUE(std::ranges::any_of(r.actions, [](const ActionReport& a) { return a.kind == "create-account"; }))
      << kinds;
  EXPECT_TRUE(reports(r, "register",
                      "Would register '" + std::string(kNewName) + "' in '" + config.under_root(kRegistryFile) + "'"));
  EXPECT_FALSE(os::find_user(kNewName));
  EXPECT_FALSE(*os::lstat_path(config.under_root(std::string("users/") + kNewName)));
  EXPECT_EQ(registry.find(kNewName), nullptr);
}

TEST(RepairUsers, ADryRunReportsTheHomeEntriesToGiveBackAndChangesNothing) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "needs root (a home owned by another account)";
  }
  const auto nobody = os::find_user("nobody");
  ASSERT_TRUE(nobody);
  test::TempDir dir;
  const Config config = temp_config(dir);
  const std::string home = config.under_root("users/nobody");
  test::make_dir(home, 0750);
  ASSERT_EQ(::chown(home.c_str(), nobody->uid, nobody->gid), 0);
  test::write_text(home + "/left-by-root", "x", 0644);  // root's: given back by a repair
  UserRecord rec;
  rec.name = "nobody";
  rec.uid = nobody->uid;
  rec.primary = GroupRef{"nogroup", nobody->gid};
  Registry registry;
  registry.put(rec);
  const Report r = repair_users(config, registry, {rec}, DryRun::yes);
  EXPECT_TRUE(reports(r, "repair-home", "Would give 1 entries of '" + home + "' to nobody"));
  EXPECT_EQ(test::lstat_or_throw(home + "/left-by-root").st_uid, 0U);
}

}  // namespace
}  // namespace aicactl::core
