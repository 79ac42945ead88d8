// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/users/removal.hpp"

#include <gtest/gtest.h>

#include <variant>

#include "support/test_support.hpp"

namespace aicactl::core {
namespace {

// A name no account has, so the plan holds only what the temp data root calls for.
constexpr const char* kName = "aicactl-rm-test";
constexpr const char* kNow = "2026-11-30T10:20:30Z";

struct Fixture {
  test::TempDir dir;
  Config config;
  Registry registry;
  Fixture() {
    config.data_root = dir.path();
    test::make_dir(dir.sub("users"));
    test::make_dir(dir.sub(std::string("users/") + kName), 0750);
    test::write_text(dir.sub(std::string("users/") + kName + "/notes.txt"), "kept\n");
    test::make_dir(dir.sub("system"));
    test::make_dir(dir.sub("system/config"));
    UserRecord rec;
    rec.name = kName;
    rec.uid = 4242;
    rec.primary = GroupRef{kName, 4242};
    registry.put(rec);
  }
};

TEST(UserRemoval, ArchivePlansOneMoveAndRecordsWhereTheHomeWent) {
  Fixture f;
  const RemovalPlan r = plan_user_removal(f.config, f.registry, kName, HomeDisposition::archive, kNow);
  ASSERT_EQ(r.plan.items.size(), 1U);
  ASSERT_EQ(r.plan.items[0].actions.size(), 1U);
  const auto* move = std::get_if<ArchiveHome>(&r.plan.items[0].actions[0]);
  ASSERT_NE(move, nullptr);
  EXPECT_EQ(move->from, std::string("users/") + kName);
  EXPECT_EQ(move->to, std::string("archive/") + kName + "-20261130");
  EXPECT_EQ(r.gone.home, "archived");
  EXPECT_EQ(r.gone.home_path, f.dir.sub(std::string("archive/") + kName + "-20261130"));
  EXPECT_EQ(r.gone.uid, 4242U);
  EXPECT_EQ(r.gone.removed_at, kNow);
}

TEST(UserRemoval, KeepPlansNothingButANote) {
  Fixture f;
  const RemovalPlan r = plan_user_removal(f.config, f.registry, kName, HomeDisposition::keep, kNow);
  EXPECT_TRUE(r.plan.items.empty());
  ASSERT_EQ(r.plan.notes.size(), 1U);
  EXPECT_NE(r.plan.notes[0].find("Kept '" + f.dir.sub(std::string("users/") + kName) + "'"), std::string::npos);
  EXPECT_EQ(r.gone.home, "kept");
}

TEST(UserRemoval, PurgePlansTheDeletion) {
  Fixture f;
  const RemovalPlan r = plan_user_removal(f.config, f.registry, kName, HomeDisposition::purge, kNow);
  ASSERT_EQ(r.plan.items.size(), 1U);
  const auto* purge = std::get_if<PurgeHome>(&r.plan.items[0].actions[0]);
  ASSERT_NE(purge, nullptr);
  EXPECT_EQ(purge->dir, f.dir.sub("users"));
  EXPECT_EQ(purge->name, kName);
  EXPECT_EQ(describe(r.plan.items[0].actions[0], Tense::future),
            "Would delete '" + f.dir.sub(std::string("users/") + kName) + "' and everything in it");
  EXPECT_EQ(r.gone.home, "purged");
}

TEST(UserRemoval, DryRunChangesNothing) {
  Fixture f;
  const Report report = remove_user(f.config, f.registry, kName, HomeDisposition::archive, DryRun::yes);
  EXPECT_EQ(report.failed, 0U);
  EXPECT_EQ(report.changed, 0U);
  ASSERT_FALSE(report.actions.empty());
  EXPECT_EQ(report.actions[0].kind, "archive");
  EXPECT_EQ(report.actions[0].status, Status::planned);
  EXPECT_TRUE(test::exists_nofollow(f.dir.sub(std::string("users/") + kName + "/notes.txt")));
  EXPECT_FALSE(test::exists_nofollow(f.dir.sub("archive")));
  EXPECT_FALSE(test::exists_nofollow(f.dir.sub(std::string(kRegistryFile))));
}

TEST(UserRemoval, ArchiveMovesTheHomeAndRetiresTheUser) {
  Fixture f;
  const Report report = remove_user(f.config, f.registry, kName, HomeDisposition::archive, DryRun::no);
  EXPECT_EQ(report.failed, 0U) << (report.actions.empty() ? "" : report.actions[0].error);
  EXPECT_FALSE(test::exists_nofollow(f.dir.sub(std::string("users/") + kName)));
  const std::string archived = f.dir.sub("archive/" + std::string(kName) + "-" + [] {
    std::string day = utc_now().substr(0, 10);
    std::erase(day, '-');
    return day;
  }());
  EXPECT_EQ(test::read_text(archived + "/notes.txt"), "kept\n");
  EXPECT_EQ(test::lstat_or_throw(f.dir.sub("archive")).st_mode & 07777, 0700U);
  EXPECT_EQ(f.registry.find(kName), nullptr);
  ASSERT_EQ(f.registry.removed.size(), 1U);
  EXPECT_EQ(f.registry.removed[0].home, "archived");
  EXPECT_TRUE(test::exists_nofollow(f.dir.sub(std::string(kRegistryFile))));
}

TEST(UserRemoval, ARenamedLinkIsLeftAlone) {
  // The link is removed only while it still points to the home (checked again when applied).
  test::TempDir dir;
  test::make_symlink(dir.sub("elsewhere"), dir.sub("link"));
  const auto result = apply(RemoveLink{dir.sub("link"), dir.sub("home")});
  EXPECT_FALSE(result.has_value());
  EXPECT_TRUE(test::exists_nofollow(dir.sub("link")));
}

}  // namespace
}  // namespace aicactl::core
