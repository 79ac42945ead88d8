// SPDX-License-Identifier: Apache-2.0
// disk check's arithmetic and formats (percent as df, alert line, textfile) and the usage
// targets and measurement on temp dirs.
#include "aicactl/core/ops/disk.hpp"

#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <sstream>

#include "aicactl/core/plan/errors.hpp"
#include "support/test_support.hpp"

namespace aicactl::core {
namespace {

using test::make_dir;
using test::TempDir;
using test::write_text;

TEST(DiskPercent, RoundsUpLikeDf) {
  EXPECT_EQ(used_percent(0, 0), 0);
  EXPECT_EQ(used_percent(0, 100), 0);
  EXPECT_EQ(used_percent(90, 10), 90);
  EXPECT_EQ(used_percent(901, 99), 91);  // 90.1% -> 91
  EXPECT_EQ(used_percent(1, 999), 1);    // 0.1% -> 1
  EXPECT_EQ(used_percent(100, 0), 100);
  // Large file systems (blocks of 4 KiB, 1 PiB) do not overflow.
  const std::uint64_t pib_blocks = (1ULL << 50) / 4096;
  EXPECT_EQ(used_percent(pib_blocks / 2, pib_blocks / 2), 50);
  EXPECT_EQ(used_percent(~0ULL / 4, ~0ULL / 4), 50);
}

os::FsStats stats(std::uint64_t blocks, std::uint64_t bfree, std::uint64_t bavail, std::uint64_t files = 1000,
                  std::uint64_t ffree = 900) {
  return os::FsStats{4096, blocks, bfree, bavail, files, ffree, ffree};
}

TEST(DiskPercent, EvaluateMountUsesAvailableNotFree) {
  // 1000 blocks, 100 free of which 50 reserved for root: used 900, avail 50 -> 900/950 = 94.7% -> 95.
  const MountUsage m = evaluate_mount("/data", stats(1000, 100, 50), 90, 90);
  EXPECT_EQ(m.used_pct, 95);
  EXPECT_EQ(m.used_bytes, 900ULL * 4096);
  EXPECT_EQ(m.avail_bytes, 50ULL * 4096);
  EXPECT_EQ(m.size_bytes, 950ULL * 4096);
  EXPECT_NEAR(m.used_ratio, 900.0 / 950.0, 1e-9);
  EXPECT_TRUE(m.alert);
  EXPECT_EQ(m.inodes_pct, 10);
  EXPECT_FALSE(m.inode_alert);
  // Exactly at the threshold is not over it.
  EXPECT_FALSE(evaluate_mount("/data", stats(1000, 100, 100), 90, 90).alert);
  EXPECT_TRUE(evaluate_mount("/data", stats(1000, 100, 100), 89, 90).alert);
  // Inodes over, space under.
  const MountUsage i = evaluate_mount("/x", stats(1000, 900, 900, 100, 5), 90, 90);
  EXPECT_FALSE(i.alert);
  EXPECT_EQ(i.inodes_pct, 95);
  EXPECT_TRUE(i.inode_alert);
  // No fixed inode count (btrfs): no inode figures, never an inode alert.
  const MountUsage b = evaluate_mount("/b", stats(1000, 900, 900, 0, 0), 90, 1);
  EXPECT_FALSE(b.has_inodes);
  EXPECT_FALSE(b.inode_alert);
}

TEST(DiskAlert, LineFormat) {
  EXPECT_EQ(alert_line("2026-11-25 14:00:00", "/data", AlertKind::disk, 93, 90),
            "[ALERT] 2026-11-25 14:00:00 - /data disk usage: 93% (threshold: 90%)");
  EXPECT_EQ(alert_line("2026-01-02 03:04:05", "/mnt/x", AlertKind::inode, 100, 95),
            "[ALERT] 2026-01-02 03:04:05 - /mnt/x inode usage: 100% (threshold: 95%)");
  EXPECT_EQ(alert_line("2026-01-02 03:04:05", "/data/users/alice", AlertKind::quota, 94, 90),
            "[ALERT] 2026-01-02 03:04:05 - /data/users/alice quota usage: 94% (threshold: 90%)");
}

TEST(DiskAlert, TimestampIsLocalTime) {
  const auto outcome = test::run_in_child([]() -> std::string {
    ::setenv("TZ", "UTC", 1);
    ::tzset();
    if (auto s = format_timestamp(0); s != "1970-01-01 00:00:00") {
      return "UTC: " + s;
    }
    ::setenv("TZ", "CET-1", 1);  // POSIX form: UTC+1, needs no tzdata
    ::tzset();
    if (auto s = format_timestamp(1764079200); s != "2025-11-25 15:00:00") {
      return "CET-1: " + s;
    }
    return "";
  });
  EXPECT_TRUE(outcome.ok()) << outcome.message;
}

TEST(DiskCheckPaths, ExplicitReplaceConfiguredAndDuplicatesGo) {
  Config c = default_config();
  c.disk.paths = {"/scratch", "/data", "/scratch/"};
  EXPECT_EQ(check_paths(c, {}), (std::vector<std::string>{"/data", "/scratch"}));
  EXPECT_EQ(check_paths(c, {"/mnt/x/", "/mnt/x"}), (std::vector<std::string>{"/mnt/x"}));
}

// A small checker of the Prometheus text exposition format (version 0.0.4): comment lines are
// "# HELP name text" or "# TYPE name type", samples "name{label="value",...} number [ts]";
// every sample's family has exactly one TYPE line, before its samples.
struct Exposition {
  std::map<std::string, std::string> types;
  std::map<std::string, double> samples;  // "name{labels}" -> value
  std::string problem;
};

Exposition parse_exposition(const std::string& text) {
  static const std::regex help(R"(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .*)");
  static const std::regex type(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped))");
  static const std::regex sample(
      R"re(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*")(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*")*\})? ([-+]?[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?|NaN|[-+]Inf)( -?[0-9]+)?)re");
  Exposition out;
  if (text.empty() || text.back() != '\n') {
    out.problem = "does not end with a newline";
    return out;
  }
  std::istringstream in(text);
  std::string line;
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_match(line, m, help)) {
      continue;
    }
    if (std::regex_match(line, m, type)) {
      if (!out.types.emplace(m[1], m[2]).second) {
        out.problem = "two TYPE lines for " + m[1].str();
        return out;
      }
      continue;
    }
    if (std::regex_match(line, m, sample)) {
      if (out.types.count(m[1]) == 0) {
        out.problem = "sample before its TYPE: " + line;
        return out;
      }
      out.samples[m[1].str() + m[2].str()] = std::stod(m[7].str());
      continue;
    }
    out.problem = "bad line: '" + line + "'";
    return out;
  }
  return out;
}

TEST(DiskTextfile, ParsesAsExpositionFormat) {
  std::vector<MountUsage> mounts = {evaluate_mount("/data", stats(1000, 100, 50), 90, 90),
                                    evaluate_mount("/mnt/we\"ird\\", stats(1000, 900, 900, 0, 0), 90, 90)};
  const std::string text = render_textfile(mounts, 1764079200);
  const Exposition e = parse_exposition(text);
  ASSERT_EQ(e.problem, "") << text;
  EXPECT_EQ(e.types.at("aicactl_disk_used_ratio"), "gauge");
  EXPECT_NEAR(e.samples.at("aicactl_disk_used_ratio{mount=\"/data\"}"), 900.0 / 950.0, 1e-6);
  EXPECT_NEAR(e.samples.at("aicactl_disk_inodes_used_ratio{mount=\"/data\"}"), 0.1, 1e-6);
  EXPECT_EQ(e.samples.at("aicactl_disk_size_bytes{mount=\"/data\"}"), 950.0 * 4096);
  EXPECT_EQ(e.samples.at("aicactl_disk_avail_bytes{mount=\"/data\"}"), 50.0 * 4096);
  EXPECT_EQ(e.samples.at("aicactl_disk_alert{mount=\"/data\"}"), 1);
  EXPECT_EQ(e.samples.at("aicactl_disk_alert{mount=\"/mnt/we\\\"ird\\\\\"}"), 0);
  EXPECT_EQ(e.samples.count("aicactl_disk_inodes_used_ratio{mount=\"/mnt/we\\\"ird\\\\\"}"), 0U);
  EXPECT_EQ(e.samples.at("aicactl_disk_check_timestamp_seconds"), 1764079200.0);
  // The checker itself rejects what the format forbids.
  EXPECT_NE(parse_exposition("x{mount=\"a\"} 1\n").problem, "");
  EXPECT_NE(parse_exposition("# TYPE x gauge\nx{mount=\"a\"b\"} 1\n").problem, "");
  EXPECT_NE(parse_exposition("# TYPE x gauge\nx 1").problem, "");
}

TEST(DiskUsage, HomesByOwnerSharedTreesAndTop) {
  TempDir tmp;
  Config c = default_config();
  c.data_root = tmp.path();
  c.caches = {{"pip", "cache/pip"}, {"npm", ""}};
  c.models = {{"huggingface", "models/huggingface"}};
  make_dir(tmp.sub("users"));
  make_dir(tmp.sub("users/zed"));
  make_dir(tmp.sub("users/amy"));
  write_text(tmp.sub("users/zed/big"), std::string(200000, 'x'));
  write_text(tmp.sub("users/amy/small"), "hello");
  write_text(tmp.sub("users/not-a-home"), "file");
  test::make_symlink("/", tmp.sub("users/linked"));
  make_dir(tmp.sub("cache"));
  make_dir(tmp.sub("cache/pip"));
  write_text(tmp.sub("cache/pip/wheel"), std::string(50000, 'y'));

  const auto homes = home_targets(c);
  ASSERT_EQ(homes.size(), 2U);  // not the file, not the symlink to /
  const auto shared = shared_targets(c, std::nullopt);
  ASSERT_EQ(shared.size(), 2U);
  EXPECT_EQ(shared[0].name, "pip");
  EXPECT_EQ(shared[1].kind, "model");

  auto targets = homes;
  targets.insert(targets.end(), shared.begin(), shared.end());
  const UsageReport report = measure(targets, 2);
  EXPECT_TRUE(report.complete());
  ASSERT_EQ(report.rows.size(), 3U);  // models/huggingface is absent: left out
  const auto top = top_rows(report.rows, 2);
  ASSERT_EQ(top.size(), 2U);
  EXPECT_EQ(top[0].target.path, tmp.sub("users/zed"));
  EXPECT_GE(top[0].totals.apparent_bytes, 200000U);
  EXPECT_EQ(top[0].totals.entries, 2U);
  EXPECT_EQ(top[1].target.name, "pip");

  const auto named = named_home_targets(c, {"amy"});
  ASSERT_EQ(named.size(), 1U);
  EXPECT_EQ(named[0].path, tmp.sub("users/amy"));
  EXPECT_THROW((void)named_home_targets(c, {"nobody-here"}), Error);
  EXPECT_THROW((void)named_home_targets(c, {"../etc"}), Error);
  EXPECT_THROW((void)named_home_targets(c, {"linked"}), Error);  // a symlink is no home
}

TEST(DiskUsage, EntryTargetsCountFilesAndDirs) {
  TempDir tmp;
  make_dir(tmp.sub("d"));
  write_text(tmp.sub("d/f"), std::string(10000, 'a'));
  write_text(tmp.sub("top"), std::string(3000, 'b'));
  const UsageReport r = measure(entry_targets(tmp.path()), 2);
  ASSERT_EQ(r.rows.size(), 2U);
  const auto top = top_rows(r.rows, 10);
  EXPECT_EQ(top[0].target.name, "d");
  EXPECT_EQ(top[0].totals.entries, 2U);
  EXPECT_EQ(top[1].target.name, "top");
  EXPECT_EQ(top[1].totals.apparent_bytes, 3000U);
  EXPECT_EQ(top[1].totals.entries, 1U);
}

}  // namespace
}  // namespace aicactl::core
