// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/setup/merge.hpp"

#include <gtest/gtest.h>

namespace aicactl::core {
namespace {

const Setting kPip{FileFormat::ini, "global", {"cache-dir", "cache_dir"}, "/data/cache/pip"};
const Setting kNpm{FileFormat::keyvalue, "", {"cache"}, "/data/cache/npm"};
const Setting kUv{FileFormat::toml_top, "", {"cache-dir"}, "/data/cache/uv"};
const Setting kConda{FileFormat::yaml_list, "", {"pkgs_dirs"}, "/data/cache/conda/pkgs"};

TEST(Merge, KeepsAdminSettingsInPipConf) {
  const std::string in = "[global]\ncert = /etc/ssl/certs/ca.crt\nindex-url = https://mirror/simple\n";
  const std::string out = merge_setting(in, kPip, "# h\n");
  EXPECT_NE(out.find("cert = /etc/ssl/certs/ca.crt"), std::string::npos);
  EXPECT_NE(out.find("index-url = https://mirror/simple"), std::string::npos);
  EXPECT_NE(out.find("cache-dir = /data/cache/pip"), std::string::npos);
  EXPECT_EQ(merge_setting(out, kPip, "# h\n"), out);  // idempotent
}

TEST(Merge, ReplacesAnOldCacheDirOnce) {
  const std::string in = "[global]\ncache-dir = /old\ncache_dir=/older\n[install]\ncache-dir = /other-section\n";
  const std::string out = merge_setting(in, kPip, "");
  EXPECT_EQ(out, "[global]\ncache-dir = /data/cache/pip\n[install]\ncache-dir = /other-section\n");
}

TEST(Merge, AddsGlobalSectionWhenMissing) {
  const std::string out = merge_setting("[install]\nuser = true\n", kPip, "");
  EXPECT_EQ(out, "[install]\nuser = true\n\n[global]\ncache-dir = /data/cache/pip\n");
  EXPECT_EQ(merge_setting("", kPip, "# h\n"), "# h\n\n[global]\ncache-dir = /data/cache/pip\n");
}

TEST(Merge, NpmrcKeepsCafile) {
  const std::string out = merge_setting("cafile=/etc/ssl/ca.crt\ncache = /old\n", kNpm, "");
  EXPECT_EQ(out, "cafile=/etc/ssl/ca.crt\ncache=/data/cache/npm\n");
  EXPECT_EQ(merge_setting(out, kNpm, ""), out);
}

TEST(Merge, UvTopLevelKeyGoesBeforeTables) {
  const std::string out = merge_setting("# mine\n[pip]\nindex-url = \"x\"\n", kUv, "");
  EXPECT_EQ(out, "# mine\ncache-dir = \"/data/cache/uv\"\n[pip]\nindex-url = \"x\"\n");
  EXPECT_EQ(merge_setting(out, kUv, ""), out);
}

TEST(Merge, CondarcReplacesPkgsDirsBlock) {
  const std::string in = "channels:\n  - conda-forge\npkgs_dirs:\n  - /old/pkgs\n  - /older\nenvs_dirs:\n  - /e\n";
  const std::string out = merge_setting(in, kConda, "");
  EXPECT_EQ(out, "channels:\n  - conda-forge\npkgs_dirs:\n  - /data/cache/conda/pkgs\nenvs_dirs:\n  - /e\n");
  EXPECT_EQ(merge_setting(out, kConda, ""), out);
}

TEST(Merge, WholeFileIsTheValue) {
  EXPECT_EQ(merge_setting("anything", Setting{FileFormat::whole, "", {}, "content\n"}, ""), "content\n");
}

}  // namespace
}  // namespace aicactl::core
