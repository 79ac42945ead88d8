// cache repair's skip of entries unchanged since the last complete repair: what the stamps
// accept, and that a skipped tree still reports planted hard links while a changed entry
// (newer ctime) is repaired.
#include "aicactl/core/repair.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>

#include "support/test_support.hpp"

namespace aicactl::core {
namespace {

TEST(RepairStamps, OnlyAValidStampOfTheSameTreeCounts) {
  RepairStamps stamps;
  const std::string key = RepairStamps::key("/data/cache/pip", 42, 7, 1500, true);
  const std::int64_t started = 1'800'000'000;
  stamps.record(key, started);
  // backdated by the margin for the coarse ctime clock
  EXPECT_EQ(stamps.unchanged_before(key, started + 60), started - RepairStamps::kMarginSeconds);
  EXPECT_EQ(stamps.unchanged_before(RepairStamps::key("/data/cache/pip", 42, 8, 1500, true), started + 60), 0)
      << "another inode (the tree was replaced)";
  EXPECT_EQ(stamps.unchanged_before(RepairStamps::key("/data/cache/pip", 42, 7, 1501, true), started + 60), 0)
      << "another group id";
  EXPECT_EQ(stamps.unchanged_before(RepairStamps::key("/data/cache/pip", 42, 7, 1500, false), started + 60), 0)
      << "ACLs turned off";
  EXPECT_EQ(stamps.unchanged_before(key, started - 3600), 0) << "the clock went backwards";
  EXPECT_EQ(stamps.unchanged_before(key, started + RepairStamps::kDefaultMaxAge + 10), 0) << "expired";
}

TEST(RepairStamps, SaveAndLoadRoundTrip) {
  test::TempDir dir;
  const std::string file = dir.sub("stamps");
  RepairStamps stamps;
  const std::string a = RepairStamps::key("/data/cache/pip", 1, 2, 3, true);
  const std::string b = RepairStamps::key("/data/models/my models", 1, 9, 3, false);
  stamps.record(a, 1000);
  stamps.record(b, 2000);
  ASSERT_TRUE(stamps.save(file));
  EXPECT_EQ(test::lstat_or_throw(file).st_mode & 07777, 0600U);
  const RepairStamps loaded = RepairStamps::load(file);
  EXPECT_EQ(loaded.unchanged_before(a, 1100), 1000 - RepairStamps::kMarginSeconds);
  EXPECT_EQ(loaded.unchanged_before(b, 2100), 2000 - RepairStamps::kMarginSeconds);
  test::write_text(file, "garbage\nnot-a-number key\n");
  EXPECT_EQ(RepairStamps::load(file).unchanged_before(a, 1100), 0);
  EXPECT_EQ(RepairStamps::load(dir.sub("missing")).unchanged_before(a, 1100), 0);
}

TEST(RepairSkip, UnchangedEntriesAreNotTouchedChangedOnesAre) {
  test::TempDir dir;
  const std::string tree = dir.sub("cache");
  test::make_dir(tree, 02775);
  test::write_text(tree + "/old", "x", 0600);
  RepairPolicy policy{::getegid(), "", false, 1, 0};
  // everything is older than a stamp in the future: nothing is read or changed
  policy.unchanged_before = std::time(nullptr) + 3600;
  RepairResult skipped = repair_tree(tree, policy, DryRun::no);
  EXPECT_EQ(skipped.entries, 2U);
  EXPECT_EQ(skipped.unchanged, 2U);
  EXPECT_EQ(skipped.changed, 0U);
  EXPECT_EQ(test::lstat_or_throw(tree + "/old").st_mode & 07777, 0600U);
  // a stamp older than the entries' ctime: they are checked and repaired
  policy.unchanged_before = std::time(nullptr) - 3600;
  RepairResult full = repair_tree(tree, policy, DryRun::no);
  EXPECT_EQ(full.unchanged, 0U);
  EXPECT_GE(full.changed, 1U);
  EXPECT_EQ(test::lstat_or_throw(tree + "/old").st_mode & 07777, 0660U);
}

TEST(RepairSkip, PlantedHardLinksAreReportedEvenWhenUnchanged) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "needs root (a root-owned hard link)";
  }
  test::TempDir dir;
  const std::string tree = dir.sub("cache");
  test::make_dir(tree, 02775);
  test::write_text(dir.sub("outside"), "secret", 0600);
  ASSERT_EQ(::link(dir.sub("outside").c_str(), (tree + "/planted").c_str()), 0);
  RepairPolicy policy{::getegid(), "", false, 1, std::time(nullptr) + 3600};
  RepairResult result = repair_tree(tree, policy, DryRun::no);
  EXPECT_EQ(result.skipped, std::vector<std::string>{tree + "/planted"});
  EXPECT_EQ(test::lstat_or_throw(dir.sub("outside")).st_mode & 07777, 0600U);
}

}  // namespace
}  // namespace aicactl::core
