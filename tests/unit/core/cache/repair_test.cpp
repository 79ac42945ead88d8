// SPDX-License-Identifier: Apache-2.0
// cache repair's skip of entries unchanged since the last complete repair: what the stamps
// accept, and that a skipped tree still reports planted hard links while a changed entry
// (newer ctime) is repaired.
#include "aicactl/core/cache/repair.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
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

// user repair's rules: only directories, regular files and symlinks change; root's entries only
// when a directory or a single-link regular file; devices, sockets and FIFOs are reported and left
// exactly as they are; set-id bits are cleared on the files the user ends up owning.
TEST(RepairHome, OnlyDirsFilesAndLinksChangeDevicesAreReported) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "needs root (mknod, chown)";
  }
  // uids no account has: the user, and one left from before a re-image
  const uid_t user = 4'100'042;
  const uid_t orphan = 4'100'043;
  test::TempDir dir;
  const std::string home = dir.sub("home");
  test::make_dir(home, 0750);
  ASSERT_EQ(::chown(home.c_str(), user, user), 0);
  ASSERT_EQ(::mknod((home + "/disk").c_str(), S_IFBLK | 0600, makedev(8, 0)), 0);
  ASSERT_EQ(::mknod((home + "/null").c_str(), S_IFCHR | 0600, makedev(1, 3)), 0);
  ASSERT_EQ(::mkfifo((home + "/fifo").c_str(), 0600), 0);
  ASSERT_EQ(::mkfifo((home + "/own-fifo").c_str(), 0600), 0);
  ASSERT_EQ(::lchown((home + "/own-fifo").c_str(), user, user), 0);
  {
    const int s = ::socket(AF_UNIX, SOCK_STREAM, 0);
    ASSERT_GE(s, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const std::string path = home + "/sock";
    ASSERT_LT(path.size(), sizeof(addr.sun_path));
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    ASSERT_EQ(::bind(s, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)), 0);
    ::close(s);
  }
  test::write_text(home + "/root-suid", "x", 0644);
  ASSERT_EQ(::chmod((home + "/root-suid").c_str(), 06755), 0);
  test::write_text(home + "/own-suid", "x", 0644);
  ASSERT_EQ(::chown((home + "/own-suid").c_str(), user, user), 0);
  ASSERT_EQ(::chmod((home + "/own-suid").c_str(), 04755), 0);
  test::make_dir(home + "/root-dir", 0700);
  test::make_symlink("/etc/shadow", home + "/root-link");
  test::make_symlink("/etc/shadow", home + "/orphan-link");
  ASSERT_EQ(::lchown((home + "/orphan-link").c_str(), orphan, orphan), 0);
  test::write_text(dir.sub("outside"), "secret", 0600);
  ASSERT_EQ(::link(dir.sub("outside").c_str(), (home + "/hardlink").c_str()), 0);

  const RepairResult dry = repair_home_tree(home, user, user, DryRun::yes);
  EXPECT_EQ(test::lstat_or_throw(home + "/root-suid").st_uid, 0U) << "a dry run changes nothing";

  const RepairResult r = repair_home_tree(home, user, user, DryRun::no);
  EXPECT_TRUE(r.errors.empty()) << r.errors.front();
  EXPECT_EQ(r.special, (std::vector<std::string>{home + "/disk", home + "/fifo", home + "/null", home + "/sock"}));
  EXPECT_EQ(r.skipped, std::vector<std::string>{home + "/hardlink"});
  // root-suid, own-suid, root-dir, orphan-link
  EXPECT_EQ(r.changed, 4U);
  EXPECT_EQ(dry.changed, r.changed);
  for (const char* name : {"disk", "null", "fifo", "sock", "root-link", "hardlink"}) {
    EXPECT_EQ(test::lstat_or_throw(home + "/" + name).st_uid, 0U) << name;
  }
  EXPECT_EQ(test::lstat_or_throw(home + "/disk").st_mode & 07777, 0600U);
  EXPECT_EQ(test::lstat_or_throw(dir.sub("outside")).st_uid, 0U);
  const struct stat suid = test::lstat_or_throw(home + "/root-suid");
  EXPECT_EQ(suid.st_uid, user);
  EXPECT_EQ(suid.st_mode & 07777, 0755U);
  EXPECT_EQ(test::lstat_or_throw(home + "/own-suid").st_mode & 07777, 0755U);
  EXPECT_EQ(test::lstat_or_throw(home + "/root-dir").st_uid, user);
  EXPECT_EQ(test::lstat_or_throw(home + "/orphan-link").st_uid, user);
  EXPECT_EQ(test::lstat_or_throw("/etc/shadow").st_uid, 0U);

  const RepairResult again = repair_home_tree(home, user, user, DryRun::no);
  EXPECT_EQ(again.changed, 0U);
}

}  // namespace
}  // namespace aicactl::core
