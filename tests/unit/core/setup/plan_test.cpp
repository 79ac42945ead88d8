// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "aicactl/core/plan/shared_acl.hpp"
#include "aicactl/core/setup/setup_plan.hpp"
#include "aicactl/core/setup/spec.hpp"

namespace aicactl::core {
namespace {

ServerSpec small_spec(const std::string& root) {
  ServerSpec spec;
  spec.group = "root";  // gid 0: exists everywhere, so no account is created by the test
  spec.data_root = root + "/data";
  spec.dirs = {
      DirSpec{root + "/data", "root", 0755, ModePolicy::strip_write, false},
      DirSpec{root + "/data/cache", "root", 0755, ModePolicy::exact, false},
      DirSpec{root + "/data/cache/pip", "root", 02775, ModePolicy::exact, true},
      DirSpec{root + "/etc", "root", 0755, ModePolicy::create_only, false},
  };
  spec.files = {
      FileSpec{
          root + "/etc/pip.conf", {Setting{FileFormat::ini, "global", {"cache-dir"}, root + "/data/cache/pip"}}, 0644},
      FileSpec{root + "/etc/profile.sh", {Setting{FileFormat::whole, "", {}, "export X=1\n"}}, 0644},
  };
  return spec;
}

class PlanOnDisk : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) {
      GTEST_SKIP() << "needs root (chown to root:root)";
    }
    char tmpl[] = "/tmp/aicactl-plan-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    if (!dir_.empty()) {
      std::filesystem::remove_all(dir_);
    }
  }
  std::string dir_;
};

TEST(Plan, FreshServerNeedsEverything) {
  ServerSpec spec = small_spec("/nonexistent-root");
  ServerState state;  // nothing exists, group missing
  state.group_gid = std::nullopt;
  for (const auto& d : spec.dirs) state.paths[d.path] = PathState{};
  for (const auto& f : spec.files) state.paths[f.path] = PathState{};
  spec.group = "gpu-users";
  const Plan plan = plan_setup(spec, state);
  // group + 4 dirs (+2 ACLs on the shared one) + 2 files
  EXPECT_EQ(plan.action_count(), 1U + 4U + 2U + 2U);
  const Report dry = apply_plan(plan, DryRun::yes);
  EXPECT_EQ(dry.changed, 0U);
  for (const auto& a : dry.actions) {
    EXPECT_EQ(a.status, Status::planned);
    EXPECT_EQ(a.description.rfind("Would ", 0), 0U) << a.description;
  }
}

// An interrupted groupadd leaves the group without its gshadow entry: setup completes it.
TEST(Plan, HalfWrittenGroupIsCompleted) {
  ServerSpec spec = small_spec("/r");
  spec.group = "gpu-users";
  ServerState state;
  state.group_gid = 1500;
  state.group_half_written = true;
  for (const auto& d : spec.dirs) state.paths[d.path] = PathState{};
  for (const auto& f : spec.files) state.paths[f.path] = PathState{};
  const Plan plan = plan_setup(spec, state);
  ASSERT_EQ(plan.items.front().actions.size(), 1U);
  const auto* complete = std::get_if<CompleteAccount>(&plan.items.front().actions.front());
  ASSERT_NE(complete, nullptr);
  ASSERT_EQ(complete->batch.groups.size(), 1U);
  EXPECT_EQ(complete->batch.groups[0].name, "gpu-users");
  EXPECT_EQ(complete->batch.groups[0].gid, 1500U);
  state.group_half_written = false;
  EXPECT_TRUE(plan_setup(spec, state).items.front().ok());
}

TEST(Plan, UsersOnBtrfsIsCreatedAsASubvolumeAndAPlainOneGetsANote) {
  ServerSpec spec = small_spec("/r");
  spec.dirs[1].subvolume = true;
  ServerState state;
  state.group_gid = 0;
  for (const auto& d : spec.dirs) state.paths[d.path] = PathState{};
  for (const auto& f : spec.files) state.paths[f.path] = PathState{};
  auto create_of = [](const Plan& plan) -> const CreateDirectory* {
    for (const auto& item : plan.items) {
      for (const auto& a : item.actions) {
        if (const auto* c = std::get_if<CreateDirectory>(&a); c != nullptr && c->path == "/r/data/cache")
          return c;
      }
    }
    return nullptr;
  };
  const CreateDirectory* plain = create_of(plan_setup(spec, state));
  ASSERT_NE(plain, nullptr);
  EXPECT_FALSE(plain->subvolume);  // not on btrfs
  state.on_btrfs.insert("/r/data/cache");
  const Plan on_btrfs = plan_setup(spec, state);
  ASSERT_NE(create_of(on_btrfs), nullptr);
  EXPECT_TRUE(create_of(on_btrfs)->subvolume);
  EXPECT_NE(describe(Action{*create_of(on_btrfs)}, Tense::future).find("btrfs subvolume"), std::string::npos);
  EXPECT_TRUE(on_btrfs.notes.empty());
  // An existing plain directory stays as it is, with a note.
  os::FileInfo info;
  info.mode = S_IFDIR | 0755;
  state.paths["/r/data/cache"] = PathState{info, {}, {}, {}, "", ""};
  const Plan existing = plan_setup(spec, state);
  EXPECT_EQ(create_of(existing), nullptr);
  ASSERT_EQ(existing.notes.size(), 1U);
  EXPECT_NE(existing.notes[0].find("not a subvolume"), std::string::npos);
  state.subvolumes.insert("/r/data/cache");
  EXPECT_TRUE(plan_setup(spec, state).notes.empty());
}

TEST(Plan, SymlinkWhereADirectoryBelongsIsAConflict) {
  ServerSpec spec = small_spec("/r");
  ServerState state;
  state.group_gid = 0;
  for (const auto& d : spec.dirs) {
    os::FileInfo info;
    info.mode = S_IFDIR | d.mode;
    state.paths[d.path] = PathState{info, {}, {}, {}, "", ""};
  }
  state.paths["/r/data/cache"].info->mode = S_IFLNK | 0777;
  for (const auto& f : spec.files) state.paths[f.path] = PathState{};
  const Plan plan = plan_setup(spec, state);
  bool conflict = false;
  for (const auto& item : plan.items) {
    for (const auto& a : item.actions) {
      conflict = conflict || (std::holds_alternative<Conflict>(a) && target_of(a) == "/r/data/cache");
    }
  }
  EXPECT_TRUE(conflict);
}

TEST_F(PlanOnDisk, PlanAfterApplyIsEmpty) {
  const ServerSpec spec = small_spec(dir_);
  ::mkdir((dir_ + "/etc").c_str(), 0755);
  std::ofstream(dir_ + "/etc/pip.conf") << "[global]\ncert = /x.crt\n";
  const mode_t old = ::umask(077);
  const Plan first = plan_setup(spec, inspect(spec));
  ASSERT_GT(first.action_count(), 0U);
  const Report report = apply_plan(first, DryRun::no);
  ::umask(old);
  EXPECT_EQ(report.failed, 0U);
  EXPECT_GT(report.changed, 0U);
  const Plan second = plan_setup(spec, inspect(spec));
  EXPECT_EQ(second.action_count(), 0U);

  struct stat st {};
  ASSERT_EQ(::stat((dir_ + "/data/cache/pip").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 02775U);
  ASSERT_EQ(::stat((dir_ + "/etc/pip.conf").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644U);  // umask 077 did not matter
  std::ifstream in(dir_ + "/etc/pip.conf");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("cert = /x.crt"), std::string::npos);
  EXPECT_NE(text.find("cache-dir = " + dir_ + "/data/cache/pip"), std::string::npos);
}

TEST_F(PlanOnDisk, DryRunChangesNothing) {
  const ServerSpec spec = small_spec(dir_);
  const Report report = apply_plan(plan_setup(spec, inspect(spec)), DryRun::yes);
  EXPECT_GT(report.actions.size(), 0U);
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/data"));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/etc"));
}

TEST(SharedAcl, FilesGetRwAndExecutablesRwx) {
  EXPECT_EQ(shared_perm(S_IFREG | 0600), 6);
  EXPECT_EQ(shared_perm(S_IFREG | 0700), 7);
  EXPECT_EQ(shared_perm(S_IFDIR | 0700), 7);
  const os::Acl acl = want_access_acl(std::nullopt, S_IFREG | 0600, 1234);
  EXPECT_EQ(acl.get(os::AclTag::group, 1234), 6);
  EXPECT_EQ(acl.get(os::AclTag::mask), 6);
  EXPECT_EQ(acl.get(os::AclTag::other), 0);
  EXPECT_EQ(acl.mode_bits(), 0660U);
  // Idempotent: wanting again from the result changes nothing.
  EXPECT_EQ(want_access_acl(acl, S_IFREG | acl.mode_bits(), 1234), acl);
  const os::Acl def = want_default_acl(std::nullopt, S_IFDIR | 02755, 1234);
  EXPECT_EQ(def.get(os::AclTag::group, 1234), 7);
  EXPECT_EQ(def.get(os::AclTag::group_obj), 7);
  EXPECT_EQ(def.get(os::AclTag::other), 5);
  EXPECT_EQ(want_default_acl(def, S_IFDIR | 02775, 1234), def);
}

}  // namespace
}  // namespace aicactl::core
