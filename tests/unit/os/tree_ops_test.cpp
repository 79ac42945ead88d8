// SPDX-License-Identifier: Apache-2.0
// reown_tree (backup restore's owner change) on a temp dir, as root: only the old owner's
// entries change, links themselves and never their targets.
#include "aicactl/os/tree_ops.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "support/test_support.hpp"

namespace aicactl::os {
namespace {

using test::lstat_or_throw;
using test::make_dir;
using test::make_symlink;
using test::TempDir;
using test::write_text;

constexpr uid_t kOld = 64001;
constexpr uid_t kNew = 64002;
constexpr uid_t kOther = 64003;

void own(const std::string& path, uid_t uid, gid_t gid) {
  if (::lchown(path.c_str(), uid, gid) != 0) {
    test::throw_errno("lchown " + path);
  }
}

TEST(ReownTree, GivesTheOldOwnersEntriesToTheNewOneOnly) {
  AICACTL_REQUIRE_ROOT();
  const TempDir tmp;
  const std::string home = tmp.sub("home");
  make_dir(home, 0700);
  make_dir(home + "/sub");
  write_text(home + "/sub/a", "a");
  write_text(home + "/other", "not hers");
  write_text(tmp.sub("outside"), "outside");
  make_symlink(tmp.sub("outside"), home + "/link");
  for (const char* rel : {"", "/sub", "/sub/a", "/link"}) {
    own(home + rel, kOld, kOld);
  }
  own(home + "/other", kOther, kOld);  // someone else's file in her group
  own(tmp.sub("outside"), kOld, kOld);
  auto r = reown_tree(home, kOld, kOld, kNew, kNew);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(*r, 5U);
  for (const char* rel : {"", "/sub", "/sub/a", "/link"}) {
    const auto st = lstat_or_throw(home + rel);
    EXPECT_EQ(st.st_uid, kNew) << rel;
    EXPECT_EQ(st.st_gid, kNew) << rel;
  }
  EXPECT_EQ(lstat_or_throw(home + "/other").st_uid, kOther);
  EXPECT_EQ(lstat_or_throw(home + "/other").st_gid, kNew);
  EXPECT_EQ(lstat_or_throw(tmp.sub("outside")).st_uid, kOld) << "the link's target changed";
  auto again = reown_tree(home, kOld, kOld, kNew, kNew);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 0U);
}

TEST(ReownTree, ARootThatIsALinkIsRefused) {
  const TempDir tmp;
  make_dir(tmp.sub("real"));
  make_symlink(tmp.sub("real"), tmp.sub("link"));
  EXPECT_FALSE(reown_tree(tmp.sub("link"), kOld, kOld, kNew, kNew));
}

}  // namespace
}  // namespace aicactl::os
