// SPDX-License-Identifier: Apache-2.0
// The size scan: sums like du (blocks * 512), apparent sizes, entries; hard links once;
// symlinks counted as themselves and never followed; only_uid.
#include "aicactl/os/usage.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "support/test_support.hpp"

namespace aicactl::os {
namespace {

using test::make_dir;
using test::make_symlink;
using test::TempDir;
using test::write_text;

std::uint64_t blocks_of(const std::string& path) {
  return static_cast<std::uint64_t>(test::lstat_or_throw(path).st_blocks) * 512;
}

TEST(UsageScan, SumsLikeDu) {
  TempDir tmp;
  const std::string root = tmp.sub("r");
  make_dir(root);
  make_dir(root + "/a");
  make_dir(root + "/a/b");
  write_text(root + "/a/b/f1", std::string(10000, 'x'));
  write_text(root + "/f2", std::string(123, 'y'));
  write_text(root + "/empty", "");
  std::uint64_t want_disk = 0;
  std::uint64_t want_apparent = 0;
  for (const char* p : {"", "/a", "/a/b", "/a/b/f1", "/f2", "/empty"}) {
    want_disk += blocks_of(root + p);
    want_apparent += static_cast<std::uint64_t>(test::lstat_or_throw(root + p).st_size);
  }
  for (unsigned threads : {1U, 2U, 4U}) {
    auto scan = scan_usage(root, UsageOptions{threads, std::nullopt});
    ASSERT_TRUE(scan) << scan.error().message();
    EXPECT_EQ(scan->totals.entries, 6U);
    EXPECT_EQ(scan->totals.disk_bytes, want_disk);
    EXPECT_EQ(scan->totals.apparent_bytes, want_apparent);
    EXPECT_GE(scan->totals.apparent_bytes, 10123U);
    EXPECT_TRUE(scan->errors.empty());
  }
}

TEST(UsageScan, HardLinksCountedOnce) {
  TempDir tmp;
  const std::string root = tmp.sub("r");
  make_dir(root);
  make_dir(root + "/d1");
  make_dir(root + "/d2");
  write_text(root + "/d1/big", std::string(100000, 'z'));
  for (const char* l : {"/d2/link1", "/d2/link2", "/link3"}) {
    ASSERT_EQ(::link((root + "/d1/big").c_str(), (root + l).c_str()), 0);
  }
  auto with_links = scan_usage(root, UsageOptions{2, std::nullopt});
  ASSERT_TRUE(with_links);
  ::unlink((root + "/d2/link1").c_str());
  ::unlink((root + "/d2/link2").c_str());
  ::unlink((root + "/link3").c_str());
  auto without = scan_usage(root, UsageOptions{2, std::nullopt});
  ASSERT_TRUE(without);
  EXPECT_EQ(with_links->totals.apparent_bytes, without->totals.apparent_bytes);
  EXPECT_EQ(with_links->totals.disk_bytes, without->totals.disk_bytes);
  EXPECT_EQ(with_links->totals.entries, without->totals.entries);
  EXPECT_EQ(without->totals.entries, 4U);
}

TEST(UsageScan, SymlinksNotFollowed) {
  TempDir tmp;
  const std::string root = tmp.sub("r");
  make_dir(root);
  make_dir(tmp.sub("outside"));
  write_text(tmp.sub("outside/huge"), std::string(500000, 'o'));
  make_symlink(tmp.sub("outside"), root + "/to-outside");
  make_symlink("/", root + "/to-root");
  auto scan = scan_usage(root, UsageOptions{2, std::nullopt});
  ASSERT_TRUE(scan);
  EXPECT_EQ(scan->totals.entries, 3U);  // the root and two symlinks
  EXPECT_LT(scan->totals.apparent_bytes, 500000U);
  EXPECT_EQ(scan->totals.apparent_bytes,
            static_cast<std::uint64_t>(test::lstat_or_throw(root).st_size) + tmp.sub("outside").size() + 1);
  // A symlink as the root itself is refused.
  auto linked = scan_usage(root + "/to-outside", UsageOptions{});
  ASSERT_FALSE(linked);
  EXPECT_EQ(linked.error().code, ELOOP);
}

TEST(UsageScan, OnlyUid) {
  TempDir tmp;
  const std::string root = tmp.sub("r");
  make_dir(root);
  write_text(root + "/mine", std::string(7000, 'm'));
  auto mine = scan_usage(root, UsageOptions{2, ::geteuid()});
  ASSERT_TRUE(mine);
  EXPECT_EQ(mine->totals.entries, 2U);
  auto nobody = scan_usage(root, UsageOptions{2, static_cast<uid_t>(::geteuid() + 12345)});
  ASSERT_TRUE(nobody);
  EXPECT_EQ(nobody->totals.entries, 0U);
  EXPECT_EQ(nobody->totals.disk_bytes, 0U);
  if (::geteuid() == 0) {
    ASSERT_EQ(::chown((root + "/mine").c_str(), 4242, 4242), 0);
    auto other = scan_usage(root, UsageOptions{2, 4242});
    ASSERT_TRUE(other);
    EXPECT_EQ(other->totals.entries, 1U);
    EXPECT_EQ(other->totals.apparent_bytes, 7000U);
  }
}

TEST(FsStats, OfTmpAndRefusesSymlinks) {
  TempDir tmp;
  auto s = fs_stats(tmp.path());
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_GT(s->blocks, 0U);
  EXPECT_GT(s->block_size, 0U);
  EXPECT_LE(s->blocks_avail, s->blocks_free);
  make_symlink(tmp.path(), tmp.sub("link"));
  EXPECT_FALSE(fs_stats(tmp.sub("link")));
  EXPECT_FALSE(fs_stats(tmp.sub("absent")));
}

}  // namespace
}  // namespace aicactl::os
