// SPDX-License-Identifier: Apache-2.0
#include "aicactl/os/subid.hpp"

#include <gtest/gtest.h>

namespace aicactl::os {
namespace {

TEST(SubId, ParsesLinesAndSkipsCommentsAndJunk) {
  const auto r = parse_subid("# comment\nalice:231000:65536\n\nbroken\n1000:100000:65536\nbob:x:1\ncarol:5:0\n");
  ASSERT_EQ(r.size(), 2U);
  EXPECT_EQ(r[0], (SubIdRange{"alice", 231000, 65536}));
  EXPECT_EQ(r[1], (SubIdRange{"1000", 100000, 65536}));
}

// The fault of the shell script aicactl replaces: an unanchored match of "1000" found alice's line.
TEST(SubId, OwnersAreMatchedWholeByNameOrUid) {
  const auto r = parse_subid("alice:231000:65536\n");
  EXPECT_TRUE(ranges_of(r, "bob", 1000).empty()) << "uid 1000 is not the owner of alice:231000:65536";
  EXPECT_TRUE(ranges_of(r, "ali", 1001).empty());
  EXPECT_EQ(ranges_of(r, "alice", 1001).size(), 1U);
  const auto by_uid = parse_subid("1000:100000:65536\n");
  EXPECT_EQ(ranges_of(by_uid, "bob", 1000).size(), 1U) << "a line may name the uid";
  EXPECT_TRUE(ranges_of(by_uid, "bob", 100).empty());
}

TEST(SubId, OwnerOfAnId) {
  const auto r = parse_subid("alice:100000:65536\nbob:165536:65536\n");
  EXPECT_EQ(owner_of(r, 100000)->owner, "alice");
  EXPECT_EQ(owner_of(r, 165535)->owner, "alice");
  EXPECT_EQ(owner_of(r, 165536)->owner, "bob");
  EXPECT_FALSE(owner_of(r, 99999));
  EXPECT_FALSE(owner_of(r, 231072));
}

TEST(SubId, FreeStartSkipsEveryOverlap) {
  EXPECT_EQ(free_start({}, 65536), 131072U) << "aligned to the count, at or above 100000";
  const auto r = parse_subid("alice:131072:65536\nother:200000:10\n");
  EXPECT_EQ(free_start(r, 65536), 262144U);
  const auto s = parse_subid("x:100000:4294900000\n");
  EXPECT_FALSE(free_start(s, 65536)) << "nothing left below 2^32";
  EXPECT_TRUE(overlaps(SubIdRange{"a", 10, 10}, SubIdRange{"b", 19, 1}));
  EXPECT_FALSE(overlaps(SubIdRange{"a", 10, 10}, SubIdRange{"b", 20, 1}));
}

TEST(SubId, EditsKeepOtherLinesVerbatim) {
  const std::string text = "# podman\nlxd:1000000:1000000000\nalice:231000:65536\n1001:300000:10\n";
  EXPECT_EQ(without_owner(text, "alice", 1001), "# podman\nlxd:1000000:1000000000\n");
  EXPECT_EQ(without_owner(text, "bob", 1000), text) << "uid 1000 matches no line";
  EXPECT_EQ(with_range("lxd:1:2", SubIdRange{"bob", 5, 6}), "lxd:1:2\nbob:5:6\n");
}

}  // namespace
}  // namespace aicactl::os
