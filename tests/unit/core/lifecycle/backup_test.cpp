// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/lifecycle/backup.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "aicactl/core/plan/errors.hpp"
#include "support/test_support.hpp"

namespace aicactl::core {
namespace {

TermBackup term(const std::string& name, std::int64_t mtime) {
  return TermBackup{name, "/data/backup/" + name, BackupKind::tar, {}, 0, mtime};
}

TEST(BackupPrune, KeepsTheNewestAndPrunesOldestFirst) {
  const std::vector<TermBackup> backups = {term("2026-fall", 300), term("2025-fall", 100), term("2026-spring", 200),
                                           term("2025-spring", 100)};
  EXPECT_EQ(terms_to_prune(backups, 2), (std::vector<std::string>{"2025-fall", "2025-spring"}));
  EXPECT_EQ(terms_to_prune(backups, 3), (std::vector<std::string>{"2025-fall"}));
  EXPECT_EQ(terms_to_prune(backups, 0),
            (std::vector<std::string>{"2025-fall", "2025-spring", "2026-spring", "2026-fall"}));
  EXPECT_TRUE(terms_to_prune(backups, 4).empty());
  EXPECT_TRUE(terms_to_prune(backups, 10).empty());
  EXPECT_TRUE(terms_to_prune({}, 2).empty());
}

TEST(BackupPrune, KeepTermsIsAWholeNumberFromOne) {
  EXPECT_EQ(parse_keep_terms("2"), 2U);
  EXPECT_EQ(parse_keep_terms("1"), 1U);
  EXPECT_EQ(parse_keep_terms("1000"), 1000U);
  for (const std::string bad : {"0", "", "-1", "x", "2x", " 2", "1001", "99999999999999999999", "+3"}) {
    try {
      (void)parse_keep_terms(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::usage) << bad;
      EXPECT_NE(std::string(e.what()).find("--keep-terms"), std::string::npos) << e.what();
    }
  }
}

// A data root with two tar terms and the registry's removed rows of their users.
struct PruneBed {
  test::TempDir tmp;
  Config config;
  Registry registry;
  PruneBed() {
    config.data_root = tmp.path();
    test::make_dir(tmp.sub("system"));
    test::make_dir(tmp.sub("system/config"));
    test::make_dir(tmp.sub("backup"), 0700);
    for (const std::string user : {"alice", "bob"}) {
      const std::string term = user == "alice" ? "2025-fall" : "2026-fall";
      test::make_dir(tmp.sub("backup/" + term), 0700);
      test::write_text(tmp.sub("backup/" + term + "/" + user + ".tar.zst"), "archive");
      test::write_text(tmp.sub("backup/" + term + "/" + user + ".tar.zst.sha256"), "sum");
      registry.retire(RemovedUser{user, 1001, GroupRef{user, 1001}, "archived", tmp.sub("backup/" + term),
                                  "2026-01-01T00:00:00Z", term});
    }
  }
  PrunePlan plan() const { return plan_prune(config, {term("2025-fall", 100), term("2026-fall", 200)}, 1); }
};

TEST(BackupPrune, DeletesTheOldTermAndMarksItsRowsPurged) {
  PruneBed bed;
  const PrunePlan plan = bed.plan();
  ASSERT_EQ(plan.terms, (std::vector<std::string>{"2025-fall"}));
  const Report report = run_prune(bed.config, bed.registry, plan, DryRun::no);
  EXPECT_EQ(report.failed, 0U);
  EXPECT_FALSE(test::exists_nofollow(bed.tmp.sub("backup/2025-fall")));
  EXPECT_TRUE(test::exists_nofollow(bed.tmp.sub("backup/2026-fall/bob.tar.zst")));
  const Registry saved = load_registry(bed.config.under_root(kRegistryFile));
  ASSERT_EQ(saved.removed.size(), 2U);
  EXPECT_EQ(saved.removed[0].home, "purged");
  EXPECT_EQ(saved.removed[0].home_path, "");
  EXPECT_EQ(saved.removed[0].uid, 1001U);  // kept for good
  EXPECT_EQ(saved.removed[1].home, "archived");
}

TEST(BackupPrune, ATermThatFailsKeepsItsRowsAndFiles) {
  PruneBed bed;
  test::write_text(bed.tmp.sub("backup/2025-fall/notes.txt"), "an admin's");
  const Report report = run_prune(bed.config, bed.registry, bed.plan(), DryRun::no);
  EXPECT_EQ(report.failed, 1U);
  EXPECT_TRUE(test::exists_nofollow(bed.tmp.sub("backup/2025-fall/alice.tar.zst")));
  EXPECT_EQ(bed.registry.removed[0].home, "archived");
}

TEST(BackupPrune, ADryRunChangesNothing) {
  PruneBed bed;
  const Report report = run_prune(bed.config, bed.registry, bed.plan(), DryRun::yes);
  EXPECT_EQ(report.failed, 0U);
  EXPECT_TRUE(test::exists_nofollow(bed.tmp.sub("backup/2025-fall/alice.tar.zst")));
  EXPECT_FALSE(test::exists_nofollow(bed.config.under_root(kRegistryFile)));
}

}  // namespace
}  // namespace aicactl::core
