// SPDX-License-Identifier: Apache-2.0
#include "aicactl/os/fd.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <utility>

namespace aicactl::os {
namespace {

bool is_open(int fd) {
  return ::fcntl(fd, F_GETFD) != -1;
}

int open_null() {
  return ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

TEST(UniqueFd, ClosesOnDestructionAndReset) {
  int raw = -1;
  {
    UniqueFd fd(open_null());
    raw = fd.get();
    ASSERT_TRUE(fd);
    ASSERT_TRUE(is_open(raw));
  }
  EXPECT_FALSE(is_open(raw));

  UniqueFd fd(open_null());
  const int first = fd.get();
  const int second = open_null();
  fd.reset(second);
  EXPECT_FALSE(is_open(first));
  EXPECT_EQ(fd.get(), second);
  fd.reset();
  EXPECT_FALSE(fd);
  EXPECT_FALSE(is_open(second));
}

TEST(UniqueFd, MovesOwnership) {
  UniqueFd a(open_null());
  const int raw = a.get();
  UniqueFd b(std::move(a));
  EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): a moved-from fd is empty by contract
  EXPECT_EQ(b.get(), raw);
  UniqueFd c(open_null());
  const int c_raw = c.get();
  c = std::move(b);
  EXPECT_EQ(c.get(), raw);
  EXPECT_FALSE(is_open(c_raw));
  EXPECT_TRUE(is_open(raw));
}

TEST(UniqueFd, ReleaseGivesUpOwnership) {
  UniqueFd fd(open_null());
  const int raw = fd.release();
  EXPECT_FALSE(fd);
  EXPECT_TRUE(is_open(raw));
  ::close(raw);
}

}  // namespace
}  // namespace aicactl::os
