// SPDX-License-Identifier: Apache-2.0
#include "aicactl/os/small_file.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "aicactl/os/fs.hpp"
#include "support/test_support.hpp"

namespace aicactl::os {
namespace {

using test::TempDir;
using test::write_text;

TEST(SmallFile, ReadsUpToTheLimitAndRefusesOneByteMore) {
  TempDir tmp;
  const std::string big(70000, 'k');  // more than one 64 KiB read
  write_text(tmp.sub("keys"), big);
  auto dir = open_dir(tmp.path());
  ASSERT_TRUE(dir);
  auto exact = read_small_file_at(dir->get(), "keys", big.size(), tmp.sub("keys"));
  ASSERT_TRUE(exact);
  EXPECT_EQ(exact->content, big);
  auto over = read_small_file_at(dir->get(), "keys", big.size() - 1, tmp.sub("keys"));
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, EFBIG);
}

TEST(SmallFile, RefusesASymlink) {
  TempDir tmp;
  write_text(tmp.sub("target"), "secret");
  ASSERT_EQ(::symlink(tmp.sub("target").c_str(), tmp.sub("link").c_str()), 0);
  auto dir = open_dir(tmp.path());
  ASSERT_TRUE(dir);
  auto r = read_small_file_at(dir->get(), "link", 1024, tmp.sub("link"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ELOOP);
}

TEST(SmallFile, ReadFdWithoutALimitReadsAPipeToItsEnd) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ASSERT_EQ(::write(fds[1], "abc", 3), 3);
  ::close(fds[1]);
  auto r = read_fd(fds[0], "pipe");
  ::close(fds[0]);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, "abc");
}

}  // namespace
}  // namespace aicactl::os
