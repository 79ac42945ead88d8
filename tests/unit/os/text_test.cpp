// SPDX-License-Identifier: Apache-2.0
#include "aicactl/os/text.hpp"

#include <gtest/gtest.h>

namespace aicactl::os {
namespace {

TEST(Text, QuoteTrimJoin) {
  EXPECT_EQ(quoted("/data/cache/pip"), "'/data/cache/pip'");
  EXPECT_EQ(quoted(""), "''");
  EXPECT_EQ(trim("  useradd: bad\n\n"), "useradd: bad");
  EXPECT_EQ(trim(" \t\n"), "");
  EXPECT_EQ(trim("\tuser::rwx \t", " \t"), "user::rwx");
  EXPECT_EQ(trim("x\n", " "), "x\n");
  EXPECT_EQ(join({}, ","), "");
  EXPECT_EQ(join({"a"}, ","), "a");
  EXPECT_EQ(join({"a", "b", "c"}, ", "), "a, b, c");
}

// The one size format: disk usage, user list --usage, cache clean and the progress line.
TEST(Text, SizesLikeDuH) {
  EXPECT_EQ(human_size(0), "0B");
  EXPECT_EQ(human_size(900), "900B");
  EXPECT_EQ(human_size(1024), "1.0K");
  EXPECT_EQ(human_size(1025), "1.1K");  // rounded up
  EXPECT_EQ(human_size(4096), "4.0K");
  EXPECT_EQ(human_size(10 * 1024), "10K");
  EXPECT_EQ(human_size(12 * 1024 * 1024 + 1), "13M");
  EXPECT_EQ(human_size(1024ULL * 1024 * 1024 * 3 / 2), "1.5G");
  EXPECT_EQ(human_size(1024ULL * 1024 - 1), "1.0M");
  EXPECT_EQ(human_size(1024ULL * 1024 * 1024 - 1), "1.0G");
}

}  // namespace
}  // namespace aicactl::os
