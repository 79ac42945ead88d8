// SPDX-License-Identifier: Apache-2.0
// One cache repair pass over the config's shared trees: missing trees are notes, a locked run
// records its stamps so the next incremental pass reads nothing again, a dry run and --full
// read everything, and a missing sharing group is an error before anything is read.
#include "aicactl/core/cache/repair_pass.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aicactl/core/plan/errors.hpp"
#include "aicactl/os/accounts.hpp"
#include "support/test_support.hpp"

namespace aicactl::core {
namespace {

struct Trees {
  test::TempDir dir;
  Config config;
  Trees() {
    config.data_root = dir.sub("data");
    config.lock_dir = dir.sub("run");
    config.acl_mode = AclMode::off;
    config.group = os::find_group(::getegid()).value().name;
    config.caches = {{"pip", "cache/pip"}, {"npm", "cache/npm"}};
    config.models = {{"huggingface", ""}};
    test::make_dir(config.data_root);
    test::make_dir(config.lock_dir, 0700);
    test::make_dir(config.under_root("cache"));
    test::make_dir(config.under_root("cache/pip"), 02775);
    test::write_text(config.under_root("cache/pip/wheel"), "x", 0600);
  }
};

TEST(RepairPass, RepairsEachTreeThenSkipsWhatTheStampSaysIsUnchanged) {
  Trees t;
  const RepairPassReport first = repair_shared_trees(t.config, {});
  ASSERT_EQ(first.results.size(), 1U);  // npm's tree is missing, huggingface's disabled
  EXPECT_EQ(first.results[0].root, t.config.under_root("cache/pip"));
  EXPECT_GE(first.results[0].changed, 1U);
  EXPECT_FALSE(first.failed());
  EXPECT_EQ(first.notes,
            std::vector<std::string>{"'" + t.config.under_root("cache/npm") + "' does not exist; run 'aicactl setup'"});
  EXPECT_TRUE(first.warnings.empty());
  EXPECT_EQ(test::lstat_or_throw(t.config.under_root("cache/pip/wheel")).st_mode & 07777, 0660U);
  EXPECT_EQ(test::lstat_or_throw(t.config.lock_dir + "/" + kRepairStampsFile).st_mode & 07777, 0600U);

  // The first pass changed entries after its stamp; a pass started past the stamp's margin
  // finds them in order and stamps a time after their change, so the third reads nothing.
  ::sleep(RepairStamps::kMarginSeconds + 1);
  EXPECT_EQ(repair_shared_trees(t.config, {}).results[0].changed, 0U);
  const RepairPassReport third = repair_shared_trees(t.config, {});
  EXPECT_EQ(third.results[0].unchanged, third.results[0].entries);
  EXPECT_EQ(third.notes.back(), std::to_string(third.results[0].entries) +
                                    " entries unchanged since the last complete repair were not read again ('cache "
                                    "repair --full' reads them)");
  EXPECT_EQ(repair_shared_trees(t.config, {.scope = RepairScope::full}).results[0].unchanged, 0U);
  EXPECT_EQ(repair_shared_trees(t.config, {.dry_run = DryRun::yes}).results[0].unchanged, 0U);
}

TEST(RepairPass, ADryRunOrAnUnlockedRunWritesNoStamps) {
  Trees t;
  const RepairPassReport dry = repair_shared_trees(t.config, {.dry_run = DryRun::yes});
  EXPECT_GE(dry.results[0].changed, 1U);
  EXPECT_EQ(test::lstat_or_throw(t.config.under_root("cache/pip/wheel")).st_mode & 07777, 0600U);
  (void)repair_shared_trees(t.config, {.locked = Locked::no});
  struct stat st {};
  EXPECT_NE(::lstat((t.config.lock_dir + "/" + kRepairStampsFile).c_str(), &st), 0);
}

TEST(RepairPass, AMissingGroupIsAnErrorBeforeAnythingIsRead) {
  Trees t;
  t.config.group = "aicactl-no-such-group";
  try {
    (void)repair_shared_trees(t.config, {});
    FAIL() << "no group";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::failure);
    EXPECT_EQ(std::string(e.what()), "Group 'aicactl-no-such-group' does not exist; run 'aicactl setup' first");
  }
  EXPECT_EQ(test::lstat_or_throw(t.config.under_root("cache/pip/wheel")).st_mode & 07777, 0600U);
}

}  // namespace
}  // namespace aicactl::core
