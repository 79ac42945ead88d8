// SPDX-License-Identifier: Apache-2.0
// empty_tree_fd (the remover of cache clean) and lock_file_at (a tool's own lock), on temp dirs.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <ctime>
#include <string>
#include <utility>
#include <vector>

#include "aicactl/os/lock.hpp"
#include "aicactl/os/tree_ops.hpp"
#include "support/test_support.hpp"

namespace aicactl::os {
namespace {

using test::ChildOutcome;
using test::exists_nofollow;
using test::Fd;
using test::lstat_or_throw;
using test::make_dir;
using test::make_symlink;
using test::read_text;
using test::run_in_child;
using test::TempDir;
using test::write_text;

constexpr std::int64_t kDay = 86400;

// Sets atime and mtime of `path` (not following a symlink) to `days` days ago.
void backdate(const std::string& path, std::int64_t atime_days, std::int64_t mtime_days) {
  const std::int64_t now = std::time(nullptr);
  const std::array<timespec, 2> times{timespec{now - atime_days * kDay, 0}, timespec{now - mtime_days * kDay, 0}};
  if (::utimensat(AT_FDCWD, path.c_str(), times.data(), AT_SYMLINK_NOFOLLOW) != 0) {
    test::throw_errno("utimensat " + path);
  }
}

std::uint64_t blocks_bytes(const std::string& path) {
  return static_cast<std::uint64_t>(lstat_or_throw(path).st_blocks) * 512;
}

struct Emptied {
  EmptyTreeSummary summary;
  std::vector<std::pair<std::string, bool>> reported;
};

Emptied empty(const std::string& root, EmptyTreeOptions options) {
  const Fd fd(test::open_dir_nofollow(AT_FDCWD, root));
  Emptied run;
  options.on_removed = [&run](const std::string& path, bool is_dir) { run.reported.emplace_back(path, is_dir); };
  run.summary = empty_tree_fd(fd.get(), root, options);
  std::ranges::sort(run.reported);
  return run;
}

std::vector<std::string> names_in(const std::string& dir) {
  const Fd fd(test::open_dir_nofollow(AT_FDCWD, dir));
  auto names = test::list_names(fd.get());
  std::ranges::sort(names);
  return names;
}

TEST(EmptyTree, RemovesEverythingBelowTheRootAndKeepsTheRoot) {
  TempDir tmp;
  const std::string root = tmp.sub("cache");
  make_dir(root, 02770);
  ::chmod(root.c_str(), 02770);
  make_dir(root + "/a");
  make_dir(root + "/a/b");
  write_text(root + "/a/b/wheel", std::string(10000, 'x'));
  write_text(root + "/top", std::string(5000, 'y'));
  make_dir(root + "/empty");
  const std::uint64_t bytes = blocks_bytes(root + "/a/b/wheel") + blocks_bytes(root + "/top");
  const struct stat before = lstat_or_throw(root);

  const Emptied run = empty(root, {});
  EXPECT_TRUE(run.summary.errors.empty());
  EXPECT_EQ(run.summary.files, 2U);
  EXPECT_EQ(run.summary.directories, 3U);
  EXPECT_EQ(run.summary.bytes, bytes);
  EXPECT_GT(run.summary.bytes, 0U);
  EXPECT_TRUE(names_in(root).empty());
  const struct stat after = lstat_or_throw(root);
  EXPECT_EQ(after.st_ino, before.st_ino);
  EXPECT_EQ(after.st_mode, before.st_mode);
  // Only the topmost entries are reported: "a" stands for a/b and a/b/wheel.
  const std::vector<std::pair<std::string, bool>> expected{
      {root + "/a", true}, {root + "/empty", true}, {root + "/top", false}};
  EXPECT_EQ(run.reported, expected);
}

TEST(EmptyTree, CountsEveryEntryAndTheFreedBytesIntoTheProgress) {
  TempDir tmp;
  const std::string root = tmp.sub("cache");
  make_dir(root);
  make_dir(root + "/a");
  write_text(root + "/a/wheel", std::string(10000, 'x'));
  write_text(root + "/top", std::string(5000, 'y'));
  write_text(root + "/kept", "k");
  const std::uint64_t bytes = blocks_bytes(root + "/a/wheel") + blocks_bytes(root + "/top");
  WalkProgress progress;
  EmptyTreeOptions options;
  options.keep = {"kept"};
  options.progress = &progress;
  const Emptied run = empty(root, options);
  EXPECT_EQ(progress.entries.load(), 3U);  // a, a/wheel, top ("kept" is not looked at)
  EXPECT_EQ(progress.bytes.load(), bytes);
  EXPECT_EQ(run.summary.bytes, bytes);
}

TEST(EmptyTree, UnlinksSymlinksWithoutFollowingThem) {
  TempDir tmp;
  const std::string root = tmp.sub("cache");
  const std::string victim = tmp.sub("victim");
  make_dir(root);
  make_dir(root + "/d");
  make_dir(root + "/deep");
  make_dir(root + "/deep/er");
  make_dir(victim);
  make_dir(victim + "/sub");
  write_text(victim + "/secret", "keep me");
  write_text(victim + "/sub/file", "keep me too");
  make_symlink(victim, root + "/evil");
  make_symlink(victim, root + "/d/x");
  make_symlink("../../..", root + "/deep/er/up");
  make_symlink("..", root + "/parent");
  make_symlink(victim + "/secret", root + "/file-link");
  make_symlink("dangling-nowhere", root + "/dangling");

  const Emptied run = empty(root, {});
  EXPECT_TRUE(run.summary.errors.empty()) << run.summary.errors.front().message();
  EXPECT_TRUE(names_in(root).empty());
  EXPECT_EQ(read_text(victim + "/secret"), "keep me");
  EXPECT_EQ(read_text(victim + "/sub/file"), "keep me too");
  EXPECT_EQ(names_in(victim), (std::vector<std::string>{"secret", "sub"}));
  EXPECT_TRUE(exists_nofollow(tmp.sub("cache")));
  EXPECT_EQ(run.summary.files, 6U);  // the links themselves
  EXPECT_EQ(run.summary.bytes, 0U);  // a symlink frees no file content
}

TEST(EmptyTree, CountOnlyChangesNothingAndCountsTheSame) {
  TempDir tmp;
  const std::string root = tmp.sub("cache");
  make_dir(root);
  make_dir(root + "/pkg");
  write_text(root + "/pkg/a", std::string(9000, 'a'));
  write_text(root + "/b", "b");
  make_symlink("/etc", root + "/evil");
  const struct stat pkg_before = lstat_or_throw(root + "/pkg");

  const Emptied dry = empty(root, {RemoveMode::count_only, std::nullopt, {}, nullptr});
  EXPECT_EQ(names_in(root), (std::vector<std::string>{"b", "evil", "pkg"}));
  EXPECT_EQ(names_in(root + "/pkg"), std::vector<std::string>{"a"});
  EXPECT_EQ(lstat_or_throw(root + "/pkg").st_mtime, pkg_before.st_mtime);
  const std::vector<std::pair<std::string, bool>> expected{
      {root + "/b", false}, {root + "/evil", false}, {root + "/pkg", true}};
  EXPECT_EQ(dry.reported, expected);

  const Emptied real = empty(root, {});
  EXPECT_EQ(real.summary.files, dry.summary.files);
  EXPECT_EQ(real.summary.directories, dry.summary.directories);
  EXPECT_EQ(real.summary.bytes, dry.summary.bytes);
  EXPECT_EQ(real.reported, dry.reported);
  EXPECT_TRUE(names_in(root).empty());
}

TEST(EmptyTree, OlderThanRemovesOnlyEntriesBothUnreadAndUnmodified) {
  TempDir tmp;
  const std::string root = tmp.sub("cache");
  make_dir(root);
  make_dir(root + "/old-dir");
  write_text(root + "/old-dir/old", "o");
  make_dir(root + "/mixed");
  write_text(root + "/mixed/old", "o");
  write_text(root + "/mixed/fresh", "f");
  write_text(root + "/old", "o");
  write_text(root + "/read-recently", "r");  // old mtime, fresh atime: still in use
  write_text(root + "/fresh", "f");
  make_dir(root + "/fresh-empty");  // a tool may be about to fill it
  make_dir(root + "/old-empty");
  make_symlink("/etc", root + "/old-link");
  backdate(root + "/old-dir/old", 40, 40);
  backdate(root + "/mixed/old", 40, 40);
  backdate(root + "/old", 40, 40);
  backdate(root + "/read-recently", 0, 40);
  backdate(root + "/old-link", 40, 40);
  backdate(root + "/old-empty", 40, 40);
  backdate(root + "/old-dir", 0, 0);  // fresh itself, but left empty by this pass

  const std::int64_t cutoff = std::time(nullptr) - 30 * kDay;
  const Emptied run = empty(root, {RemoveMode::remove, cutoff, {}, nullptr});
  EXPECT_TRUE(run.summary.errors.empty());
  EXPECT_EQ(names_in(root), (std::vector<std::string>{"fresh", "fresh-empty", "mixed", "read-recently"}));
  EXPECT_EQ(names_in(root + "/mixed"), std::vector<std::string>{"fresh"});
  EXPECT_EQ(run.summary.files, 4U);        // old-dir/old, mixed/old, old, old-link
  EXPECT_EQ(run.summary.directories, 2U);  // old-dir, old-empty
  const std::vector<std::pair<std::string, bool>> expected{{root + "/mixed/old", false},
                                                           {root + "/old", false},
                                                           {root + "/old-dir", true},
                                                           {root + "/old-empty", true},
                                                           {root + "/old-link", false}};
  EXPECT_EQ(run.reported, expected);
}

TEST(EmptyTree, KeepsNamedEntriesOnlyDirectlyBelowTheRoot) {
  TempDir tmp;
  const std::string root = tmp.sub("cache");
  make_dir(root);
  write_text(root + "/.lock", "");
  write_text(root + "/CACHEDIR.TAG", "Signature: 8a477f597d28d172789f06886806bc55");
  make_dir(root + "/sub");
  write_text(root + "/sub/.lock", "");
  const Emptied run = empty(root, {RemoveMode::remove, std::nullopt, {".lock", "CACHEDIR.TAG"}, nullptr});
  EXPECT_EQ(names_in(root), (std::vector<std::string>{".lock", "CACHEDIR.TAG"}));
  EXPECT_EQ(run.summary.files, 1U);
}

TEST(EmptyTree, CountsTheBytesOfAFileOnceWhenItsLastLinkGoes) {
  TempDir tmp;
  const std::string root = tmp.sub("cache");
  make_dir(root);
  make_dir(tmp.sub("env"));
  write_text(root + "/twice", std::string(20000, 't'));
  ASSERT_EQ(::link((root + "/twice").c_str(), (root + "/twice-again").c_str()), 0);
  write_text(root + "/shared", std::string(20000, 's'));
  ASSERT_EQ(::link((root + "/shared").c_str(), tmp.sub("env/shared").c_str()), 0);
  const std::uint64_t once = blocks_bytes(root + "/twice");

  const Emptied dry = empty(root, {RemoveMode::count_only, std::nullopt, {}, nullptr});
  EXPECT_EQ(dry.summary.bytes, once);
  const Emptied real = empty(root, {});
  EXPECT_EQ(real.summary.files, 3U);
  EXPECT_EQ(real.summary.bytes, once);
  EXPECT_EQ(read_text(tmp.sub("env/shared")), std::string(20000, 's'));
}

// A tmpfs, a bind-mounted directory and a bind-mounted file inside the tree, in a private mount
// namespace of a child process.
TEST(EmptyTree, LeavesOtherMountsAloneAndReportsThem) {
  AICACTL_REQUIRE_ROOT();
  TempDir tmp;
  const std::string root = tmp.sub("cache");
  make_dir(root);
  make_dir(root + "/tmpfs");
  make_dir(root + "/nested");
  make_dir(root + "/nested/bind");
  write_text(root + "/plain", "p");
  make_dir(tmp.sub("elsewhere"));
  write_text(tmp.sub("elsewhere/bound-file"), "b");

  write_text(root + "/nested/file-mount", "target");
  write_text(tmp.sub("elsewhere-file"), "f");

  const ChildOutcome outcome = run_in_child([&]() -> std::string {
    if (auto skip = test::private_mounts({root + "/tmpfs",
                                          {{tmp.sub("elsewhere"), root + "/nested/bind"},
                                           {tmp.sub("elsewhere-file"), root + "/nested/file-mount"}}});
        !skip.empty()) {
      return skip;
    }
    write_text(root + "/tmpfs/inside", "i");
    const Emptied run = empty(root, {});
    std::string problems;
    auto skipped = run.summary.mounts_skipped;
    std::ranges::sort(skipped);
    if (skipped != std::vector<std::string>{root + "/nested/bind", root + "/nested/file-mount", root + "/tmpfs"}) {
      problems += "mounts_skipped wrong\n";
    }
    if (!exists_nofollow(root + "/tmpfs/inside") || !exists_nofollow(root + "/nested/bind/bound-file")) {
      problems += "removed something on another mount\n";
    }
    if (exists_nofollow(root + "/plain")) {
      problems += "did not remove plain\n";
    }
    if (!run.summary.errors.empty()) {
      problems += "error: " + run.summary.errors.front().message() + "\n";
    }
    return problems;
  });
  if (outcome.skipped()) {
    GTEST_SKIP() << outcome.message;
  }
  EXPECT_TRUE(outcome.ok()) << outcome.message;
  EXPECT_EQ(read_text(tmp.sub("elsewhere/bound-file")), "b");
  EXPECT_EQ(read_text(tmp.sub("elsewhere-file")), "f");
}

TEST(LockFileAt, AbsentFileGivesNoLock) {
  TempDir tmp;
  const Fd dir(test::open_dir_nofollow(AT_FDCWD, tmp.path()));
  auto fd = lock_file_at(dir.get(), ".lock", std::chrono::milliseconds(0), tmp.sub(".lock"));
  ASSERT_TRUE(fd.has_value()) << fd.error().message();
  EXPECT_FALSE(*fd);
  EXPECT_FALSE(exists_nofollow(tmp.sub(".lock")));
}

TEST(LockFileAt, WaitsThenGivesUpWhileAnotherHoldsIt) {
  TempDir tmp;
  write_text(tmp.sub(".lock"), "");
  const Fd dir(test::open_dir_nofollow(AT_FDCWD, tmp.path()));
  {
    // flock conflicts between open file descriptions, even within one process.
    const Fd holder(::open(tmp.sub(".lock").c_str(), O_RDONLY | O_CLOEXEC));
    ASSERT_EQ(::flock(holder.get(), LOCK_SH), 0);
    const auto start = std::chrono::steady_clock::now();
    auto fd = lock_file_at(dir.get(), ".lock", std::chrono::milliseconds(300), tmp.sub(".lock"));
    ASSERT_FALSE(fd.has_value());
    EXPECT_EQ(fd.error().code, EWOULDBLOCK);
    EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(300));
  }
  auto fd = lock_file_at(dir.get(), ".lock", std::chrono::milliseconds(0), tmp.sub(".lock"));
  ASSERT_TRUE(fd.has_value()) << fd.error().message();
  EXPECT_TRUE(*fd);
  const Fd other(::open(tmp.sub(".lock").c_str(), O_RDONLY | O_CLOEXEC));
  EXPECT_NE(::flock(other.get(), LOCK_SH | LOCK_NB), 0) << "the lock is not held";
}

TEST(LockFileAt, RefusesSymlinksAndNonRegularFiles) {
  TempDir tmp;
  write_text(tmp.sub("target"), "");
  make_symlink(tmp.sub("target"), tmp.sub(".lock"));
  ASSERT_EQ(::mkfifo(tmp.sub("fifo").c_str(), 0600), 0);
  const Fd dir(test::open_dir_nofollow(AT_FDCWD, tmp.path()));
  auto link = lock_file_at(dir.get(), ".lock", std::chrono::milliseconds(0), tmp.sub(".lock"));
  ASSERT_FALSE(link.has_value());
  EXPECT_EQ(link.error().code, ELOOP);
  auto fifo = lock_file_at(dir.get(), "fifo", std::chrono::milliseconds(0), tmp.sub("fifo"));
  ASSERT_FALSE(fifo.has_value());
  EXPECT_EQ(fifo.error().code, EINVAL);
}

}  // namespace
}  // namespace aicactl::os
