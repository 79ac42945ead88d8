// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/lifecycle/backup.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

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

}  // namespace
}  // namespace aicactl::core
