// SPDX-License-Identifier: Apache-2.0
#include "aicactl/os/accounts.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <string>

namespace aicactl::os {
namespace {

constexpr const char* kMissingName = "aicactl-no-such-account";
constexpr uid_t kMissingId = 3999999999U;

TEST(Accounts, FindsRootByName) {
  const auto root = find_user("root");
  ASSERT_TRUE(root.has_value());
  EXPECT_EQ(root->name, "root");
  EXPECT_EQ(root->uid, 0U);
  EXPECT_EQ(root->gid, 0U);
  EXPECT_FALSE(root->home.empty());
  EXPECT_FALSE(root->shell.empty());
}

TEST(Accounts, FindsRootById) {
  const auto root = find_user(0U);
  ASSERT_TRUE(root.has_value());
  EXPECT_EQ(root->name, "root");
  EXPECT_EQ(root->uid, 0U);
}

TEST(Accounts, FindsTheRootGroupByNameAndId) {
  const auto by_name = find_group("root");
  ASSERT_TRUE(by_name.has_value());
  EXPECT_EQ(by_name->gid, 0U);
  EXPECT_EQ(by_name->name, "root");
  const auto by_id = find_group(gid_t{0});
  ASSERT_TRUE(by_id.has_value());
  EXPECT_EQ(by_id->name, "root");
}

TEST(Accounts, FindsTheCurrentUser) {
  const auto me = find_user(::geteuid());
  ASSERT_TRUE(me.has_value());
  EXPECT_EQ(me->uid, ::geteuid());
  const auto again = find_user(me->name);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->uid, me->uid);
}

TEST(Accounts, MissingAccountsAreNullopt) {
  EXPECT_FALSE(find_user(kMissingName).has_value());
  EXPECT_FALSE(find_user(std::string_view{}).has_value());
  EXPECT_FALSE(find_user(kMissingId).has_value());
  EXPECT_FALSE(find_group(kMissingName).has_value());
  EXPECT_FALSE(find_group(gid_t{kMissingId}).has_value());
}

TEST(Accounts, GroupsOfRootContainItsPrimaryGroup) {
  const auto root = find_user("root");
  ASSERT_TRUE(root.has_value());
  const auto groups = groups_of(*root);
  EXPECT_FALSE(groups.empty());
  EXPECT_NE(std::find(groups.begin(), groups.end(), gid_t{0}), groups.end());
}

TEST(Accounts, GroupsOfAnUnknownUserAreItsPrimaryGroup) {
  const UserInfo ghost{kMissingName, kMissingId, 12345, "/nonexistent", "/bin/false"};
  EXPECT_EQ(groups_of(ghost), std::vector<gid_t>{12345});
}

}  // namespace
}  // namespace aicactl::os
