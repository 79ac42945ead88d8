// SPDX-License-Identifier: Apache-2.0
// backup prune's DeleteTermBackup on a temp dir (a tar term: archives and their sha256): a term
// holding anything term close does not make stays whole; otherwise everything and the folder go.
#include "aicactl/core/plan/backup_actions.hpp"

#include <gtest/gtest.h>

#include <string>

#include "support/test_support.hpp"

namespace aicactl::core {
namespace {

using test::exists_nofollow;
using test::make_dir;
using test::make_symlink;
using test::TempDir;
using test::write_text;

void make_tar_term(const TempDir& tmp, const std::string& term) {
  make_dir(tmp.sub(term), 0700);
  write_text(tmp.sub(term + "/alice.tar.zst"), "archive");
  write_text(tmp.sub(term + "/alice.tar.zst.sha256"), "sum");
  write_text(tmp.sub(term + "/.bob.tar.zst.partial"), "killed run");
}

TEST(DeleteTermBackup, DeletesArchivesTheirSumsAndTheFolder) {
  const TempDir tmp;
  make_tar_term(tmp, "2025-fall");
  make_tar_term(tmp, "2026-fall");
  ASSERT_TRUE(detail::apply_delete_term_backup(DeleteTermBackup{tmp.path(), "2025-fall"}));
  EXPECT_FALSE(exists_nofollow(tmp.sub("2025-fall")));
  EXPECT_TRUE(exists_nofollow(tmp.sub("2026-fall/alice.tar.zst")));
  // Already gone: nothing to do.
  EXPECT_TRUE(detail::apply_delete_term_backup(DeleteTermBackup{tmp.path(), "2025-fall"}));
}

TEST(DeleteTermBackup, ATermHoldingSomethingElseStaysWhole) {
  for (const std::string odd : {"notes.txt", "link", "dir"}) {
    const TempDir tmp;
    make_tar_term(tmp, "t");
    if (odd == "link") {
      make_symlink(tmp.sub("t/alice.tar.zst"), tmp.sub("t/link"));
    } else if (odd == "dir") {
      make_dir(tmp.sub("t/dir"));
    } else {
      write_text(tmp.sub("t/notes.txt"), "an admin's");
    }
    auto r = detail::apply_delete_term_backup(DeleteTermBackup{tmp.path(), "t"});
    ASSERT_FALSE(r) << odd;
    EXPECT_NE(r.error().message().find("'" + odd + "'"), std::string::npos) << r.error().message();
    EXPECT_TRUE(exists_nofollow(tmp.sub("t/alice.tar.zst"))) << odd;
    EXPECT_TRUE(exists_nofollow(tmp.sub("t/alice.tar.zst.sha256"))) << odd;
    EXPECT_TRUE(exists_nofollow(tmp.sub("t/" + odd))) << odd;
  }
}

TEST(DeleteTermBackup, TheTermFolderItselfIsNeverFollowed) {
  const TempDir tmp;
  make_tar_term(tmp, "real");
  make_symlink(tmp.sub("real"), tmp.sub("t"));
  EXPECT_FALSE(detail::apply_delete_term_backup(DeleteTermBackup{tmp.path(), "t"}));
  EXPECT_TRUE(exists_nofollow(tmp.sub("real/alice.tar.zst")));
}

TEST(DeleteTermBackup, EntriesTermCloseMakes) {
  EXPECT_EQ(detail::term_entry_problem("users", false, true), "");
  EXPECT_EQ(detail::term_entry_problem("alice", false, true), "");
  EXPECT_EQ(detail::term_entry_problem("alice.tar.zst", true, false), "");
  EXPECT_EQ(detail::term_entry_problem("alice.tar.zst.sha256", true, false), "");
  EXPECT_EQ(detail::term_entry_problem(".alice.tar.zst.partial", true, false), "");
  EXPECT_NE(detail::term_entry_problem(".alice.tar.zst", true, false), "");
  EXPECT_NE(detail::term_entry_problem("alice.tar", true, false), "");
  EXPECT_NE(detail::term_entry_problem("users", false, false), "");  // a plain directory
  EXPECT_NE(detail::term_entry_problem(".snap", false, true), "");
}

}  // namespace
}  // namespace aicactl::core
