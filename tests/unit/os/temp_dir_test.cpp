// SPDX-License-Identifier: Apache-2.0
#include "aicactl/os/temp_dir.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "aicactl/os/process.hpp"
#include "support/test_support.hpp"

namespace aicactl::os {
namespace {

TEST(TempDir, PrivateAndRemovedWithContent) {
  const test::TempDir tmp;
  std::string path;
  {
    auto t = TempDir::create(tmp.path(), "stage-");
    ASSERT_TRUE(t.has_value()) << t.error().message();
    path = t->path();
    EXPECT_TRUE(path.starts_with(tmp.sub("stage-")));
    EXPECT_EQ(test::lstat_or_throw(path).st_mode & 07777, 0700U);
    test::make_dir(path + "/d");
    test::write_text(path + "/d/f", "x");
    test::make_symlink(tmp.sub("keep"), path + "/link");
    test::write_text(tmp.sub("keep"), "kept");
  }
  EXPECT_FALSE(test::exists_nofollow(path));
  EXPECT_EQ(test::read_text(tmp.sub("keep")), "kept");  // the symlink was not followed
}

// A killed run's scratch dir is removed by the next run; a live one's is not.
TEST(TempDir, StaleOnesAreRemovedLiveOnesKept) {
  const test::TempDir tmp;
  test::make_dir(tmp.sub("aicactl-npm-dead"), 0700);
  test::write_text(tmp.sub("aicactl-npm-dead/_cacache"), "x");
  test::make_dir(tmp.sub("other-dir"), 0700);
  auto live = TempDir::create(tmp.path(), "aicactl-npm-");
  ASSERT_TRUE(live.has_value()) << live.error().message();
  auto removed = remove_stale_temp_dirs(tmp.path(), "aicactl-npm-");
  ASSERT_TRUE(removed.has_value()) << removed.error().message();
  EXPECT_EQ(*removed, 1U);
  EXPECT_FALSE(test::exists_nofollow(tmp.sub("aicactl-npm-dead")));
  EXPECT_TRUE(test::exists_nofollow(live->path()));
  EXPECT_TRUE(test::exists_nofollow(tmp.sub("other-dir")));
}

TEST(TempDir, RefusesSymlinkParent) {
  const test::TempDir tmp;
  test::make_dir(tmp.sub("real"));
  test::make_symlink(tmp.sub("real"), tmp.sub("link"));
  EXPECT_FALSE(TempDir::create(tmp.sub("link"), "x-").has_value());
}

TEST(CopyFileInto, CopiesWithModeAndRefusesNonFiles) {
  const test::TempDir tmp;
  test::write_text(tmp.sub("src"), std::string(200000, 'z'));
  test::make_dir(tmp.sub("out"));
  const test::Fd out(test::open_dir_nofollow(AT_FDCWD, tmp.sub("out")));
  ASSERT_TRUE(copy_file_into(tmp.sub("src"), out.get(), "copy", 0600, "copy").has_value());
  EXPECT_EQ(test::read_text(tmp.sub("out/copy")), std::string(200000, 'z'));
  EXPECT_EQ(test::lstat_or_throw(tmp.sub("out/copy")).st_mode & 07777, 0600U);
  // Never over an existing name (O_EXCL), never from a directory.
  EXPECT_FALSE(copy_file_into(tmp.sub("src"), out.get(), "copy", 0600, "copy").has_value());
  auto dir = copy_file_into(tmp.path(), out.get(), "dir", 0600, "dir");
  ASSERT_FALSE(dir.has_value());
  EXPECT_EQ(dir.error().code, EINVAL);
}

TEST(ReadFileAt, RefusesSymlinks) {
  const test::TempDir tmp;
  test::write_text(tmp.sub("f"), "content");
  test::make_symlink(tmp.sub("f"), tmp.sub("l"));
  const test::Fd dir(test::open_dir_nofollow(AT_FDCWD, tmp.path()));
  auto r = read_file_at(dir.get(), "f", "f");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, "content");
  EXPECT_FALSE(read_file_at(dir.get(), "l", "l").has_value());
}

TEST(RunProgramWith, CleanEnvironmentAndUmask) {
  ::setenv("CONDA_PREFIX", "/leak", 1);
  auto r = run_program_with({"sh", "-c", "printf '%s|%s|' \"${CONDA_PREFIX:-none}\" \"$ONLY\"; umask"},
                            RunOptions{{"ONLY=1", "PATH=/usr/bin:/bin"}, InheritEnv::no, 022});
  ::unsetenv("CONDA_PREFIX");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->out, "none|1|0022\n");
  // Inherited by default, and our own umask is unchanged afterwards.
  const mode_t before = ::umask(027);
  r = run_program_with({"sh", "-c", "umask"}, RunOptions{{}, InheritEnv::yes, 0077});
  EXPECT_EQ(::umask(before), 027U);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->out, "0077\n");
}

}  // namespace
}  // namespace aicactl::os
