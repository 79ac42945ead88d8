// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/users/users.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "aicactl/core/plan/errors.hpp"
#include "support/test_support.hpp"

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

UserSpec new_user_spec(std::optional<uid_t> uid) {
  UserRecord rec;
  rec.name = "carol";
  rec.groups.push_back(GroupRef{"gpu-users", 0});
  UserSpec spec = user_spec(default_config(), rec, AccountPolicy::create_new);
  spec.want_uid = uid;
  return spec;
}

UserState new_user_state() {
  UserState st;
  st.groups_by_name = {std::nullopt, os::GroupInfo{"gpu-users", 1000, {}}};
  st.groups_by_gid = {std::nullopt, std::nullopt};
  return st;
}

// /data/users/carol owned by uid 1007 (a removed user's kept home): a new carol never gets it,
// whatever uid she is given, unless it is that uid (issue 9, A.6).
TEST(PlanUser, AForeignOwnedHomeIsNotAdoptedByANewAccount) {
  UserState st = new_user_state();
  os::FileInfo home;
  home.mode = S_IFDIR | 0700;
  home.uid = 1007;
  st.home.info = home;
  st.home_owner = std::nullopt;
  for (const auto& uid : {std::optional<uid_t>(1008), std::optional<uid_t>()}) {
    const auto items = plan_user(new_user_spec(uid), st);
    EXPECT_TRUE(has<Conflict>(items));
    EXPECT_FALSE(has<CreateAccount>(items));  // refused before anything is made
    EXPECT_FALSE(has<CreateGroup>(items));
    EXPECT_FALSE(has<WriteFile>(items));
    EXPECT_FALSE(has<MakeSymlink>(items));
    bool named = false;
    for (const auto& item : items) {
      for (const auto& a : item.actions) {
        if (const auto* c = std::get_if<Conflict>(&a)) {
          named = named || c->reason.find("uid 1007") != std::string::npos;
        }
      }
    }
    EXPECT_TRUE(named);
  }
  EXPECT_FALSE(has<Conflict>(plan_user(new_user_spec(1007), st)));
}

TEST(PlanUser, ANewAccountGetsTheChosenUidAndItsOwnGroupInOneStep) {
  const auto items = plan_user(new_user_spec(1005), new_user_state());
  bool account = false;
  for (const auto& item : items) {
    for (const auto& a : item.actions) {
      if (const auto* acc = std::get_if<CreateAccount>(&a)) {
        account = acc->uid == 1005U && acc->primary_group.empty();  // useradd -U -u 1005
      }
    }
  }
  EXPECT_TRUE(account);
  EXPECT_FALSE(has<CreateGroup>(items));
}

TEST(NewIds, ReservedAndTakenIdsAreSkipped) {
  ReservedIds reserved;
  reserved.uids = {1000, 1002};
  reserved.gids = {1003};
  auto taken_uid = [](uid_t u) { return u == 1001; };
  auto taken_gid = [](gid_t g) { return g == 1004; };
  EXPECT_EQ(pick_new_id(reserved, taken_uid, taken_gid), std::optional<uid_t>(1005));
  EXPECT_EQ(pick_new_id(
                {}, [](uid_t) { return false; }, [](gid_t) { return false; }),
            std::optional<uid_t>(1000));
  EXPECT_EQ(pick_new_id(
                {}, [](uid_t) { return true; }, [](gid_t) { return false; }),
            std::nullopt);
}

// bob was removed and his home kept: his uid and gid (from the registry and from the owners of
// his files) stay reserved, so the next user never reads his files (issue 9, A.2).
TEST(NewIds, RegistryRowsAndFileOwnersUnderUsersAreReserved) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "needs root to give files to other uids";
  }
  const test::TempDir tmp;
  Config c = default_config();
  c.data_root = tmp.path();
  test::make_dir(tmp.sub("users"));
  test::make_dir(tmp.sub("users/bob"), 0700);
  test::write_text(tmp.sub("users/bob/secret"), "x", 0600);
  test::make_dir(tmp.sub("users/bob/deep"));
  test::write_text(tmp.sub("users/bob/deep/file"), "x");
  test::make_dir(tmp.sub("archive"));
  test::make_dir(tmp.sub("archive/dan-20260101"));
  ASSERT_EQ(::chown(tmp.sub("users/bob").c_str(), 1007, 1007), 0);
  ASSERT_EQ(::chown(tmp.sub("users/bob/secret").c_str(), 1011, 1012), 0);
  ASSERT_EQ(::chown(tmp.sub("users/bob/deep/file").c_str(), 1013, 1013), 0);
  ASSERT_EQ(::chown(tmp.sub("archive/dan-20260101").c_str(), 1020, 1021), 0);
  Registry reg;
  UserRecord alice;
  alice.name = "alice";
  alice.uid = 1001;
  alice.primary = GroupRef{"alice", 1002};
  reg.put(alice);
  reg.retire(RemovedUser{"eve", 1030, GroupRef{"eve", 1031}, "purged", "", "2026-11-30T10:00:00Z"});
  const ReservedIds ids = reserved_ids(c, reg);
  for (uid_t u : {1001U, 1007U, 1011U, 1020U, 1030U}) {
    EXPECT_EQ(ids.uids.count(u), 1U) << u;
  }
  for (gid_t g : {1002U, 1007U, 1012U, 1021U, 1031U}) {
    EXPECT_EQ(ids.gids.count(g), 1U) << g;
  }
  EXPECT_EQ(ids.uids.count(1013), 0U);  // two levels down: not walked (documented)
}

TEST(Groups, SupplementaryGroupsAreRegularUnlessAllowed) {
  const os::GroupInfo sudo{"sudo", 27, {}};
  const os::GroupInfo root{"root", 0, {}};
  const os::GroupInfo lab{"lab", 1500, {}};
  EXPECT_NE(supplementary_group_problem("sudo", sudo, false, {}).find("--allow-group sudo"), std::string::npos);
  EXPECT_NE(supplementary_group_problem("root", root, false, {"sudo"}), "");
  EXPECT_EQ(supplementary_group_problem("sudo", sudo, false, {"sudo"}), "");
  EXPECT_EQ(supplementary_group_problem("lab", lab, false, {}), "");
  EXPECT_NE(supplementary_group_problem("nosuch", std::nullopt, false, {}).find("does not exist"), std::string::npos);
  EXPECT_EQ(supplementary_group_problem("alice", std::nullopt, true, {}), "");
}

TEST(Users, ExpiredFromTheExpiryDateOn) {
  UserRecord u;
  EXPECT_FALSE(is_expired(u, "2026-11-30"));
  u.expires = "2026-11-30";
  EXPECT_TRUE(is_expired(u, "2026-11-30"));
  EXPECT_TRUE(is_expired(u, "2027-01-01"));
  EXPECT_FALSE(is_expired(u, "2026-11-29"));
}

TEST(Users, OrphanedHomesAreDirectoriesOfNoUserAndNoAccount) {
  const test::TempDir tmp;
  Config c = default_config();
  c.data_root = tmp.path();
  test::make_dir(tmp.sub("users"));
  test::make_dir(tmp.sub("users/zz-registered"));
  test::make_dir(tmp.sub("users/zz-gone"));
  test::make_dir(tmp.sub("users/zz-made-by-hand"));
  test::write_text(tmp.sub("users/zz-file"), "x");
  Registry reg;
  UserRecord rec;
  rec.name = "zz-registered";
  rec.uid = 1001;
  reg.put(rec);
  reg.retire(RemovedUser{"zz-gone", 1002, GroupRef{"zz-gone", 1002}, "kept", tmp.sub("users/zz-gone"),
                         "2026-11-30T10:00:00Z"});
  const auto orphans = orphaned_homes(c, reg);
  ASSERT_EQ(orphans.size(), 2U);
  EXPECT_EQ(orphans[0].path, tmp.sub("users/zz-gone"));
  EXPECT_EQ(orphans[0].removed, "removed 2026-11-30T10:00:00Z");
  EXPECT_EQ(orphans[1].path, tmp.sub("users/zz-made-by-hand"));
  EXPECT_EQ(orphans[1].removed, "");
  EXPECT_NE(describe(orphans[0]).find("Orphaned home"), std::string::npos);
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

// A whole account with a plain home: what `user repair` sees for a user with nothing to do.
UserState whole_user_state() {
  UserState st;
  st.account = os::UserInfo{"alice", 1001, 1001, "/home/alice", "/bin/bash"};
  st.groups_by_name = {os::GroupInfo{"alice", 1001, {}}, os::GroupInfo{"gpu-users", 1000, {}}};
  st.groups_by_gid = {os::GroupInfo{"alice", 1001, {}}, os::GroupInfo{"gpu-users", 1000, {}}};
  st.member_of = {1000};
  st.primary_group = os::GroupInfo{"alice", 1001, {}};
  st.local = os::LocalAccounts{true, true, {"alice"}, {"alice"}, {"alice", "gpu-users"}, {"alice", "gpu-users"}};
  os::FileInfo home;
  home.mode = S_IFDIR | 0750;
  home.uid = 1001;
  st.home.info = home;
  return st;
}

const PlanItem& quota_item(const std::vector<PlanItem>& items) {
  return items.back();
}

TEST(PlanUser, QuotaIsSetWhereTheLimitDiffers) {
  UserSpec spec = restore_spec();
  spec.record.quota = 50ULL << 20U;
  UserState st = whole_user_state();
  st.quota = HomeQuota{true, true, true, 1000, 0, ""};  // a subvolume with no limit
  auto items = plan_user(spec, st);
  ASSERT_EQ(quota_item(items).actions.size(), 1U);
  const auto* set = std::get_if<SetHomeQuota>(&quota_item(items).actions.front());
  ASSERT_NE(set, nullptr);
  EXPECT_EQ(set->path, spec.data_home);
  EXPECT_EQ(set->bytes, 50ULL << 20U);
  st.quota.limit = 40ULL << 20U;  // another limit
  EXPECT_TRUE(has<SetHomeQuota>(plan_user(spec, st)));
  st.quota.enabled = false;  // quotas turned off since
  st.quota.limit = 0;
  EXPECT_TRUE(has<SetHomeQuota>(plan_user(spec, st)));
  st.quota = HomeQuota{true, true, true, 1000, 50ULL << 20U, ""};  // as recorded: nothing to do
  items = plan_user(spec, st);
  EXPECT_FALSE(has<SetHomeQuota>(items));
  EXPECT_TRUE(quota_item(items).ok());
  spec.record.quota = 0;  // no quota recorded: no quota item at all
  EXPECT_FALSE(has<SetHomeQuota>(plan_user(spec, st)));
}

TEST(PlanUser, NewHomeIsASubvolumeWhereTheUsersDirIsOne) {
  UserSpec spec = restore_spec();
  UserState st = whole_user_state();
  st.home.info.reset();
  auto create = [&] {
    for (const auto& item : plan_user(spec, st)) {
      for (const auto& a : item.actions) {
        if (const auto* c = std::get_if<CreateHome>(&a)) {
          return *c;
        }
      }
    }
    ADD_FAILURE() << "no CreateHome";
    return CreateHome{};
  };
  EXPECT_FALSE(create().subvolume);
  st.users_subvolume = true;
  EXPECT_TRUE(create().subvolume);
  spec.record.quota = 1ULL << 30U;  // and the limit goes on it once it is made
  EXPECT_TRUE(has<SetHomeQuota>(plan_user(spec, st)));
}

TEST(PlanUser, QuotaOnAPlainDirectoryIsAConflict) {
  UserSpec spec = restore_spec();
  spec.record.quota = 1ULL << 30U;
  UserState st = whole_user_state();
  st.users_subvolume = true;
  st.quota = HomeQuota{true, false, false, 0, 0, ""};  // an old home made before quotas
  auto items = plan_user(spec, st);
  EXPECT_FALSE(has<SetHomeQuota>(items));
  ASSERT_EQ(quota_item(items).actions.size(), 1U);
  EXPECT_TRUE(std::holds_alternative<Conflict>(quota_item(items).actions.front()));
  spec.convert_home = true;  // user add --quota: made a subvolume first, then limited
  items = plan_user(spec, st);
  ASSERT_EQ(quota_item(items).actions.size(), 2U);
  EXPECT_TRUE(std::holds_alternative<ConvertHome>(quota_item(items).actions.front()));
  EXPECT_TRUE(std::holds_alternative<SetHomeQuota>(quota_item(items).actions.back()));
  st.users_subvolume = false;  // no btrfs at all
  st.quota = HomeQuota{};
  st.home.info.reset();
  EXPECT_TRUE(std::holds_alternative<Conflict>(quota_item(plan_user(spec, st)).actions.front()));
}

}  // namespace
}  // namespace aicactl::core
