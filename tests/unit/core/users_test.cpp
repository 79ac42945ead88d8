#include "aicactl/core/users.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "aicactl/core/errors.hpp"

namespace aicactl::core {
namespace {

UserSpec restore_spec() {
  Config c = default_config();
  UserRecord rec;
  rec.name = "alice";
  rec.uid = 1001;
  rec.primary = GroupRef{"alice", 1001};
  rec.groups.push_back(GroupRef{"gpu-users", 1000});
  return user_spec(c, rec, AccountPolicy::restore);
}

template <class T>
bool has(const std::vector<PlanItem>& items) {
  for (const auto& item : items) {
    for (const auto& a : item.actions) {
      if (std::holds_alternative<T>(a)) {
        return true;
      }
    }
  }
  return false;
}

TEST(UserNames, RefusedWith65) {
  for (const char* bad : {"..", "../etc", "a/b", "-rf", "a b", "a\nb", "", "root", "Alice", "a:b", "123"}) {
    try {
      validate_user_name(bad);
      ADD_FAILURE() << "accepted: " << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::bad_data) << bad;
    }
  }
  EXPECT_THROW(validate_user_name(std::string(40, 'a')), Error);
  EXPECT_NO_THROW(validate_user_name("alice-2"));
}

// Debian's defaults: adduser's NAME_REGEX ^[a-z][-a-z0-9_]*\$?$ and useradd's 32 characters.
TEST(UserNames, FollowDebiansNameRegexAndUseraddsLength) {
  for (const char* bad : {"_", "_a", "__", "1a", "a.b", "-a", "a$b", "$", "a$$", "A", "aB"}) {
    EXPECT_NE(user_name_problem(bad), "") << bad;
  }
  EXPECT_NE(user_name_problem(std::string(33, 'a')), "");
  for (const char* good : {"a", "a$", "a_b", "a-", "a1", "ab-c_d9$"}) {
    EXPECT_EQ(user_name_problem(good), "") << good;
  }
  EXPECT_EQ(user_name_problem(std::string(32, 'a')), "");
}

TEST(PlanUser, ReimageRestoresGroupsAccountHomeLink) {
  const UserSpec spec = restore_spec();
  UserState st;
  st.groups_by_name = {std::nullopt, std::nullopt};
  st.groups_by_gid = {std::nullopt, std::nullopt};
  os::FileInfo home;
  home.mode = S_IFDIR | 0750;
  home.uid = 1001;
  st.home.info = home;
  const auto items = plan_user(spec, st);
  EXPECT_TRUE(has<CreateGroup>(items));
  EXPECT_TRUE(has<CreateAccount>(items));
  EXPECT_TRUE(has<MakeSymlink>(items));
  EXPECT_FALSE(has<CreateHome>(items));  // the data survived on /data
  for (const auto& item : items) {
    for (const auto& a : item.actions) {
      if (const auto* acc = std::get_if<CreateAccount>(&a)) {
        EXPECT_EQ(acc->uid, 1001U);
        EXPECT_EQ(acc->primary_group, "alice");
      }
    }
  }
}

TEST(PlanUser, UidTakenByAnotherNameIsAConflictNotAnAccount) {
  const UserSpec spec = restore_spec();
  UserState st;
  st.groups_by_name = {os::GroupInfo{"alice", 1001, {}}, os::GroupInfo{"gpu-users", 1000, {}}};
  st.groups_by_gid = st.groups_by_name;
  st.uid_owner = os::UserInfo{"mallory", 1001, 1001, "/home/mallory", "/bin/sh"};
  const auto items = plan_user(spec, st);
  EXPECT_TRUE(has<Conflict>(items));
  EXPECT_FALSE(has<CreateAccount>(items));
  EXPECT_FALSE(has<MakeSymlink>(items));
}

TEST(PlanUser, HomeOfAnotherUidIsRefused) {
  UserSpec spec = restore_spec();
  UserState st;
  st.account = os::UserInfo{"alice", 1001, 1001, "/home/alice", "/bin/bash"};
  st.groups_by_name = {os::GroupInfo{"alice", 1001, {}}, os::GroupInfo{"gpu-users", 1000, {}}};
  st.groups_by_gid = st.groups_by_name;
  st.member_of = {1001, 1000};
  os::FileInfo home;
  home.mode = S_IFDIR | 0750;
  home.uid = 2000;
  st.home.info = home;
  const auto items = plan_user(spec, st);
  EXPECT_TRUE(has<Conflict>(items));
  EXPECT_FALSE(has<MakeSymlink>(items));
  EXPECT_FALSE(has<WriteFile>(items));
}

TEST(PlanUser, HealthyUserNeedsNothing) {
  const UserSpec spec = restore_spec();
  UserState st;
  st.account = os::UserInfo{"alice", 1001, 1001, "/home/alice", "/bin/bash"};
  st.groups_by_name = {os::GroupInfo{"alice", 1001, {}}, os::GroupInfo{"gpu-users", 1000, {}}};
  st.groups_by_gid = st.groups_by_name;
  st.member_of = {1001, 1000};
  os::FileInfo home;
  home.mode = S_IFDIR | 0750;
  home.uid = 1001;
  st.home.info = home;
  os::FileInfo link;
  link.mode = S_IFLNK | 0777;
  st.link = link;
  st.link_target = spec.data_home;
  st.condarc = desired_condarc(spec, "");
  for (const auto& item : plan_user(spec, st)) {
    EXPECT_TRUE(item.ok()) << item.check;
  }
}

TEST(Condarc, MergedNotClobbered) {
  const UserSpec spec = restore_spec();
  const std::string mine = "channels:\n  - conda-forge\n";
  const std::string merged = desired_condarc(spec, mine);
  EXPECT_NE(merged.find("channels:\n  - conda-forge"), std::string::npos);
  EXPECT_NE(merged.find("envs_dirs:\n  - /data/users/alice/.conda/envs"), std::string::npos);
  EXPECT_NE(merged.find("pkgs_dirs:\n  - /data/cache/conda/pkgs"), std::string::npos);
  EXPECT_EQ(desired_condarc(spec, merged), merged);  // never appended twice
}

}  // namespace
}  // namespace aicactl::core
