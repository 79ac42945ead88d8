// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/lifecycle/backup.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "aicactl/core/plan/errors.hpp"

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

}  // namespace
}  // namespace aicactl::core
