// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/setup/config.hpp"

#include <gtest/gtest.h>

#include "aicactl/core/plan/errors.hpp"

namespace aicactl::core {
namespace {

int exit_code_of(const std::string& text) {
  try {
    (void)parse_config(text, "test.toml");
  } catch (const Error& e) {
    return static_cast<int>(e.code());
  }
  return 0;
}

std::string message_of(const std::string& text) {
  try {
    (void)parse_config(text, "test.toml");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Config, DefaultsWhenEmpty) {
  const Config c = parse_config("", "test.toml");
  EXPECT_EQ(c.data_root, "/data");
  EXPECT_EQ(c.group, "gpu-users");
  EXPECT_EQ(c.cache_path("pip"), "/data/cache/pip");
  EXPECT_EQ(c.cache_path("conda"), "/data/cache/conda/pkgs");
  EXPECT_EQ(c.model_path("huggingface"), "/data/models/huggingface");
  EXPECT_EQ(c.shared_trees().size(), 7U);
  EXPECT_EQ(c.acl_mode, AclMode::automatic);
}

TEST(Config, OverridesAndExtraModels) {
  const Config c = parse_config(R"(
[layout]
data_root = "/srv/data"
group = "lab"
[caches]
yarn = ""
[models]
vllm = "models/vllm"
[acl]
mode = "off"
)",
                                "test.toml");
  EXPECT_EQ(c.cache_path("pip"), "/srv/data/cache/pip");
  EXPECT_EQ(c.cache_path("yarn"), "");
  EXPECT_EQ(c.model_path("vllm"), "/srv/data/models/vllm");
  EXPECT_EQ(c.group, "lab");
  EXPECT_EQ(c.acl_mode, AclMode::off);
  EXPECT_EQ(c.shared_trees().size(), 7U);  // yarn disabled, vllm added
}

TEST(Config, RejectsUnknownKeysNamingThem) {
  EXPECT_EQ(exit_code_of("[layout]\nfoo = 1\n"), 65);
  EXPECT_NE(message_of("[layout]\nfoo = 1\n").find("layout.foo"), std::string::npos);
  EXPECT_NE(message_of("[nope]\nx = 1\n").find("nope"), std::string::npos);
  EXPECT_NE(message_of("[caches]\nbower = \"cache/bower\"\n").find("caches.bower"), std::string::npos);
}

TEST(Config, RejectsBadValuesNamingTheKey) {
  EXPECT_NE(message_of("[layout]\ngroup = \"Bad Name\"\n").find("layout.group"), std::string::npos);
  EXPECT_EQ(exit_code_of("[layout]\ndata_root = \"relative\"\n"), 65);
  EXPECT_EQ(exit_code_of("[layout]\ndata_root = \"/\"\n"), 65);
  EXPECT_EQ(exit_code_of("[layout]\ndata_root = 5\n"), 65);
  EXPECT_EQ(exit_code_of("[caches]\npip = \"../etc\"\n"), 65);
  EXPECT_EQ(exit_code_of("[caches]\npip = \"/abs\"\n"), 65);
  EXPECT_EQ(exit_code_of("[caches]\npip = \"a//b\"\n"), 65);
  EXPECT_EQ(exit_code_of("[caches]\npip = \"a b\"\n"), 65);
  EXPECT_EQ(exit_code_of("[acl]\nmode = \"maybe\"\n"), 65);
  EXPECT_EQ(exit_code_of("[caches]\npip = \"cache/x\"\nuv = \"cache/x\"\n"), 65);
  EXPECT_EQ(exit_code_of("[models]\n\"Bad\" = \"m/b\"\n"), 65);
  EXPECT_EQ(exit_code_of("this is not toml"), 65);
}

// A shared tree is made group-writable: anything but a directory of its own below cache/ or
// models/ would hand users a system directory, a home or another tree (issue 9, A.4).
TEST(Config, SharedTreesStayBelowTheirRootsAndApart) {
  for (const char* bad :
       {"[caches]\npip = \"system\"\n", "[caches]\npip = \"users\"\n", "[caches]\npip = \"system/bin\"\n",
        "[caches]\npip = \"apps/uv\"\n", "[caches]\npip = \"users/bob/.ssh\"\n", "[caches]\npip = \"cache\"\n",
        "[caches]\npip = \"models/pip\"\n", "[models]\nvllm = \"cache/vllm\"\n",
        "[models]\nhuggingface = \"dataset\"\n", "[caches]\npip = \"cache/uv/pip\"\n",
        "[caches]\nconda = \"cache/pip/conda\"\n", "[models]\nsub = \"models/torch/sub\"\n"}) {
    EXPECT_EQ(exit_code_of(bad), 65) << bad;
  }
  EXPECT_NE(message_of("[caches]\npip = \"system\"\n").find("caches.pip"), std::string::npos);
  EXPECT_NE(message_of("[caches]\npip = \"cache/uv/pip\"\n").find("uv"), std::string::npos);
  EXPECT_EQ(exit_code_of("[caches]\npip = \"cache/pip2\"\n[models]\nvllm = \"models/x/vllm\"\n"), 0);
}

TEST(Config, SharingGroupIsNeitherASystemNorAnAdminGroup) {
  for (const char* group : {"root", "sudo", "adm", "wheel", "admin", "users", "docker", "disk"}) {
    EXPECT_EQ(exit_code_of(std::string("[layout]\ngroup = \"") + group + "\"\n"), 65) << group;
  }
  EXPECT_NE(message_of("[layout]\ngroup = \"root\"\n").find("layout.group"), std::string::npos);
  // Any existing group with a gid below 1000 (here: whatever gid 0..999 group this host has).
  EXPECT_EQ(exit_code_of("[layout]\ngroup = \"daemon\"\n"), 65);
}

TEST(Config, RenderRoundTrips) {
  const Config c = parse_config("[layout]\ngroup = \"lab\"\n[models]\nvllm = \"models/vllm\"\n", "t");
  const Config again = parse_config(render_config(c), "rendered");
  EXPECT_EQ(render_config(again), render_config(c));
  EXPECT_EQ(again.model_path("vllm"), "/data/models/vllm");
}

TEST(Config, NameRules) {
  EXPECT_EQ(name_problem("alice"), "");
  EXPECT_EQ(name_problem("_svc-1"), "");
  EXPECT_EQ(name_problem("machine$"), "");
  for (const char* bad : {"", "Alice", "1abc", "-rf", "a b", "a:b", "a/b", "..", "a\nb", "a$b"}) {
    EXPECT_NE(name_problem(bad), "") << bad;
  }
  EXPECT_NE(name_problem(std::string(33, 'a')), "");
  EXPECT_EQ(name_problem(std::string(32, 'a')), "");
}

TEST(Config, MissingFileGivesDefaultsUnlessExplicit) {
  EXPECT_EQ(load_config("/nonexistent/aicactl.toml", false).group, "gpu-users");
  try {
    (void)load_config("/nonexistent/aicactl.toml", true);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::bad_data);
  }
}

}  // namespace
}  // namespace aicactl::core

namespace aicactl::core {
namespace {

TEST(ConfigApps, DefaultsOverridesAndRoundTrip) {
  const Config d = parse_config("", "t");
  EXPECT_EQ(d.conda_prefix, "apps/miniconda3");
  EXPECT_EQ(d.uv_dir, "apps/uv");
  const Config c = parse_config("[apps]\nconda_prefix = \"apps/miniforge3\"\nuv_dir = \"tools/uv\"\n", "t");
  EXPECT_EQ(c.under_root(c.conda_prefix), "/data/apps/miniforge3");
  EXPECT_EQ(c.uv_dir, "tools/uv");
  const Config again = parse_config(render_config(c), "rendered");
  EXPECT_EQ(again.conda_prefix, "apps/miniforge3");
  EXPECT_EQ(again.uv_dir, "tools/uv");
}

TEST(ConfigApps, BadValues) {
  for (const char* bad : {"\"/opt/conda\"", "\"apps/../etc\"", "\"\"", "\"apps/\"", "1", "\"cache/pip\"",
                          "\"cache/pip/conda\"", "\"cache\"", "\"users/conda\"", "\"code\"", "\"a b\""}) {
    EXPECT_EQ(exit_code_of(std::string("[apps]\nconda_prefix = ") + bad + "\n"), 65) << bad;
    EXPECT_EQ(exit_code_of(std::string("[apps]\nuv_dir = ") + bad + "\n"), 65) << bad;
  }
  EXPECT_EQ(exit_code_of("[apps]\npython = \"apps/py\"\n"), 65);
  EXPECT_NE(message_of("[apps]\nuv_dir = \"cache/uv\"\n").find("apps.uv_dir"), std::string::npos);
}

}  // namespace
}  // namespace aicactl::core
