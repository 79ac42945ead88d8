// SPDX-License-Identifier: Apache-2.0
// The [disk] section of the configuration: defaults, values, rejections naming the key.
#include <gtest/gtest.h>

#include "aicactl/core/plan/errors.hpp"
#include "aicactl/core/setup/config.hpp"

namespace aicactl::core {
namespace {

std::string rejection(const std::string& text) {
  try {
    (void)parse_config(text, "test.toml");
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::bad_data) << text;
    return e.what();
  }
  ADD_FAILURE() << "accepted: " << text;
  return "";
}

TEST(DiskConfig, Defaults) {
  const Config c = parse_config("", "test.toml");
  EXPECT_EQ(c.disk.threshold, 90);
  EXPECT_EQ(c.disk.inode_threshold, 90);
  EXPECT_TRUE(c.disk.paths.empty());
  EXPECT_EQ(c.disk.alert_log, "/var/log/aicactl-disk.log");
  EXPECT_FALSE(c.disk.wall);
  EXPECT_EQ(c.disk.mail_to, "");
  EXPECT_EQ(c.disk.textfile, "");
  EXPECT_EQ(c.disk.top, 10);
}

TEST(DiskConfig, Values) {
  const Config c = parse_config(R"(
[disk]
threshold = 80
inode_threshold = 95
paths = ["/scratch", "/"]
alert_log = "/data/system/log/disk.log"
wall = true
mail_to = "admin@example.org,ops"
textfile = "/var/lib/prometheus/node-exporter/aicactl.prom"
top = 3
)",
                                "test.toml");
  EXPECT_EQ(c.disk.threshold, 80);
  EXPECT_EQ(c.disk.inode_threshold, 95);
  EXPECT_EQ(c.disk.paths, (std::vector<std::string>{"/scratch", "/"}));
  EXPECT_EQ(c.disk.alert_log, "/data/system/log/disk.log");
  EXPECT_TRUE(c.disk.wall);
  EXPECT_EQ(c.disk.mail_to, "admin@example.org,ops");
  EXPECT_EQ(c.disk.textfile, "/var/lib/prometheus/node-exporter/aicactl.prom");
  EXPECT_EQ(c.disk.top, 3);
  const Config again = parse_config(render_config(c), "rendered");
  EXPECT_EQ(render_config(again), render_config(c));
  EXPECT_EQ(again.disk.paths, c.disk.paths);
  EXPECT_TRUE(again.disk.wall);
}

TEST(DiskConfig, RejectsBadValuesNamingTheKey) {
  EXPECT_NE(rejection("[disk]\nthreshold = 0\n").find("'disk.threshold'"), std::string::npos);
  EXPECT_NE(rejection("[disk]\nthreshold = 101\n").find("'disk.threshold'"), std::string::npos);
  EXPECT_NE(rejection("[disk]\nthreshold = \"90\"\n").find("'disk.threshold'"), std::string::npos);
  EXPECT_NE(rejection("[disk]\ninode_threshold = -5\n").find("'disk.inode_threshold'"), std::string::npos);
  EXPECT_NE(rejection("[disk]\ntop = 0\n").find("'disk.top'"), std::string::npos);
  EXPECT_NE(rejection("[disk]\npaths = \"/data\"\n").find("'disk.paths'"), std::string::npos);
  EXPECT_NE(rejection("[disk]\npaths = [\"relative\"]\n").find("'disk.paths'"), std::string::npos);
  EXPECT_NE(rejection("[disk]\nalert_log = \"log\"\n").find("'disk.alert_log'"), std::string::npos);
  EXPECT_NE(rejection("[disk]\ntextfile = \"x.prom\"\n").find("'disk.textfile'"), std::string::npos);
  EXPECT_NE(rejection("[disk]\nmail_to = \"a@b\\nBcc: x@y\"\n").find("'disk.mail_to'"), std::string::npos);
  EXPECT_NE(rejection("[disk]\nmail_to = \"-oQ/tmp\"\n").find("'disk.mail_to'"), std::string::npos);
  EXPECT_NE(rejection("[disk]\nwall = 1\n").find("'disk.wall'"), std::string::npos);
  EXPECT_NE(rejection("[disk]\nthreshhold = 90\n").find("'disk.threshhold'"), std::string::npos);
}

}  // namespace
}  // namespace aicactl::core
