// SPDX-License-Identifier: Apache-2.0
#include "aicactl/os/error.hpp"

#include <gtest/gtest.h>

#include <cerrno>

namespace aicactl::os {
namespace {

TEST(OsError, MessageNamesTheOperationThePathAndTheErrno) {
  const OsError e{EACCES, "open directory", "/data"};
  EXPECT_EQ(e.message(), "Failed to open directory '/data': Permission denied");
}

TEST(OsError, MessageLeavesOutAnEmptyPathOrCode) {
  EXPECT_EQ((OsError{ENOENT, "find program", ""}).message(), "Failed to find program: No such file or directory");
  EXPECT_EQ((OsError{0, "walk", "/x"}).message(), "Failed to walk '/x'");
}

TEST(OsError, FailCapturesErrnoOrTheGivenCode) {
  errno = ENOTDIR;
  const auto from_errno = fail("stat", "/a");
  EXPECT_EQ(from_errno.error().code, ENOTDIR);
  EXPECT_EQ(from_errno.error().op, "stat");
  EXPECT_EQ(from_errno.error().path, "/a");
  const Result<int> given = fail("lock", "/run/aicactl/lock", EWOULDBLOCK);
  ASSERT_FALSE(given.has_value());
  EXPECT_EQ(given.error().code, EWOULDBLOCK);
}

}  // namespace
}  // namespace aicactl::os
