// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/cache/acl_backup.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "aicactl/core/plan/errors.hpp"
#include "aicactl/os/accounts.hpp"
#include "aicactl/os/process.hpp"
#include "support/test_support.hpp"

namespace aicactl::core {
namespace {

using test::make_dir;
using test::make_symlink;
using test::TempDir;
using test::write_text;

// Ids with no account, so that getfacl and aicactl both print them as numbers.
constexpr std::uint32_t kNoUser = 3999001;
constexpr std::uint32_t kNoGroup = 3999002;

os::FileInfo file_info(mode_t mode, uid_t uid = kNoUser, gid_t gid = kNoGroup) {
  os::FileInfo info;
  info.mode = mode;
  info.uid = uid;
  info.gid = gid;
  return info;
}

int expect_exit(const std::function<void()>& body) {
  try {
    body();
  } catch (const Error& e) {
    return static_cast<int>(e.code());
  }
  return 0;
}

// ---- text format, no file system involved ----------------------------------------------------

TEST(AclBackupFormat, QuoteEscapesBackslashAndTheGivenCharactersAsOctal) {
  EXPECT_EQ(acl_quote("plain name", "\n\r"), "plain name");
  EXPECT_EQ(acl_quote("a b\\c\nd", " \n"), "a\\040b\\\\c\\012d") << "a backslash doubled, as getfacl 2.3.1";
  EXPECT_EQ(acl_unquote("a\\134b"), "a\\b") << "later getfacl releases write \\134";
  EXPECT_EQ(acl_quote("x:y,z", ":,"), "x\\072y\\054z");
}

TEST(AclBackupFormat, UnquoteInvertsQuoteForEveryByte) {
  std::string all;
  for (int c = 1; c < 256; ++c) {
    all.push_back(static_cast<char>(c));
  }
  const std::string specials = ":, \t\n\r";
  const std::string q = acl_quote(all, specials);
  EXPECT_EQ(q.find('\n'), std::string::npos);
  EXPECT_EQ(acl_unquote(q), all);
  EXPECT_EQ(acl_unquote("a\\8bc\\12"), "a\\8bc\\12") << "not an escape: kept as written";
}

TEST(AclBackupFormat, EntriesShowEffectiveRightsWhereTheMaskTakesSomeAway) {
  os::Acl acl = os::Acl::from_mode(0750);
  acl.set(os::AclTag::user, kNoUser, 7);
  acl.set(os::AclTag::group, kNoGroup, 4);
  acl.set(os::AclTag::mask, os::kAclUndefinedId, 4);
  EXPECT_EQ(format_acl_entries(acl, ""),
            "user::rwx\n"
            "user:3999001:rwx\t#effective:r--\n"
            "group::r-x\t#effective:r--\n"
            "group:3999002:r--\n"
            "mask::r--\n"
            "other::---\n");
  EXPECT_EQ(format_acl_entries(os::Acl::from_mode(0644), "default:"),
            "default:user::rw-\ndefault:group::r--\ndefault:other::r--\n")
      << "no mask, no effective comments";
}

TEST(AclBackupFormat, RecordHasHeaderFlagsAndDefaultEntries) {
  os::Acl def = os::Acl::from_mode(0770);
  def.set(os::AclTag::group, kNoGroup, 7);
  def.recalculate_mask();
  const std::string text =
      format_acl_record("/data/cache/my dir\n", file_info(S_IFDIR | 02770), os::Acl::from_mode(0770), def);
  EXPECT_EQ(text,
            "# file: data/cache/my dir\\012\n"
            "# owner: 3999001\n"
            "# group: 3999002\n"
            "# flags: -s-\n"
            "user::rwx\n"
            "group::rwx\n"
            "other::---\n"
            "default:user::rwx\n"
            "default:group::rwx\n"
            "default:group:3999002:rwx\n"
            "default:mask::rwx\n"
            "default:other::---\n"
            "\n");
  EXPECT_NE(
      format_acl_record("f", file_info(S_IFREG | 05644), os::Acl::from_mode(0644), std::nullopt).find("# flags: s-t\n"),
      std::string::npos);
  EXPECT_EQ(format_acl_record("f", file_info(S_IFREG | 0644), os::Acl::from_mode(0644), std::nullopt).find("flags"),
            std::string::npos)
      << "no flags line without special bits";
}

TEST(AclBackupParse, ReadsWhatTheFormatterWrites) {
  os::Acl access = os::Acl::from_mode(0750);
  access.set(os::AclTag::user, kNoUser, 6);
  access.recalculate_mask();
  access.set(os::AclTag::mask, os::kAclUndefinedId, 4);  // so that an #effective comment is written
  os::Acl def = os::Acl::from_mode(0770);
  def.set(os::AclTag::group, kNoGroup, 7);
  def.recalculate_mask();
  const std::string text =
      format_acl_record("/data/a b\\c\td", file_info(S_IFDIR | 03770), access, def) +
      format_acl_record("/data/a b\\c\td/f", file_info(S_IFREG | 0640, 0, 0), os::Acl::from_mode(0640), std::nullopt);
  const auto entries = parse_acl_backup(text, "backup.txt");
  ASSERT_EQ(entries.size(), 2U);
  EXPECT_EQ(entries[0].path, "data/a b\\c\td");
  EXPECT_EQ(entries[0].uid, kNoUser);
  EXPECT_EQ(entries[0].gid, kNoGroup);
  EXPECT_EQ(entries[0].flags, static_cast<mode_t>(S_ISGID | S_ISVTX));
  EXPECT_EQ(entries[0].access, access);
  EXPECT_EQ(entries[0].default_acl, def);
  EXPECT_EQ(entries[0].line, 1U);
  EXPECT_EQ(entries[1].path, "data/a b\\c\td/f");
  EXPECT_EQ(entries[1].flags, 0U);
  EXPECT_EQ(entries[1].access, os::Acl::from_mode(0640));
  EXPECT_FALSE(entries[1].default_acl.has_value());
  EXPECT_EQ(entries[1].uid, 0U);
  EXPECT_EQ(entries[1].owner, os::find_user(0U) ? os::find_user(0U)->name : "0");
}

TEST(AclBackupParse, AcceptsSetfaclSpellings) {
  const auto entries = parse_acl_backup(
      "# file: x\n"
      "u::rwx\n"
      "  g : : r-x   # a comment\n"
      "o::5\n"
      "m:rwx\n"
      "user:3999001:rw-\n"
      "d:u::rwx\n"
      "default:g::---\n"
      "default:other::---\n",
      "b");
  ASSERT_EQ(entries.size(), 1U);
  EXPECT_EQ(entries[0].access->to_short_text(), "user::rwx,user:3999001:rw-,group::r-x,mask::rwx,other::r-x");
  EXPECT_EQ(entries[0].default_acl->to_short_text(), "user::rwx,group::---,other::---");
  EXPECT_FALSE(entries[0].uid.has_value()) << "no owner line";
}

TEST(AclBackupParse, AddsTheMaskNamedEntriesNeed) {
  const auto entries = parse_acl_backup("# file: x\nuser::rw-\nuser:3999001:r-x\ngroup::r--\nother::---\n", "b");
  ASSERT_EQ(entries.size(), 1U);
  EXPECT_EQ(entries[0].access->get(os::AclTag::mask), 5);
}

TEST(AclBackupParse, RefusesAbsolutePathsAndDotDot) {
  for (const std::string path : {"/etc/passwd", "data/../etc/passwd", "..", "data/cache/..", "../x", "\\057etc"}) {
    const std::string text = "# file: data/ok\nuser::rw-\ngroup::r--\nother::r--\n\n# file: " + path +
                             "\nuser::rw-\ngroup::r--\nother::r--\n\n";
    EXPECT_EQ(expect_exit([&] { (void)parse_acl_backup(text, "b"); }), 65) << path;
  }
  EXPECT_EQ(expect_exit([&] { (void)parse_acl_backup("# file: data/..x/..y\nuser::rw-\n", "b"); }), 0)
      << "'..x' is a name, not '..'";
}

TEST(AclBackupParse, RefusesMalformedInputWithTheLine) {
  const std::vector<std::string> bad{
      "user::rw-\n",                                      // no # file:
      "# file: x\nuser::rwq\n",                           // bad permission
      "# file: x\nuser::rww\n",                           // repeated permission
      "# file: x\nuser:no-such-user-aicactl-test:rw-\n",  // unknown user
      "# file: x\ngroup:no-such-group-aicactl-test:r--\n",
      "# file: x\nfoo::rwx\n",                 // unknown tag
      "# file: x\n# flags: s\n",               // malformed flags
      "# file: x\nuser::rw- trailing\n",       // junk after the permissions
      "# file: x\n# file: y\n",                // two files in one block
      "# file: x\nuser::rw-\n\nother::r--\n",  // entries without a block
  };
  for (const auto& text : bad) {
    EXPECT_EQ(expect_exit([&] { (void)parse_acl_backup(text, "b"); }), 65) << text;
  }
  try {
    (void)parse_acl_backup("# file: x\nuser::rw-\n\n# file: y\nuser::rwz\n", "backup.txt");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'backup.txt' line 5"), std::string::npos) << e.what();
  }
}

// ---- against getfacl and on a real tree ------------------------------------------------------

class AclBackupTree : public ::testing::Test {
 protected:
  void SetUp() override {
    if (os::find_program("getfacl").empty() || os::find_program("setfacl").empty()) {
      GTEST_SKIP() << "getfacl/setfacl (package acl) not installed";
    }
    if (!setfacl({"-m", "u:" + std::to_string(kNoUser) + ":r", tmp_.path()})) {
      GTEST_SKIP() << "the file system of /tmp does not store POSIX ACLs";
    }
    ASSERT_TRUE(setfacl({"-b", tmp_.path()}));
  }

  static bool setfacl(std::vector<std::string> args) {
    args.insert(args.begin(), "setfacl");
    auto run = os::run_program(args);
    return run && run->exit_code == 0;
  }

  static std::string getfacl_r(const std::string& path) {
    auto run = os::run_program({"getfacl", "-R", path});
    if (!run || run->exit_code != 0) {
      throw std::runtime_error("getfacl -R failed: " + (run ? run->err : run.error().message()));
    }
    return run->out;
  }

  // A small shared tree: setgid dirs with default ACLs, named entries limited by the mask,
  // odd file names, a sticky dir, and symlinks (which getfacl -R leaves out).
  void make_tree() {
    const std::string u = std::to_string(kNoUser);
    const std::string g = std::to_string(kNoGroup);
    make_dir(tmp_.sub("t"), 02775);
    make_dir(tmp_.sub("t/sub"), 02770);
    make_dir(tmp_.sub("t/sticky"), 01777);
    for (const auto& [dir, mode] : {std::pair{"t", 02775}, {"t/sub", 02770}, {"t/sticky", 01777}}) {
      ASSERT_EQ(::chmod(tmp_.sub(dir).c_str(), static_cast<mode_t>(mode)), 0);  // mkdir drops setgid/sticky
    }
    write_text(tmp_.sub("t/plain"), "x", 0644);
    write_text(tmp_.sub("t/sub/a b\\c\td\re"), "x", 0640);
    write_text(tmp_.sub("t/sub/new\nline"), "x", 0600);
    write_text(tmp_.sub("t/exec"), "x", 0755);
    write_text(tmp_.sub("t/sub/ends in space "), "x", 0604);
    make_symlink(tmp_.path(), tmp_.sub("t/link"));  // into the temp dir only: never a host path
    make_symlink("plain", tmp_.sub("t/sub/link2"));
    ASSERT_TRUE(setfacl({"-m", "g:" + g + ":rwx,d:g:" + g + ":rwx,d:u:" + u + ":r-x", tmp_.sub("t")}));
    ASSERT_TRUE(setfacl({"-m", "u:" + u + ":rwx,m::r-x", tmp_.sub("t/sub")}));
    ASSERT_TRUE(setfacl({"-m", "d:g:" + g + ":rw", tmp_.sub("t/sub")}));
    ASSERT_TRUE(setfacl({"-m", "u:" + u + ":rw,g:" + g + ":r", tmp_.sub("t/sub/a b\\c\td\re")}));
    ASSERT_TRUE(setfacl({"-m", "m::r", tmp_.sub("t/sub/a b\\c\td\re")}));
  }

  TempDir tmp_;
};

TEST_F(AclBackupTree, BackupIsByteIdenticalToGetfaclRecursive) {
  make_tree();
  const AclBackup backup = backup_acls({tmp_.sub("t")});
  EXPECT_TRUE(backup.errors.empty()) << backup.errors.front();
  EXPECT_EQ(backup.entries, 8U) << "7 files and dirs below t, t itself; the two symlinks left out";
  EXPECT_EQ(backup.text, getfacl_r(tmp_.sub("t")));
  EXPECT_NE(backup.text.find("#effective:"), std::string::npos) << "the tree has masked entries";
  EXPECT_NE(backup.text.find("# flags: -s-"), std::string::npos);
  EXPECT_NE(backup.text.find("# flags: --t"), std::string::npos);
}

TEST_F(AclBackupTree, SymlinkRootIsAnErrorNotFollowed) {
  make_tree();
  const AclBackup backup = backup_acls({tmp_.sub("t/link")});
  EXPECT_EQ(backup.entries, 0U);
  ASSERT_EQ(backup.errors.size(), 1U);
  EXPECT_NE(backup.errors[0].find("symlink"), std::string::npos) << backup.errors[0];
  EXPECT_TRUE(backup.text.empty());
}

TEST_F(AclBackupTree, RestoreUndoesDamageAndASecondRestoreChangesNothing) {
  make_tree();
  const std::string before = getfacl_r(tmp_.sub("t"));
  const auto entries = parse_acl_backup(backup_acls({tmp_.sub("t")}).text, "b");
  ASSERT_TRUE(setfacl({"-R", "-P", "-b", tmp_.sub("t")}));
  ASSERT_EQ(::chmod(tmp_.sub("t/sub").c_str(), 0700), 0);
  ASSERT_EQ(::chmod(tmp_.sub("t/plain").c_str(), 0600), 0);
  ASSERT_NE(getfacl_r(tmp_.sub("t")), before);

  const Report dry = restore_acls(entries, "/", DryRun::yes);
  EXPECT_EQ(dry.failed, 0U);
  EXPECT_GE(dry.actions.size(), 4U);
  EXPECT_EQ(dry.actions[0].description, "Would set ACL of '" + tmp_.sub("t") + "'");
  EXPECT_NE(getfacl_r(tmp_.sub("t")), before) << "a dry run changes nothing";

  const Report done = restore_acls(entries, "/", DryRun::no);
  EXPECT_EQ(done.failed, 0U) << (done.actions.empty() ? "" : done.actions.back().error);
  EXPECT_EQ(done.changed, dry.actions.size());
  EXPECT_EQ(getfacl_r(tmp_.sub("t")), before);

  const Report again = restore_acls(entries, "/", DryRun::no);
  EXPECT_EQ(again.changed, 0U);
  EXPECT_EQ(again.ok, entries.size());
}

TEST_F(AclBackupTree, RestoreBelowABaseAndNeverThroughASymlink) {
  make_tree();
  make_dir(tmp_.sub("outside"), 0755);
  write_text(tmp_.sub("outside/victim"), "x", 0644);
  make_symlink(tmp_.sub("outside"), tmp_.sub("t/evil"));
  const std::string text =
      "# file: t/evil/victim\nuser::rwx\ngroup::rwx\nother::rwx\n\n"
      "# file: t/evil\nuser::rwx\ngroup::rwx\nother::rwx\n\n"
      "# file: t/plain\nuser::rw-\ngroup::rw-\nother::---\n\n";
  const Report report = restore_acls(parse_acl_backup(text, "b"), tmp_.path(), DryRun::no);
  EXPECT_EQ(report.failed, 2U);
  EXPECT_EQ(report.changed, 1U);
  EXPECT_EQ(test::lstat_or_throw(tmp_.sub("outside/victim")).st_mode & 07777, 0644U);
  EXPECT_EQ(test::lstat_or_throw(tmp_.sub("t/plain")).st_mode & 07777, 0660U);
  ASSERT_EQ(report.actions.size(), 3U);
  EXPECT_NE(report.actions[0].error.find("through a symlink"), std::string::npos) << report.actions[0].error;
  EXPECT_NE(report.actions[1].error.find("is a symlink"), std::string::npos) << report.actions[1].error;
}

TEST_F(AclBackupTree, RestoreNeverAddsSetuidToAFile) {
  make_tree();
  const std::string text = "# file: t/exec\n# flags: ss-\nuser::rwx\ngroup::r-x\nother::r-x\n\n";
  const Report report = restore_acls(parse_acl_backup(text, "b"), tmp_.path(), DryRun::no);
  EXPECT_EQ(report.failed, 1U);
  EXPECT_EQ(test::lstat_or_throw(tmp_.sub("t/exec")).st_mode & 07777, 0755U);
}

}  // namespace
}  // namespace aicactl::core
