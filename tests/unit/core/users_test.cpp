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

// What an interrupted useradd leaves: NSS knows the account from passwd, but its shadow entry,
// its primary group and gshadow entries are missing. The plan completes it (a re-run converges).
TEST(PlanUser, HalfWrittenAccountIsCompleted) {
  Config c = default_config();
  UserRecord rec;
  rec.name = "alice";
  rec.groups.push_back(GroupRef{"gpu-users", 0});
  const UserSpec spec = user_spec(c, rec, AccountPolicy::create_new);
  UserState st;
  st.account = os::UserInfo{"alice", 1001, 1001, "/home/alice", "/bin/bash"};
  st.groups_by_name = {std::nullopt, os::GroupInfo{"gpu-users", 1000, {}}};
  st.groups_by_gid = {std::nullopt, std::nullopt};
  st.member_of = {1000};
  st.local = os::LocalAccounts{true, true, {"alice"}, {}, {"gpu-users"}, {}};
  os::FileInfo home;
  home.mode = S_IFDIR | 0750;
  home.uid = 1001;
  st.home.info = home;
  auto items = plan_user(spec, st);
  const CompleteAccount* complete = nullptr;
  for (const auto& item : items) {
    for (const auto& a : item.actions) {
      complete = complete != nullptr ? complete : std::get_if<CompleteAccount>(&a);
    }
  }
  ASSERT_NE(complete, nullptr);
  EXPECT_EQ(complete->missing, (std::vector<std::string>{"shadow entry", "primary group 'alice' (gid 1001)",
                                                         "gshadow entry of group 'gpu-users'"}));
  ASSERT_EQ(complete->batch.accounts.size(), 1U);
  EXPECT_EQ(complete->batch.accounts[0].uid, 1001U);
  ASSERT_EQ(complete->batch.groups.size(), 2U);
  EXPECT_EQ(complete->batch.groups[0].name, "alice");
  EXPECT_EQ(complete->batch.groups[0].gid, 1001U);

  // once whole, nothing more is planned for the account
  st.primary_group = os::GroupInfo{"alice", 1001, {}};
  st.local = os::LocalAccounts{true, true, {"alice"}, {"alice"}, {"alice", "gpu-users"}, {"alice", "gpu-users"}};
  items = plan_user(spec, st);
  EXPECT_FALSE(has<CompleteAccount>(items));
  EXPECT_TRUE(items[1].ok());
}

}  // namespace
}  // namespace aicactl::core
