// SPDX-License-Identifier: Apache-2.0
#include "aicactl/os/fs.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <string>

#include "support/old_kernel.hpp"
#include "support/test_support.hpp"

namespace aicactl::os {
namespace {

using test::lstat_or_throw;
using test::make_dir;
using test::make_symlink;
using test::ScopedUmask;
using test::TempDir;
using test::write_text;

constexpr uid_t kNobody = 65534;

bool same_inode(int fd, const std::string& path) {
  struct stat a {};
  struct stat b {};
  return ::fstat(fd, &a) == 0 && ::lstat(path.c_str(), &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

// tmp/real/sub, tmp/file, tmp/link -> real (absolute), tmp/rlink -> real (relative).
struct Layout {
  TempDir tmp;
  Layout() {
    make_dir(tmp.sub("real"));
    make_dir(tmp.sub("real/sub"));
    write_text(tmp.sub("file"), "content");
    make_symlink(tmp.sub("real"), tmp.sub("link"));
    make_symlink("real", tmp.sub("rlink"));
  }
};

FileInfo entry_on(mode_t type, dev_t dev, std::uint64_t mnt_id) {
  FileInfo info;
  info.mode = type | 0755;
  info.dev = dev;
  info.mnt_id = mnt_id;
  return info;
}

TEST(OnMountOf, MountIdsDecideAndStDevCountsForDirectoriesOnly) {
  // Root: dev 10, mount 7.
  EXPECT_TRUE(on_mount_of(entry_on(S_IFDIR, 10, 7), 10, 7));
  EXPECT_TRUE(on_mount_of(entry_on(S_IFREG, 10, 7), 10, 7));
  EXPECT_FALSE(on_mount_of(entry_on(S_IFDIR, 10, 8), 10, 7)) << "a bind-mounted directory";
  EXPECT_FALSE(on_mount_of(entry_on(S_IFREG, 10, 8), 10, 7)) << "a bind-mounted file";
  EXPECT_FALSE(on_mount_of(entry_on(S_IFDIR, 11, 7), 10, 7)) << "a directory on another st_dev (btrfs subvolume)";
  EXPECT_TRUE(on_mount_of(entry_on(S_IFREG, 11, 7), 10, 7)) << "a file of an overlayfs layer";
  // No mount ids from the kernel: st_dev for everything.
  EXPECT_TRUE(on_mount_of(entry_on(S_IFREG, 10, 0), 10, 0));
  EXPECT_FALSE(on_mount_of(entry_on(S_IFREG, 11, 0), 10, 0));
  EXPECT_FALSE(on_mount_of(entry_on(S_IFDIR, 11, 0), 10, 0));
}

TEST(OpenDir, OpensAnAbsoluteDirectory) {
  Layout l;
  for (const std::string& path : {l.tmp.sub("real/sub"), l.tmp.sub("real/sub/"), l.tmp.path() + "//./real/./sub"}) {
    auto fd = open_dir(path);
    ASSERT_TRUE(fd.has_value()) << path << ": " << fd.error().message();
    EXPECT_TRUE(same_inode(fd->get(), l.tmp.sub("real/sub"))) << path;
  }
  auto root = open_dir("/");
  ASSERT_TRUE(root.has_value());
  EXPECT_TRUE(same_inode(root->get(), "/"));
}

TEST(OpenDir, RefusesASymlinkComponent) {
  Layout l;
  for (const char* rel : {"link", "link/sub", "rlink", "rlink/sub"}) {
    auto fd = open_dir(l.tmp.sub(rel));
    ASSERT_FALSE(fd.has_value()) << rel << " was opened through a symlink";
    EXPECT_TRUE(fd.error().code == ELOOP || fd.error().code == ENOTDIR) << rel << ": " << fd.error().message();
  }
}

// openat(O_DIRECTORY|O_NOFOLLOW) on a symlink fails with ENOTDIR; fs.hpp promises ELOOP for a
// symlink component, so that the message says "Too many levels of symbolic links".
TEST(OpenDir, ReportsASymlinkComponentAsEloop) {
  Layout l;
  for (const char* rel : {"link", "link/sub"}) {
    auto fd = open_dir(l.tmp.sub(rel));
    ASSERT_FALSE(fd.has_value()) << rel;
    EXPECT_EQ(fd.error().code, ELOOP) << rel << ": " << fd.error().message();
  }
  auto parent = open_dir(l.tmp.path());
  ASSERT_TRUE(parent.has_value());
  auto at = open_dir_at(parent->get(), "link", l.tmp.sub("link"));
  ASSERT_FALSE(at.has_value());
  EXPECT_EQ(at.error().code, ELOOP) << at.error().message();
}

TEST(OpenDir, RefusesDotDotRelativeAndNonDirectories) {
  Layout l;
  for (const std::string& path : {l.tmp.sub("real/.."), l.tmp.sub("real/../real"), l.tmp.path() + "/../" + "tmp"}) {
    auto fd = open_dir(path);
    ASSERT_FALSE(fd.has_value()) << path;
    EXPECT_EQ(fd.error().code, EINVAL) << path;
  }
  for (const char* path : {"", "tmp", "relative/dir"}) {
    auto fd = open_dir(path);
    ASSERT_FALSE(fd.has_value()) << path;
    EXPECT_EQ(fd.error().code, EINVAL) << path;
  }
  auto file = open_dir(l.tmp.sub("file"));
  ASSERT_FALSE(file.has_value());
  EXPECT_EQ(file.error().code, ENOTDIR);
  auto missing = open_dir(l.tmp.sub("missing/dir"));
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ENOENT);
  EXPECT_EQ(missing.error().path, l.tmp.sub("missing/dir"));
}

TEST(OpenDir, OpenDirAtRefusesSymlinksAndOpensDirectories) {
  Layout l;
  auto parent = open_dir(l.tmp.path());
  ASSERT_TRUE(parent.has_value());
  auto real = open_dir_at(parent->get(), "real", l.tmp.sub("real"));
  ASSERT_TRUE(real.has_value()) << real.error().message();
  EXPECT_TRUE(same_inode(real->get(), l.tmp.sub("real")));
  EXPECT_FALSE(open_dir_at(parent->get(), "link", l.tmp.sub("link")).has_value());
  EXPECT_FALSE(open_dir_at(parent->get(), "file", l.tmp.sub("file")).has_value());
}

TEST(OpenParent, ReturnsTheParentAndTheLastComponent) {
  Layout l;
  auto p = open_parent(l.tmp.sub("real/sub"));
  ASSERT_TRUE(p.has_value()) << p.error().message();
  EXPECT_EQ(p->second, "sub");
  EXPECT_TRUE(same_inode(p->first.get(), l.tmp.sub("real")));

  auto trailing = open_parent(l.tmp.sub("real/"));
  ASSERT_TRUE(trailing.has_value()) << trailing.error().message();
  EXPECT_EQ(trailing->second, "real");
  EXPECT_TRUE(same_inode(trailing->first.get(), l.tmp.path()));

  auto top = open_parent("/tmp");
  ASSERT_TRUE(top.has_value());
  EXPECT_EQ(top->second, "tmp");
  EXPECT_TRUE(same_inode(top->first.get(), "/"));

  // The last component is not resolved, so it may be a symlink or missing.
  auto link = open_parent(l.tmp.sub("link"));
  ASSERT_TRUE(link.has_value());
  EXPECT_EQ(link->second, "link");
  auto missing = open_parent(l.tmp.sub("missing"));
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->second, "missing");
}

TEST(OpenParent, RefusesRootDotsRelativeAndSymlinkedParents) {
  Layout l;
  for (const std::string& path : {std::string("/"), std::string("//"), l.tmp.sub("real/.."), l.tmp.sub("real/."),
                                  std::string("relative"), std::string("")}) {
    auto p = open_parent(path);
    ASSERT_FALSE(p.has_value()) << "'" << path << "'";
    EXPECT_EQ(p.error().code, EINVAL) << path;
  }
  EXPECT_FALSE(open_parent(l.tmp.sub("link/sub")).has_value());
  EXPECT_FALSE(open_parent(l.tmp.sub("file/x")).has_value());
}

TEST(LstatPath, DescribesWithoutFollowingAndSaysWhenMissing) {
  Layout l;
  auto missing = lstat_path(l.tmp.sub("missing"));
  ASSERT_TRUE(missing.has_value()) << missing.error().message();
  EXPECT_FALSE(missing->has_value());
  auto missing_parent = lstat_path(l.tmp.sub("missing/child"));
  ASSERT_TRUE(missing_parent.has_value()) << missing_parent.error().message();
  EXPECT_FALSE(missing_parent->has_value());

  auto link = lstat_path(l.tmp.sub("link"));
  ASSERT_TRUE(link.has_value() && link->has_value());
  EXPECT_TRUE((*link)->is_symlink());
  EXPECT_FALSE((*link)->is_dir());

  auto file = lstat_path(l.tmp.sub("file"));
  ASSERT_TRUE(file.has_value() && file->has_value());
  const struct stat st = lstat_or_throw(l.tmp.sub("file"));
  EXPECT_TRUE((*file)->is_regular());
  EXPECT_EQ((*file)->size, 7U);
  EXPECT_EQ((*file)->ino, st.st_ino);
  EXPECT_EQ((*file)->dev, st.st_dev);
  EXPECT_EQ((*file)->nlink, 1U);
  EXPECT_EQ((*file)->perms(), st.st_mode & 07777);
  EXPECT_EQ((*file)->uid, st.st_uid);
  EXPECT_EQ((*file)->mtime, st.st_mtim.tv_sec);

  // A symlink above the last component is an error, not "missing".
  EXPECT_FALSE(lstat_path(l.tmp.sub("link/sub")).has_value());
}

TEST(StatAt, MatchesLstatAndStatsTheFdItselfForAnEmptyName) {
  Layout l;
  auto dir = open_dir(l.tmp.path());
  ASSERT_TRUE(dir.has_value());
  auto self = stat_at(dir->get(), "");
  ASSERT_TRUE(self.has_value()) << self.error().message();
  EXPECT_TRUE(self->is_dir());
  EXPECT_EQ(self->ino, lstat_or_throw(l.tmp.path()).st_ino);
  auto via_fd = stat_fd(dir->get());
  ASSERT_TRUE(via_fd.has_value());
  EXPECT_EQ(via_fd->ino, self->ino);

  auto real = stat_at(dir->get(), "real");
  ASSERT_TRUE(real.has_value());
  EXPECT_EQ(real->nlink, 3U);  // ".", "real" in tmp, ".." of sub
  EXPECT_EQ(real->mnt_id, self->mnt_id);
  auto link = stat_at(dir->get(), "link");
  ASSERT_TRUE(link.has_value());
  EXPECT_TRUE(link->is_symlink());
  auto missing = stat_at(dir->get(), "missing");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ENOENT);
}

TEST(MkdirAt, CreatesWithTheModeAndReportsExisting) {
  TempDir tmp;
  const ScopedUmask umask(0);
  auto dir = open_dir(tmp.path());
  ASSERT_TRUE(dir.has_value());
  auto made = mkdir_at(dir->get(), "new", 0750, tmp.sub("new"));
  ASSERT_TRUE(made.has_value()) << made.error().message();
  const struct stat st = lstat_or_throw(tmp.sub("new"));
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0750U);
  auto again = mkdir_at(dir->get(), "new", 0750, tmp.sub("new"));
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, EEXIST);
  EXPECT_NE(again.error().message().find(tmp.sub("new")), std::string::npos) << again.error().message();
}

TEST(ChmodAt, ChangesTheNamedEntryOrTheFdItself) {
  Layout l;
  auto dir = open_dir(l.tmp.path());
  ASSERT_TRUE(dir.has_value());
  ASSERT_TRUE(chmod_at(dir->get(), "file", 0600, l.tmp.sub("file")).has_value());
  EXPECT_EQ(lstat_or_throw(l.tmp.sub("file")).st_mode & 07777, 0600U);
  auto real = open_dir(l.tmp.sub("real"));
  ASSERT_TRUE(real.has_value());
  ASSERT_TRUE(chmod_at(real->get(), "", 0711, l.tmp.sub("real")).has_value());
  EXPECT_EQ(lstat_or_throw(l.tmp.sub("real")).st_mode & 07777, 0711U);
  ASSERT_TRUE(chmod_fd(real->get(), 0755, l.tmp.sub("real")).has_value());
  EXPECT_EQ(lstat_or_throw(l.tmp.sub("real")).st_mode & 07777, 0755U);
  auto missing = chmod_at(dir->get(), "missing", 0600, l.tmp.sub("missing"));
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ENOENT);
}

TEST(ChmodAt, NeverChangesASymlinkTarget) {
  Layout l;
  make_symlink(l.tmp.sub("file"), l.tmp.sub("file_link"));
  ASSERT_EQ(::chmod(l.tmp.sub("file").c_str(), 0640), 0);
  ASSERT_EQ(::chmod(l.tmp.sub("real").c_str(), 0750), 0);
  auto dir = open_dir(l.tmp.path());
  ASSERT_TRUE(dir.has_value());
  // Linux cannot chmod a symlink itself (EOPNOTSUPP); the one wrong outcome is a changed target.
  (void)chmod_at(dir->get(), "file_link", 0777, l.tmp.sub("file_link"));
  (void)chmod_at(dir->get(), "link", 0777, l.tmp.sub("link"));
  EXPECT_EQ(lstat_or_throw(l.tmp.sub("file")).st_mode & 07777, 0640U);
  EXPECT_EQ(lstat_or_throw(l.tmp.sub("real")).st_mode & 07777, 0750U);
  EXPECT_TRUE(S_ISLNK(lstat_or_throw(l.tmp.sub("file_link")).st_mode));
}

TEST(ChownAt, ChangesTheSymlinkNeverItsTarget) {
  AICACTL_REQUIRE_ROOT();
  Layout l;
  make_symlink(l.tmp.sub("file"), l.tmp.sub("file_link"));
  auto dir = open_dir(l.tmp.path());
  ASSERT_TRUE(dir.has_value());
  auto r1 = chown_at(dir->get(), "file_link", kNobody, kNobody, l.tmp.sub("file_link"));
  ASSERT_TRUE(r1.has_value()) << r1.error().message();
  auto r2 = chown_at(dir->get(), "link", kNobody, kNobody, l.tmp.sub("link"));
  ASSERT_TRUE(r2.has_value()) << r2.error().message();
  EXPECT_EQ(lstat_or_throw(l.tmp.sub("file_link")).st_uid, kNobody);
  EXPECT_EQ(lstat_or_throw(l.tmp.sub("link")).st_gid, kNobody);
  EXPECT_EQ(lstat_or_throw(l.tmp.sub("file")).st_uid, 0U);
  EXPECT_EQ(lstat_or_throw(l.tmp.sub("real")).st_uid, 0U);
  EXPECT_EQ(lstat_or_throw(l.tmp.sub("real")).st_gid, 0U);
}

TEST(ChownAt, ChangesTheNamedEntryOrTheFdItself) {
  AICACTL_REQUIRE_ROOT();
  Layout l;
  auto dir = open_dir(l.tmp.path());
  ASSERT_TRUE(dir.has_value());
  ASSERT_TRUE(chown_at(dir->get(), "file", kNobody, 0, l.tmp.sub("file")).has_value());
  EXPECT_EQ(lstat_or_throw(l.tmp.sub("file")).st_uid, kNobody);
  EXPECT_EQ(lstat_or_throw(l.tmp.sub("file")).st_gid, 0U);
  auto real = open_dir(l.tmp.sub("real"));
  ASSERT_TRUE(real.has_value());
  ASSERT_TRUE(chown_at(real->get(), "", 0, kNobody, l.tmp.sub("real")).has_value());
  EXPECT_EQ(lstat_or_throw(l.tmp.sub("real")).st_gid, kNobody);
  ASSERT_TRUE(chown_fd(real->get(), kNobody, kNobody, l.tmp.sub("real")).has_value());
  EXPECT_EQ(lstat_or_throw(l.tmp.sub("real")).st_uid, kNobody);
}

class Xattr : public ::testing::Test {
 protected:
  void SetUp() override {
    write_text(tmp_.sub("file"), "");
    make_dir(tmp_.sub("dir"));
    make_symlink(tmp_.sub("file"), tmp_.sub("link"));
    auto dir = open_dir(tmp_.path());
    ASSERT_TRUE(dir.has_value());
    dir_ = std::move(*dir);
    auto probe = set_xattr_at(dir_.get(), "dir", "user.aicactl.probe", "1", tmp_.sub("dir"));
    if (!probe && (probe.error().code == EOPNOTSUPP || probe.error().code == ENOTSUP)) {
      GTEST_SKIP() << "the file system of /tmp has no user.* extended attributes";
    }
    ASSERT_TRUE(probe.has_value()) << probe.error().message();
  }
  TempDir tmp_;
  UniqueFd dir_;
};

TEST_F(Xattr, SetGetReplaceAndRemove) {
  const int d = dir_.get();
  const std::string shown = tmp_.sub("file");
  auto absent = get_xattr_at(d, "file", "user.aicactl.test", shown);
  ASSERT_TRUE(absent.has_value()) << absent.error().message();
  EXPECT_FALSE(absent->has_value());

  ASSERT_TRUE(set_xattr_at(d, "file", "user.aicactl.test", "first", shown).has_value());
  auto first = get_xattr_at(d, "file", "user.aicactl.test", shown);
  ASSERT_TRUE(first.has_value() && first->has_value());
  EXPECT_EQ(**first, "first");

  ASSERT_TRUE(set_xattr_at(d, "file", "user.aicactl.test", std::string("a\0b", 3), shown).has_value());
  auto binary = get_xattr_at(d, "file", "user.aicactl.test", shown);
  ASSERT_TRUE(binary.has_value() && binary->has_value());
  EXPECT_EQ(**binary, std::string("a\0b", 3));

  ASSERT_TRUE(set_xattr_at(d, "file", "user.aicactl.empty", "", shown).has_value());
  auto empty = get_xattr_at(d, "file", "user.aicactl.empty", shown);
  ASSERT_TRUE(empty.has_value());
  ASSERT_TRUE(empty->has_value()) << "an empty value is not an absent attribute";
  EXPECT_EQ(**empty, "");

  ASSERT_TRUE(remove_xattr_at(d, "file", "user.aicactl.test", shown).has_value());
  auto removed = get_xattr_at(d, "file", "user.aicactl.test", shown);
  ASSERT_TRUE(removed.has_value());
  EXPECT_FALSE(removed->has_value());
  EXPECT_TRUE(remove_xattr_at(d, "file", "user.aicactl.test", shown).has_value()) << "removing twice is fine";
}

// Larger than the first read buffer: get must grow its buffer and return every byte.
TEST_F(Xattr, ReadsValuesLargerThanTheFirstBuffer) {
  std::string big(3000, 'x');
  for (std::size_t i = 0; i < big.size(); ++i) {
    big[i] = static_cast<char>('a' + i % 26);
  }
  ASSERT_TRUE(set_xattr_at(dir_.get(), "file", "user.aicactl.big", big, tmp_.sub("file")).has_value());
  auto got = get_xattr_at(dir_.get(), "file", "user.aicactl.big", tmp_.sub("file"));
  ASSERT_TRUE(got.has_value() && got->has_value()) << (got ? "absent" : got.error().message());
  EXPECT_EQ(**got, big);
}

TEST_F(Xattr, EmptyNameMeansTheFdItself) {
  auto sub = open_dir(tmp_.sub("dir"));
  ASSERT_TRUE(sub.has_value());
  ASSERT_TRUE(set_xattr_at(sub->get(), "", "user.aicactl.self", "me", tmp_.sub("dir")).has_value());
  auto via_parent = get_xattr_at(dir_.get(), "dir", "user.aicactl.self", tmp_.sub("dir"));
  ASSERT_TRUE(via_parent.has_value() && via_parent->has_value());
  EXPECT_EQ(**via_parent, "me");
  ASSERT_TRUE(remove_xattr_at(sub->get(), "", "user.aicactl.self", tmp_.sub("dir")).has_value());
  auto gone = get_xattr_at(dir_.get(), "dir", "user.aicactl.self", tmp_.sub("dir"));
  ASSERT_TRUE(gone.has_value());
  EXPECT_FALSE(gone->has_value());
}

TEST_F(Xattr, NeverFollowsASymlink) {
  auto set = set_xattr_at(dir_.get(), "link", "user.aicactl.test", "through-link", tmp_.sub("link"));
  EXPECT_FALSE(set.has_value()) << "user.* attributes cannot be set on a symlink itself";
  auto target = get_xattr_at(dir_.get(), "file", "user.aicactl.test", tmp_.sub("file"));
  ASSERT_TRUE(target.has_value());
  EXPECT_FALSE(target->has_value()) << "the symlink's target got the attribute";
  char buf[64];
  EXPECT_LT(::getxattr(tmp_.sub("file").c_str(), "user.aicactl.test", buf, sizeof buf), 0);
}

TEST_F(Xattr, ReportsAMissingFile) {
  auto got = get_xattr_at(dir_.get(), "missing", "user.aicactl.test", tmp_.sub("missing"));
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().code, ENOENT);
  EXPECT_EQ(got.error().path, tmp_.sub("missing"));
}

TEST(ReadFile, ReadsWholeFilesAndRefusesASymlink) {
  Layout l;
  std::string big(200000, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) {
    big[i] = static_cast<char>(i % 251);
  }
  write_text(l.tmp.sub("big"), big);
  auto got = read_file(l.tmp.sub("big"));
  ASSERT_TRUE(got.has_value() && got->has_value());
  EXPECT_EQ(**got, big);

  auto missing = read_file(l.tmp.sub("missing"));
  ASSERT_TRUE(missing.has_value());
  EXPECT_FALSE(missing->has_value());
  auto missing_dir = read_file(l.tmp.sub("missing/file"));
  ASSERT_TRUE(missing_dir.has_value());
  EXPECT_FALSE(missing_dir->has_value());

  make_symlink(l.tmp.sub("file"), l.tmp.sub("file_link"));
  auto link = read_file(l.tmp.sub("file_link"));
  ASSERT_FALSE(link.has_value());
  EXPECT_EQ(link.error().code, ELOOP);
  EXPECT_FALSE(read_file(l.tmp.sub("link/sub/x")).has_value());
}

// ---- the fallbacks for kernels without fchmodat2 (< 6.6) and *xattrat (< 6.13) -------------

// Runs `body` in a child where those syscalls fail with ENOSYS; reports skips and failures.
test::ChildOutcome on_old_kernel(const std::function<std::string()>& body) {
  return test::run_in_child([&]() -> std::string {
    if (std::string why = test::pretend_old_kernel(); !why.empty()) {
      return why;
    }
    return body();
  });
}

std::string xattr_via_path(const std::string& path, const char* attr) {
  char buf[256];
  const ssize_t n = ::lgetxattr(path.c_str(), attr, buf, sizeof buf);
  return n < 0 ? "<" + test::errno_text(errno) + ">" : std::string(buf, static_cast<std::size_t>(n));
}

TEST(FsOnOlderKernels, XattrsByNameNeverFollowASymlink) {
  Layout l;
  make_symlink(l.tmp.sub("file"), l.tmp.sub("file_link"));
  const auto outcome = on_old_kernel([&]() -> std::string {
    std::string problems;
    auto dir = open_dir(l.tmp.path());
    if (!dir) {
      return dir.error().message();
    }
    auto set = set_xattr_at(dir->get(), "file", "user.aicactl.test", "v1", l.tmp.sub("file"));
    if (!set) {
      return set.error().code == EOPNOTSUPP ? std::string(test::kSkipPrefix) + "no user.* xattrs in /tmp"
                                            : "set: " + set.error().message();
    }
    if (xattr_via_path(l.tmp.sub("file"), "user.aicactl.test") != "v1") {
      problems += "set by name did not reach the file\n";
    }
    auto got = get_xattr_at(dir->get(), "file", "user.aicactl.test", l.tmp.sub("file"));
    if (!got || !got->has_value() || **got != "v1") {
      problems += "get by name did not read the value back\n";
    }
    if (set_xattr_at(dir->get(), "file_link", "user.aicactl.link", "x", l.tmp.sub("file_link"))) {
      problems += "set on a symlink name succeeded\n";
    }
    if (xattr_via_path(l.tmp.sub("file"), "user.aicactl.link") != "<" + test::errno_text(ENODATA) + ">") {
      problems += "set on a symlink name changed its target\n";
    }
    auto removed = remove_xattr_at(dir->get(), "file", "user.aicactl.test", l.tmp.sub("file"));
    if (!removed || xattr_via_path(l.tmp.sub("file"), "user.aicactl.test") != "<" + test::errno_text(ENODATA) + ">") {
      problems += "remove by name failed\n";
    }
    return problems;
  });
  if (outcome.skipped()) {
    GTEST_SKIP() << outcome.message;
  }
  EXPECT_TRUE(outcome.ok()) << outcome.message;
}

// Regression: l*xattr on "/proc/self/fd/<N>" itself acts on the procfs link, not on the
// directory (it does not follow the magic link), so "the fd itself" needs f*xattr.
TEST(FsOnOlderKernels, XattrsOfTheFdItself) {
  Layout l;
  const auto outcome = on_old_kernel([&]() -> std::string {
    auto dir = open_dir(l.tmp.sub("real"));
    if (!dir) {
      return dir.error().message();
    }
    std::string problems;
    auto set = set_xattr_at(dir->get(), "", "user.aicactl.self", "me", l.tmp.sub("real"));
    if (!set) {
      problems += "set on the fd itself: " + set.error().message() + "\n";
    } else if (xattr_via_path(l.tmp.sub("real"), "user.aicactl.self") != "me") {
      problems += "set on the fd itself did not reach the directory\n";
    }
    if (::lsetxattr(l.tmp.sub("real").c_str(), "user.aicactl.other", "x", 1, 0) != 0) {
      return std::string(test::kSkipPrefix) + "no user.* xattrs in /tmp";
    }
    auto got = get_xattr_at(dir->get(), "", "user.aicactl.other", l.tmp.sub("real"));
    if (!got) {
      problems += "get on the fd itself: " + got.error().message() + "\n";
    } else if (!got->has_value() || **got != "x") {
      problems += "get on the fd itself did not find the attribute\n";
    }
    auto removed = remove_xattr_at(dir->get(), "", "user.aicactl.other", l.tmp.sub("real"));
    if (!removed) {
      problems += "remove on the fd itself: " + removed.error().message() + "\n";
    }
    return problems;
  });
  if (outcome.skipped()) {
    GTEST_SKIP() << outcome.message;
  }
  EXPECT_TRUE(outcome.ok()) << outcome.message;
}

TEST(FsOnOlderKernels, ChmodByNameNeverFollowsASymlink) {
  Layout l;
  make_symlink(l.tmp.sub("file"), l.tmp.sub("file_link"));
  ASSERT_EQ(::chmod(l.tmp.sub("file").c_str(), 0640), 0);
  const auto outcome = on_old_kernel([&]() -> std::string {
    auto dir = open_dir(l.tmp.path());
    if (!dir) {
      return dir.error().message();
    }
    std::string problems;
    auto changed = chmod_at(dir->get(), "file", 0600, l.tmp.sub("file"));
    if (!changed || (lstat_or_throw(l.tmp.sub("file")).st_mode & 07777) != 0600) {
      problems += "chmod by name did not change the file\n";
    }
    (void)chmod_at(dir->get(), "file_link", 0777, l.tmp.sub("file_link"));
    (void)chmod_at(dir->get(), "link", 0777, l.tmp.sub("link"));
    if ((lstat_or_throw(l.tmp.sub("file")).st_mode & 07777) != 0600 ||
        (lstat_or_throw(l.tmp.sub("real")).st_mode & 07777) == 0777) {
      problems += "chmod on a symlink name changed its target\n";
    }
    return problems;
  });
  if (outcome.skipped()) {
    GTEST_SKIP() << outcome.message;
  }
  EXPECT_TRUE(outcome.ok()) << outcome.message;
}

// Regression: fchmodat(dirfd, "", mode, AT_SYMLINK_NOFOLLOW) fails with ENOENT (glibc < 2.39
// emulates it by opening ""), so "the fd itself" needs fchmod.
TEST(FsOnOlderKernels, ChmodOfTheFdItself) {
  Layout l;
  ASSERT_EQ(::chmod(l.tmp.sub("real").c_str(), 0755), 0);
  const auto outcome = on_old_kernel([&]() -> std::string {
    auto dir = open_dir(l.tmp.sub("real"));
    if (!dir) {
      return dir.error().message();
    }
    auto changed = chmod_at(dir->get(), "", 0711, l.tmp.sub("real"));
    if (!changed) {
      return "chmod of the fd itself: " + changed.error().message();
    }
    const mode_t mode = lstat_or_throw(l.tmp.sub("real")).st_mode & 07777;
    return mode == 0711 ? "" : "mode is " + std::to_string(mode) + ", not 0711 (octal 457)";
  });
  if (outcome.skipped()) {
    GTEST_SKIP() << outcome.message;
  }
  EXPECT_TRUE(outcome.ok()) << outcome.message;
}

TEST(JoinPath, PutsExactlyOneSlashBetween) {
  EXPECT_EQ(join_path("/a", "b"), "/a/b");
  EXPECT_EQ(join_path("/a/", "b"), "/a/b");
  EXPECT_EQ(join_path("/a", "/b"), "/a/b");
  EXPECT_EQ(join_path("/a/", "//b/c"), "/a/b/c");
  EXPECT_EQ(join_path("/", "etc"), "/etc");
  EXPECT_EQ(join_path("", "etc"), "/etc");
}

TEST(SelfExePath, NamesThisTestBinary) {
  auto exe = self_exe_path();
  ASSERT_TRUE(exe.has_value()) << exe.error().message();
  EXPECT_TRUE(exe->starts_with("/")) << *exe;
  EXPECT_TRUE(exe->ends_with("/unit_tests")) << *exe;
}

TEST(ReadSelfExe, IsTheContentOfThisTestBinary) {
  auto exe = self_exe_path();
  ASSERT_TRUE(exe.has_value());
  auto content = read_self_exe();
  ASSERT_TRUE(content.has_value()) << content.error().message();
  EXPECT_TRUE(
      content->starts_with("\x7f"
                           "ELF"));
  EXPECT_EQ(*content, test::read_text(*exe));
}

}  // namespace
}  // namespace aicactl::os

namespace aicactl::os {
namespace {

TEST(ListDir, NamesOnlyTheTopLevelWithoutDots) {
  const test::TempDir tmp;
  test::make_dir(tmp.sub("d"));
  test::write_text(tmp.sub("d/inner"), "x");
  test::write_text(tmp.sub("f"), "y");
  test::make_symlink("/etc", tmp.sub("l"));
  auto fd = open_dir(tmp.path());
  ASSERT_TRUE(fd.has_value());
  auto names = list_dir(fd->get(), tmp.path());
  ASSERT_TRUE(names.has_value());
  std::sort(names->begin(), names->end());
  EXPECT_EQ(*names, (std::vector<std::string>{"d", "f", "l"}));
  // Listing twice through the same fd gives the same answer (it reads through a duplicate).
  auto again = list_dir(fd->get(), tmp.path());
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->size(), 3U);
}

TEST(ListDir, FailsOnAnFdThatIsNotADirectory) {
  EXPECT_FALSE(list_dir(-1, "bad").has_value());
  const test::TempDir tmp;
  test::write_text(tmp.sub("f"), "y");
  const int fd = ::open(tmp.sub("f").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  EXPECT_FALSE(list_dir(fd, tmp.sub("f")).has_value());
  ::close(fd);
}

}  // namespace
}  // namespace aicactl::os
