// SPDX-License-Identifier: Apache-2.0
#include "aicactl/os/entry_ops.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>

#include "aicactl/os/fs.hpp"
#include "support/test_support.hpp"

namespace aicactl::os {
namespace {

using test::make_dir;
using test::TempDir;
using test::write_text;

TEST(EntryOps, RemoveEmptyDirRemovesOnlyAnEmptyDirectory) {
  TempDir tmp;
  make_dir(tmp.sub("empty"));
  make_dir(tmp.sub("full"));
  write_text(tmp.sub("full/f"), "x");
  auto dir = open_dir(tmp.path());
  ASSERT_TRUE(dir);
  EXPECT_TRUE(remove_empty_dir_at(dir->get(), "empty", tmp.sub("empty")));
  EXPECT_FALSE(*lstat_path(tmp.sub("empty")));
  const auto full = remove_empty_dir_at(dir->get(), "full", tmp.sub("full"));
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().code, ENOTEMPTY);
  EXPECT_EQ(full.error().message(), "Failed to remove directory '" + tmp.sub("full") + "': Directory not empty");
  EXPECT_TRUE(*lstat_path(tmp.sub("full/f")));
}

TEST(EntryOps, SymlinkAtMakesANewLinkAndNeverReplaces) {
  TempDir tmp;
  auto dir = open_dir(tmp.path());
  ASSERT_TRUE(dir);
  ASSERT_TRUE(symlink_at("/etc/shadow", dir->get(), "l", tmp.sub("l")));
  EXPECT_EQ(read_link(tmp.sub("l")), "/etc/shadow");
  const auto again = symlink_at("/elsewhere", dir->get(), "l", tmp.sub("l"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, EEXIST);
  EXPECT_EQ(read_link(tmp.sub("l")), "/etc/shadow");
}

}  // namespace
}  // namespace aicactl::os
