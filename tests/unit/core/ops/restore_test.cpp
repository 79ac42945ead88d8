// SPDX-License-Identifier: Apache-2.0
// backup restore: the owner of a tar archive's home, read from its listing.
#include "aicactl/core/ops/restore.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>

namespace aicactl::core {
namespace {

TEST(BackupRestore, ArchiveOwnerFromTheListing) {
  using Owner = std::optional<std::pair<uid_t, gid_t>>;
  EXPECT_EQ(archive_owner("drwx------ 1001/1002         0 2026-11-30 23:10 alice/"), (Owner{{1001, 1002}}));
  EXPECT_EQ(archive_owner("drwx------ 0/0 0 2026-11-30 23:10 alice/"), (Owner{{0, 0}}));
  EXPECT_EQ(archive_owner("drwx------ alice/alice 0 2026-11-30 23:10 alice/"), std::nullopt);
  EXPECT_EQ(archive_owner("drwx------ 1001 0 2026-11-30 23:10 alice/"), std::nullopt);
  EXPECT_EQ(archive_owner("drwx------ 1001/ 0 2026-11-30 23:10 alice/"), std::nullopt);
  EXPECT_EQ(archive_owner(""), std::nullopt);
  EXPECT_EQ(archive_owner("garbage"), std::nullopt);
}

}  // namespace
}  // namespace aicactl::core
