// SPDX-License-Identifier: Apache-2.0
#include "aicactl/os/atomic_file.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "support/test_support.hpp"

namespace aicactl::os {
namespace {

using test::exists_nofollow;
using test::lstat_or_throw;
using test::make_dir;
using test::make_symlink;
using test::read_text;
using test::ScopedUmask;
using test::TempDir;
using test::write_text;

constexpr uid_t kNobody = 65534;

std::vector<std::string> names_in(const std::string& dir) {
  const test::Fd fd(test::open_dir_nofollow(AT_FDCWD, dir));
  auto names = test::list_names(fd.get());
  std::sort(names.begin(), names.end());
  return names;
}

Result<void> write_as_me(const std::string& path, std::string_view content, mode_t mode) {
  return write_file_atomically(path, content, mode, ::geteuid(), ::getegid());
}

TEST(AtomicFile, WritesTheContentWithTheExactModeWhateverTheUmask) {
  for (const mode_t mask : {mode_t{077}, mode_t{000}, mode_t{022}}) {
    for (const mode_t mode : {mode_t{0640}, mode_t{0755}, mode_t{0600}, mode_t{0444}, mode_t{0666}}) {
      TempDir tmp;
      const ScopedUmask umask(mask);
      const std::string path = tmp.sub("target.conf");
      const std::string content = "mode " + std::to_string(mode) + "\n";
      auto written = write_as_me(path, content, mode);
      ASSERT_TRUE(written.has_value()) << written.error().message();
      const struct stat st = lstat_or_throw(path);
      EXPECT_TRUE(S_ISREG(st.st_mode));
      EXPECT_EQ(st.st_mode & 07777, mode) << "umask " << mask;
      EXPECT_EQ(read_text(path), content);
      EXPECT_EQ(names_in(tmp.path()), std::vector<std::string>{"target.conf"}) << "a temp file was left behind";
    }
  }
}

TEST(AtomicFile, WritesEmptyAndLargeContent) {
  TempDir tmp;
  ASSERT_TRUE(write_as_me(tmp.sub("empty"), "", 0644).has_value());
  EXPECT_EQ(lstat_or_throw(tmp.sub("empty")).st_size, 0);
  std::string big(1 << 20, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) {
    big[i] = static_cast<char>(i * 7 % 256);
  }
  ASSERT_TRUE(write_as_me(tmp.sub("big"), big, 0644).has_value());
  EXPECT_EQ(read_text(tmp.sub("big")), big);
}

// chown after chmod would clear the setuid bit; the owner must be set first.
TEST(AtomicFile, SetsTheOwnerAndKeepsSpecialBits) {
  AICACTL_REQUIRE_ROOT();
  TempDir tmp;
  const std::string path = tmp.sub("owned");
  auto written = write_file_atomically(path, "x", 04750, kNobody, kNobody);
  ASSERT_TRUE(written.has_value()) << written.error().message();
  const struct stat st = lstat_or_throw(path);
  EXPECT_EQ(st.st_uid, kNobody);
  EXPECT_EQ(st.st_gid, kNobody);
  EXPECT_EQ(st.st_mode & 07777, 04750U);
}

TEST(AtomicFile, ReplacesAnExistingFileByRename) {
  TempDir tmp;
  const std::string path = tmp.sub("target");
  write_text(path, "old content\n", 0600);
  const ino_t old_ino = lstat_or_throw(path).st_ino;
  const test::Fd old_fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_GE(old_fd.get(), 0);

  auto written = write_as_me(path, "new\n", 0644);
  ASSERT_TRUE(written.has_value()) << written.error().message();
  const struct stat st = lstat_or_throw(path);
  EXPECT_NE(st.st_ino, old_ino) << "the file was rewritten in place, not replaced";
  EXPECT_EQ(st.st_mode & 07777, 0644U);
  EXPECT_EQ(read_text(path), "new\n");
  char buf[64] = {};
  EXPECT_EQ(::pread(old_fd.get(), buf, sizeof buf, 0), 12) << "a reader of the old file sees it whole";
  EXPECT_EQ(std::string(buf), "old content\n");
  EXPECT_EQ(names_in(tmp.path()), std::vector<std::string>{"target"});
}

TEST(AtomicFile, WithoutCommitTheTargetIsUntouchedAndTheTempFileRemoved) {
  TempDir tmp;
  const std::string existing = tmp.sub("existing");
  write_text(existing, "keep me\n", 0640);
  const ino_t ino = lstat_or_throw(existing).st_ino;
  std::string temp;
  {
    auto file = AtomicFile::create(existing, 0644, ::geteuid(), ::getegid());
    ASSERT_TRUE(file.has_value()) << file.error().message();
    ASSERT_TRUE(file->write("replacement").has_value());
    temp = file->temp_path();
    EXPECT_TRUE(exists_nofollow(temp)) << temp;
    EXPECT_EQ(temp.substr(0, temp.rfind('/')), tmp.path()) << "the temp file must be in the target's directory";
    EXPECT_NE(temp, existing);
    EXPECT_EQ(lstat_or_throw(temp).st_mode & 077, 0U) << "the temp file is private until commit";
    EXPECT_EQ(read_text(existing), "keep me\n");
  }
  EXPECT_FALSE(exists_nofollow(temp)) << "temp file left after destruction without commit";
  EXPECT_EQ(read_text(existing), "keep me\n");
  EXPECT_EQ(lstat_or_throw(existing).st_ino, ino);
  EXPECT_EQ(lstat_or_throw(existing).st_mode & 07777, 0640U);

  {
    auto file = AtomicFile::create(tmp.sub("new"), 0644, ::geteuid(), ::getegid());
    ASSERT_TRUE(file.has_value());
    ASSERT_TRUE(file->write("never committed").has_value());
  }
  EXPECT_EQ(names_in(tmp.path()), std::vector<std::string>{"existing"});
}

TEST(AtomicFile, CommitLeavesNoTempFile) {
  TempDir tmp;
  auto file = AtomicFile::create(tmp.sub("conf"), 0600, ::geteuid(), ::getegid());
  ASSERT_TRUE(file.has_value());
  ASSERT_TRUE(file->write("a=").has_value());
  ASSERT_TRUE(file->write("1\n").has_value());
  const std::string temp = file->temp_path();
  auto committed = file->commit();
  ASSERT_TRUE(committed.has_value()) << committed.error().message();
  EXPECT_FALSE(exists_nofollow(temp));
  EXPECT_EQ(read_text(tmp.sub("conf")), "a=1\n");
  EXPECT_EQ(names_in(tmp.path()), std::vector<std::string>{"conf"});
}

TEST(AtomicFile, AMovedFromFileRemovesNothing) {
  TempDir tmp;
  std::optional<Result<AtomicFile>> holder(AtomicFile::create(tmp.sub("conf"), 0644, ::geteuid(), ::getegid()));
  ASSERT_TRUE(holder->has_value());
  AtomicFile moved(std::move(**holder));
  holder.reset();  // destroys the moved-from object before the commit
  ASSERT_TRUE(moved.write("moved\n").has_value());
  auto committed = moved.commit();
  ASSERT_TRUE(committed.has_value()) << committed.error().message();
  EXPECT_EQ(read_text(tmp.sub("conf")), "moved\n");
}

// Move-assigns when the type allows it; deleting the operator is a fix as good as a correct one.
template <class File>
bool move_assign_if_possible(File& to, File& from) {
  if constexpr (std::is_move_assignable_v<File>) {
    to = std::move(from);
    return true;
  } else {
    return false;
  }
}

// Regression: a defaulted move assignment closed the assigned-to object's uncommitted temp file
// without unlinking it, leaving ".<name>.aicactl-<n>" in the target directory (e.g. /etc).
TEST(AtomicFile, MoveAssignmentDoesNotLeakTheOverwrittenTempFile) {
  TempDir tmp;
  {
    auto first = AtomicFile::create(tmp.sub("first"), 0644, ::geteuid(), ::getegid());
    auto second = AtomicFile::create(tmp.sub("second"), 0644, ::geteuid(), ::getegid());
    ASSERT_TRUE(first.has_value() && second.has_value());
    if (!move_assign_if_possible(*first, *second)) {
      SUCCEED() << "AtomicFile cannot be move-assigned, so it cannot leak that way";
    }
  }
  EXPECT_EQ(names_in(tmp.path()), std::vector<std::string>{}) << "an uncommitted temp file was left behind";
}

TEST(AtomicFile, RefusesASymlinkInTheParentPath) {
  TempDir tmp;
  make_dir(tmp.sub("real"));
  make_symlink(tmp.sub("real"), tmp.sub("link"));
  make_symlink("real", tmp.sub("rlink"));
  for (const char* rel : {"link/file", "rlink/file"}) {
    auto written = write_as_me(tmp.sub(rel), "x", 0644);
    EXPECT_FALSE(written.has_value()) << rel << " was written through a symlink";
    auto created = AtomicFile::create(tmp.sub(rel), 0644, ::geteuid(), ::getegid());
    EXPECT_FALSE(created.has_value()) << rel;
  }
  EXPECT_EQ(names_in(tmp.sub("real")), std::vector<std::string>{});
}

TEST(AtomicFile, ReplacesASymlinkAtTheTargetInsteadOfFollowingIt) {
  TempDir tmp;
  write_text(tmp.sub("victim"), "secret\n", 0600);
  make_symlink(tmp.sub("victim"), tmp.sub("target"));
  auto written = write_as_me(tmp.sub("target"), "new\n", 0644);
  ASSERT_TRUE(written.has_value()) << written.error().message();
  EXPECT_TRUE(S_ISREG(lstat_or_throw(tmp.sub("target")).st_mode));
  EXPECT_EQ(read_text(tmp.sub("target")), "new\n");
  EXPECT_EQ(read_text(tmp.sub("victim")), "secret\n");
  EXPECT_EQ(lstat_or_throw(tmp.sub("victim")).st_mode & 07777, 0600U);
}

TEST(AtomicFile, FailsWhenTheParentIsMissing) {
  TempDir tmp;
  auto written = write_as_me(tmp.sub("missing/file"), "x", 0644);
  ASSERT_FALSE(written.has_value());
  EXPECT_EQ(written.error().code, ENOENT);
  EXPECT_FALSE(exists_nofollow(tmp.sub("missing")));
}

// A killed run leaves its temp file; the next run finds it (and only it: not a live writer's,
// not a file of another name or owner) and removes it.
TEST(StaleTemps, KilledRunsTempIsFoundAndRemovedLiveOnesAreNot) {
  const TempDir dir;
  write_text(dir.sub(".pip.conf.aicactl-123"), "half");  // what a SIGKILL leaves
  write_text(dir.sub(".pip.conf.aicactl-x1"), "not ours");
  write_text(dir.sub("pip.conf.aicactl-5"), "no leading dot");
  make_symlink("/data/users/alice", dir.sub(".alice.aicactl-77"));
  auto live = AtomicFile::create(dir.sub("uv.toml"), 0644, ::geteuid(), ::getegid());
  ASSERT_TRUE(live) << live.error().message();
  EXPECT_TRUE(is_temp_name(".pip.conf.aicactl-123"));
  EXPECT_FALSE(is_temp_name(".aicactl-123"));
  EXPECT_FALSE(is_temp_name(".pip.conf.aicactl-"));

  auto stale = stale_temps(dir.path());
  std::sort(stale.begin(), stale.end());
  EXPECT_EQ(stale, (std::vector<std::string>{".alice.aicactl-77", ".pip.conf.aicactl-123"}));
  for (const auto& name : stale) {
    EXPECT_TRUE(remove_stale_temp(dir.path(), name)) << name;
  }
  const std::string live_name = live->temp_path().substr(live->temp_path().find_last_of('/') + 1);
  EXPECT_FALSE(remove_stale_temp(dir.path(), live_name));  // held by a live writer
  EXPECT_EQ(names_in(dir.path()), (std::vector<std::string>{".pip.conf.aicactl-x1", live_name, "pip.conf.aicactl-5"}));
  ASSERT_TRUE(live->write("x"));
  ASSERT_TRUE(live->commit());
  EXPECT_EQ(read_text(dir.sub("uv.toml")), "x");
}

}  // namespace
}  // namespace aicactl::os
