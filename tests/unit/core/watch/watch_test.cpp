// SPDX-License-Identifier: Apache-2.0
// cache watch's pieces that need no fanotify: the per-entry repair (core/repair's rules for one
// entry, as the watcher calls them) and the state file's round trip. The watcher itself runs in
// the e2e scenario cache_watch (fanotify needs a file system with handles: tmpfs there).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aicactl/core/cache/repair.hpp"
#include "aicactl/core/watch/watcher.hpp"
#include "aicactl/os/fs.hpp"
#include "aicactl/os/walk.hpp"
#include "support/test_support.hpp"

namespace aicactl::core::watch {
namespace {

// The watcher's call for `name` in `dir`: stat without following, the entry's own fd for a dir.
RepairResult repair_one(EntryRepairer& repairer, const std::string& dir, const std::string& name) {
  auto dirfd = os::open_dir(dir);
  EXPECT_TRUE(dirfd.has_value());
  auto info = os::stat_at(dirfd->get(), name.c_str());
  EXPECT_TRUE(info.has_value());
  os::UniqueFd own;
  os::WalkEntry e;
  e.dirfd = dirfd->get();
  e.name = name.c_str();
  e.info = &*info;
  e.dir_path = &dir;
  e.depth = 1;
  if (info->is_dir()) {
    own = std::move(*os::open_dir_at(dirfd->get(), name.c_str(), name));
    e.fd = own.get();
  }
  return repairer.repair(e);
}

TEST(EntryRepairer, RepairsOneEntryOnceThenFindsItRight) {
  test::TempDir dir;
  const std::string tree = dir.sub("cache");
  test::make_dir(tree, 02775);
  test::write_text(tree + "/f", "x", 0600);
  test::make_dir(tree + "/d", 0700);
  EntryRepairer repairer(RepairPolicy{::getegid(), "", false, 1, 0});
  EXPECT_EQ(repair_one(repairer, tree, "f").changed, 1U);
  EXPECT_EQ(test::lstat_or_throw(tree + "/f").st_mode & 07777, 0660U);
  EXPECT_EQ(repair_one(repairer, tree, "d").changed, 1U);
  EXPECT_EQ(test::lstat_or_throw(tree + "/d").st_mode & 07777, 02770U);
  // Its own changes come back as events: a second look changes nothing (no loop).
  EXPECT_EQ(repair_one(repairer, tree, "f").changed, 0U);
  EXPECT_EQ(repair_one(repairer, tree, "d").changed, 0U);
}

TEST(EntryRepairer, LeavesSymlinksAndPlantedHardLinksAlone) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "needs root (a root-owned hard link)";
  }
  test::TempDir dir;
  const std::string tree = dir.sub("cache");
  test::make_dir(tree, 02775);
  test::write_text(dir.sub("outside"), "secret", 0600);
  ASSERT_EQ(::link(dir.sub("outside").c_str(), (tree + "/planted").c_str()), 0);
  test::make_symlink(dir.sub("outside"), tree + "/link");
  EntryRepairer repairer(RepairPolicy{::getegid(), "", false, 1, 0});
  const RepairResult planted = repair_one(repairer, tree, "planted");
  EXPECT_EQ(planted.changed, 0U);
  EXPECT_EQ(planted.skipped, std::vector<std::string>{tree + "/planted"});
  EXPECT_EQ(repair_one(repairer, tree, "link").changed, 0U);
  EXPECT_EQ(test::lstat_or_throw(dir.sub("outside")).st_mode & 07777, 0600U);
}

TEST(WatchState, RoundTrip) {
  WatchStats s;
  s.events = 12;
  s.repaired = 5;
  s.dropped = 7;
  s.overflows = 1;
  s.passes = 2;
  s.lag_ms_max = 3.5;
  auto parsed = parse_state(render_state(s, 42));
  EXPECT_EQ(parsed["pid"], "42");
  EXPECT_EQ(parsed["events"], "12");
  EXPECT_EQ(parsed["repaired"], "5");
  EXPECT_EQ(parsed["dropped"], "7");
  EXPECT_EQ(parsed["overflows"], "1");
  EXPECT_EQ(parsed["passes"], "2");
  EXPECT_EQ(parsed["lag_ms_max"], "3.5");
}

}  // namespace
}  // namespace aicactl::core::watch
