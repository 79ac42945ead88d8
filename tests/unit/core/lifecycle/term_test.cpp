// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/lifecycle/term.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace aicactl::core {
namespace {

TEST(TermName, PlainNamesOnly) {
  for (const char* ok : {"2026-fall", "ss26", "a", "T_1.b", "x-"}) {
    EXPECT_EQ(term_name_problem(ok), "") << ok;
  }
  EXPECT_EQ(term_name_problem(std::string(64, 'a')), "");
  for (const std::string& bad :
       std::vector<std::string>{"", ".hidden", "-opt", "a/b", "..", "a b", "fall*", "t\n", std::string(65, 'a')}) {
    EXPECT_NE(term_name_problem(bad), "") << bad;
  }
}

TEST(PurgePaths, UserIsSubstitutedAndThePathValidated) {
  std::string why;
  EXPECT_EQ(purge_path_for("/local/docker/{user}", "alice", why), "/local/docker/alice");
  EXPECT_EQ(why, "");
  EXPECT_EQ(purge_path_for("/scratch/{user}/cache-{user}", "bob", why), "/scratch/bob/cache-bob");
  EXPECT_EQ(why, "");
  for (const char* bad : {"local/{user}", "/local/../{user}", "/local//{user}", "/local/./{user}", "/local/{user}/",
                          "/local/{name}/{user}", "/local/docker", "{user}", "/"}) {
    EXPECT_EQ(purge_path_for(bad, "alice", why), "") << bad;
    EXPECT_NE(why, "") << bad;
  }
}

}  // namespace
}  // namespace aicactl::core
