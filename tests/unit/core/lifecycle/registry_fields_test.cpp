// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "aicactl/core/users/registry.hpp"

namespace aicactl::core {
namespace {

constexpr const char* kOldFile =
    "[users.alice]\nuid = 1001\ngroup = \"alice\"\ngid = 1001\ngroups = [\"gpu-users:1000\"]\n"
    "shell = \"/bin/bash\"\nexpires = \"\"\ncreated_at = \"2026-11-25T12:00:00Z\"\n";

// A registry written before the life-cycle fields reads the same and is written back unchanged.
TEST(RegistryLifecycle, OlderFilesReadAndRenderAsBefore) {
  const Registry reg = parse_registry(kOldFile, "users.toml");
  ASSERT_EQ(reg.users.size(), 1U);
  EXPECT_EQ(reg.users[0].email, "");
  EXPECT_EQ(reg.users[0].subid_count, 0U);
  EXPECT_EQ(render_registry(reg).find("email"), std::string::npos);
  EXPECT_EQ(render_registry(reg).find("subid"), std::string::npos);
}

TEST(RegistryLifecycle, NewFieldsRoundTrip) {
  Registry reg = parse_registry(kOldFile, "users.toml");
  UserRecord u = reg.users[0];
  u.email = "alice@lab.example.org";
  u.term = "2026-fall";
  u.subid_start = 231072;
  u.subid_count = 65536;
  reg.put(u);
  const Registry again = parse_registry(render_registry(reg), "users.toml");
  EXPECT_EQ(again.users[0], u);
}

}  // namespace
}  // namespace aicactl::core
