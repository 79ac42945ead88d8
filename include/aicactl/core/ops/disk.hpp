// SPDX-License-Identifier: Apache-2.0
// disk check and disk usage, the read-only reports: space and inode use of mounts against the
// thresholds (percentages as df computes them), the alert line that existing installs grep for,
// the node_exporter textfile, and the usage of homes and shared trees.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aicactl/core/setup/config.hpp"
#include "aicactl/os/usage.hpp"

namespace aicactl::core {

// Percent of `used` in `used + avail`, rounded up as df does (so 90.1% is 91%); 0 when both
// are 0. `avail` is what unprivileged users may still use, so reserved blocks count as neither.
[[nodiscard]] int used_percent(std::uint64_t used, std::uint64_t avail);

struct MountUsage {
  std::string path;
  std::uint64_t size_bytes = 0;   // (blocks - bfree + bavail) * frsize: what df shows as size
  std::uint64_t used_bytes = 0;   // (blocks - bfree) * frsize
  std::uint64_t avail_bytes = 0;  // bavail * frsize
  double used_ratio = 0;          // used / (used + avail), unrounded
  int used_pct = 0;
  bool has_inodes = false;  // false where the file system has no fixed inode count (f_files 0)
  std::uint64_t inodes_used = 0;
  std::uint64_t inodes_avail = 0;
  double inodes_ratio = 0;
  int inodes_pct = 0;
  int threshold = 0;
  int inode_threshold = 0;
  bool alert = false;        // used_pct > threshold
  bool inode_alert = false;  // inodes_pct > inode_threshold
};

[[nodiscard]] MountUsage evaluate_mount(const std::string& path, const os::FsStats& stats, int threshold,
                                        int inode_threshold);

// The mounts disk check looks at: `explicit_paths` when given, else data_root and [disk] paths
// (duplicates dropped, order kept).
[[nodiscard]] std::vector<std::string> check_paths(const Config& config,
                                                   const std::vector<std::string>& explicit_paths);

// "YYYY-MM-DD HH:MM:SS" in local time (the TZ of the process, as cron runs it).
[[nodiscard]] std::string format_timestamp(std::time_t t);

enum class AlertKind { disk, inode, quota };

// "[ALERT] 2026-11-25 14:00:00 - /data disk usage: 93% (threshold: 90%)"; AlertKind::inode
// says "inode usage", AlertKind::quota (`path` a home) "quota usage". No trailing newline.
[[nodiscard]] std::string alert_line(std::string_view timestamp, std::string_view path, AlertKind kind, int percent,
                                     int threshold);

// Prometheus text exposition of every mount (metrics aicactl_disk_used_ratio,
// aicactl_disk_inodes_used_ratio, aicactl_disk_size_bytes, aicactl_disk_avail_bytes,
// aicactl_disk_alert with a mount="..." label, and aicactl_disk_check_timestamp_seconds).
[[nodiscard]] std::string render_textfile(const std::vector<MountUsage>& mounts, std::time_t now);

// One line of the usage table: a user's home, a shared cache or model tree, or (for a mount
// other than data_root) one top-level entry.
struct UsageTarget {
  std::string kind;  // "user", "cache", "model", "entry"
  std::string name;  // user name (owner of the home), cache/model name, or entry name
  std::string path;
  std::optional<uid_t> only_uid;  // count only this uid's files (disk usage --mine, caches)
};

struct UsageRow {
  UsageTarget target;
  os::UsageTotals totals;
  bool complete = true;  // false when some entries could not be read (totals are lower bounds)
  // A home with a quota (core/users/quota): its qgroup's referenced bytes and limit (0: none).
  std::uint64_t quota_used = 0;
  std::uint64_t quota_limit = 0;
};

// Every home below <data_root>/users (a directory, not a symlink; named by its owner, else by
// the directory name), sorted by name. Missing users dir: none.
[[nodiscard]] std::vector<UsageTarget> home_targets(const Config& config);
// The home of each named user (<data_root>/users/NAME); Error(bad_data) when one has none.
[[nodiscard]] std::vector<UsageTarget> named_home_targets(const Config& config, const std::vector<std::string>& users);
// Every enabled cache and model tree, in configuration order; `only_uid` applies to each.
[[nodiscard]] std::vector<UsageTarget> shared_targets(const Config& config, std::optional<uid_t> only_uid);
// The top-level entries of `path` (for consumers of a mount other than data_root).
[[nodiscard]] std::vector<UsageTarget> entry_targets(const std::string& path);

struct UsageReport {
  std::vector<UsageRow> rows;
  std::vector<std::string> problems;  // entries that could not be read (the totals are lower bounds)
  std::vector<std::string> notes;     // mounts not entered
  [[nodiscard]] bool complete() const { return problems.empty(); }
};

// Scans each target (an absent one is left out; a non-directory is counted by its own stat).
// `progress` (for a terminal's display) is counted into when set.
[[nodiscard]] UsageReport measure(const std::vector<UsageTarget>& targets, unsigned threads,
                                  os::WalkProgress* progress = nullptr);

// The `top` largest rows by disk bytes (ties by name).
[[nodiscard]] std::vector<UsageRow> top_rows(std::vector<UsageRow> rows, std::size_t top);

struct CheckRequest {
  std::vector<std::string> paths;  // as given by --path ("" = data_root and [disk] paths)
  int threshold = 90;
  int inode_threshold = 90;
};

struct ConsumerList {
  std::string mount;
  std::vector<UsageRow> rows;  // largest first, at most [disk] top
};

struct DiskCheck {
  std::time_t now = 0;
  std::vector<MountUsage> mounts;
  std::vector<std::string> alerts;      // alert lines, in mount order
  std::vector<ConsumerList> consumers;  // for each mount with an alert
  std::vector<std::string> problems;    // mounts that could not be examined, unreadable entries
  [[nodiscard]] bool alert() const { return !alerts.empty(); }
};

// Reads the mounts and, for those over a threshold, their top consumers: the homes and shared
// trees for data_root, the top-level entries for any other mount; with data_root, also every
// home above kQuotaAlertPercent of its quota (an AlertKind::quota line). Changes nothing.
[[nodiscard]] DiskCheck check_disks(const Config& config, const CheckRequest& request, std::time_t now);

// What an alert says when sent by mail: headers for sendmail -t, then the lines and consumers.
[[nodiscard]] std::string alert_mail(const Config& config, const DiskCheck& check, std::string_view host);

// Appends the alert lines to [disk] alert_log, writes the textfile (atomically, every time),
// and sends wall and mail as configured. Returns the problems (each already a message).
[[nodiscard]] std::vector<std::string> deliver(const Config& config, const DiskCheck& check);

}  // namespace aicactl::core
