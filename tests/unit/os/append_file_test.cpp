// SPDX-License-Identifier: Apache-2.0
// Appending to a log (O_APPEND, created with its mode, never through a symlink) and running a
// program with stdin content.
#include "aicactl/os/append_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "aicactl/os/process_input.hpp"
#include "support/test_support.hpp"

namespace aicactl::os {
namespace {

using test::TempDir;

TEST(AppendFile, CreatesThenAppends) {
  TempDir tmp;
  const test::ScopedUmask mask(077);
  const std::string log = tmp.sub("disk.log");
  ASSERT_TRUE(append_to_file(log, "one\n", 0644));
  ASSERT_TRUE(append_to_file(log, "two\n", 0600));
  EXPECT_EQ(test::read_text(log), "one\ntwo\n");
  EXPECT_EQ(test::lstat_or_throw(log).st_mode & 07777, 0600U);  // umask applies at creation
}

TEST(AppendFile, RefusesSymlink) {
  TempDir tmp;
  test::write_text(tmp.sub("target"), "keep");
  test::make_symlink(tmp.sub("target"), tmp.sub("log"));
  auto r = append_to_file(tmp.sub("log"), "x\n", 0644);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ELOOP);
  EXPECT_EQ(test::read_text(tmp.sub("target")), "keep");
}

TEST(ProcessInput, FeedsStdin) {
  TempDir tmp;
  const std::string out = tmp.sub("out");
  auto rc = run_program_with_input({"/bin/sh", "-c", "cat > '" + out + "'; exit 7"}, "To: x\n\nbody\n");
  ASSERT_TRUE(rc) << rc.error().message();
  EXPECT_EQ(*rc, 7);
  EXPECT_EQ(test::read_text(out), "To: x\n\nbody\n");
  EXPECT_FALSE(run_program_with_input({"aicactl-no-such-program"}, ""));
}

}  // namespace
}  // namespace aicactl::os
