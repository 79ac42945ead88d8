// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/users/quota.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace aicactl::core {
namespace {

TEST(Quota, ParsesSizesWithBinaryUnits) {
  EXPECT_EQ(parse_size("1048576"), 1048576U);
  EXPECT_EQ(parse_size("500M"), 500ULL << 20U);
  EXPECT_EQ(parse_size("20G"), 20ULL << 30U);
  EXPECT_EQ(parse_size("1.5T"), 3ULL << 39U);
  EXPECT_EQ(parse_size("4K"), 4096U);
  EXPECT_EQ(parse_size("0.5K"), 512U);
  EXPECT_EQ(parse_size("1P"), 1ULL << 50U);
  EXPECT_EQ(parse_size("0.001K"), 1U);  // rounded down to whole bytes
}

TEST(Quota, RefusesMalformedSizes) {
  for (const char* bad :
       {"",          "M",   "0",   "0M",     "0.0001K", "-5G", "+5G",  "5 G",  "5g",   "5GB",   "5GiB",
        "5.G",       ".5G", "1.5", "1.5.5G", "5GG",     "1e9", "0x10", "20G ", " 20G", "8192P", "99999999999999999999",
        "1.1234567G"}) {
    EXPECT_EQ(parse_size(bad), std::nullopt) << bad;
  }
  EXPECT_EQ(parse_size("4096P"), 1ULL << 62U);  // the largest
}

TEST(Quota, PercentRoundsUpAsDf) {
  EXPECT_EQ(quota_percent(0, 100), 0);
  EXPECT_EQ(quota_percent(90, 100), 90);
  EXPECT_EQ(quota_percent(901, 1000), 91);
  EXPECT_EQ(quota_percent(150, 100), 150);
  EXPECT_EQ(quota_percent(5, 0), 0);  // no limit
  EXPECT_EQ(quota_percent(~std::uint64_t{0}, ~std::uint64_t{0}), 100);
}

TEST(Quota, ElsewhereThanBtrfsSaysWhichFileSystem) {
  char tmpl[] = "/tmp/aicactl-quota-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string root = tmpl;
  Config config;
  config.data_root = root;
  const std::string missing = quota_unsupported(config);
  EXPECT_NE(missing.find("'" + root + "/users'"), std::string::npos) << missing;
  ASSERT_EQ(::mkdir((root + "/users").c_str(), 0755), 0);
  const std::string why = quota_unsupported(config);
  EXPECT_TRUE(why.starts_with("Quotas need btrfs")) << why;
  EXPECT_NE(why.find("'" + root + "' is "), std::string::npos) << why;
  const HomeQuota none = inspect_home_quota(root + "/users/alice");
  EXPECT_FALSE(none.exists);
  ASSERT_EQ(::mkdir((root + "/users/alice").c_str(), 0755), 0);
  const HomeQuota plain = inspect_home_quota(root + "/users/alice");
  EXPECT_TRUE(plain.exists);
  EXPECT_FALSE(plain.subvolume);
  (void)::rmdir((root + "/users/alice").c_str());
  (void)::rmdir((root + "/users").c_str());
  (void)::rmdir(root.c_str());
}

}  // namespace
}  // namespace aicactl::core
