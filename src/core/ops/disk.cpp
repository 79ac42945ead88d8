// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/ops/disk.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "aicactl/core/plan/errors.hpp"
#include "aicactl/core/setup/spec.hpp"
#include "aicactl/core/users/quota.hpp"
#include "aicactl/os/accounts.hpp"
#include "aicactl/os/append_file.hpp"
#include "aicactl/os/atomic_file.hpp"
#include "aicactl/os/fs.hpp"
#include "aicactl/os/host.hpp"
#include "aicactl/os/process.hpp"
#include "aicactl/os/process_input.hpp"
#include "aicactl/os/text.hpp"

namespace aicactl::core {
namespace {

double ratio(std::uint64_t used, std::uint64_t avail) {
  const std::uint64_t total = used + avail;
  return total == 0 ? 0.0 : static_cast<double>(used) / static_cast<double>(total);
}

// A label value of the exposition format: backslash, double quote and newline escaped.
std::string label_value(std::string_view v) {
  std::string out;
  for (const char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string number(double v) {
  std::array<char, 64> buf{};
  (void)std::snprintf(buf.data(), buf.size(), "%.6f", v);
  return buf.data();
}

// One metric family: HELP, TYPE and one sample per mount (skipping those `has` rejects).
template <class Value, class Has>
void family(std::ostringstream& out, const std::vector<MountUsage>& mounts, std::string_view name,
            std::string_view help, Value value, Has has) {
  out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << " gauge\n";
  for (const auto& m : mounts) {
    if (has(m)) {
      out << name << "{mount=\"" << label_value(m.path) << "\"} " << value(m) << '\n';
    }
  }
}

}  // namespace

int used_percent(std::uint64_t used, std::uint64_t avail) {
  std::uint64_t total = used + avail;
  if (total == 0) {
    return 0;
  }
  // ceil(used * 100 / total); counts past 2^57 (never blocks or inodes) are scaled down first.
  while (used > UINT64_MAX / 100) {
    used >>= 1;
    total >>= 1;
  }
  return static_cast<int>((used * 100 + total - 1) / total);
}

MountUsage evaluate_mount(const std::string& path, const os::FsStats& s, int threshold, int inode_threshold) {
  MountUsage m;
  m.path = path;
  m.threshold = threshold;
  m.inode_threshold = inode_threshold;
  const std::uint64_t used_blocks = s.blocks >= s.blocks_free ? s.blocks - s.blocks_free : 0;
  m.used_bytes = used_blocks * s.block_size;
  m.avail_bytes = s.blocks_avail * s.block_size;
  m.size_bytes = m.used_bytes + m.avail_bytes;
  m.used_ratio = ratio(used_blocks, s.blocks_avail);
  m.used_pct = used_percent(used_blocks, s.blocks_avail);
  m.alert = m.used_pct > threshold;
  m.has_inodes = s.inodes != 0;
  if (m.has_inodes) {
    m.inodes_used = s.inodes >= s.inodes_free ? s.inodes - s.inodes_free : 0;
    m.inodes_avail = s.inodes_avail;
    m.inodes_ratio = ratio(m.inodes_used, m.inodes_avail);
    m.inodes_pct = used_percent(m.inodes_used, m.inodes_avail);
    m.inode_alert = m.inodes_pct > inode_threshold;
  }
  return m;
}

std::vector<std::string> check_paths(const Config& config, const std::vector<std::string>& explicit_paths) {
  std::vector<std::string> wanted = explicit_paths;
  if (wanted.empty()) {
    wanted.push_back(config.data_root);
    wanted.insert(wanted.end(), config.disk.paths.begin(), config.disk.paths.end());
  }
  std::vector<std::string> out;
  for (auto& p : wanted) {
    while (p.size() > 1 && p.back() == '/') {
      p.pop_back();
    }
    if (std::find(out.begin(), out.end(), p) == out.end()) {
      out.push_back(p);
    }
  }
  return out;
}

std::string format_timestamp(std::time_t t) {
  std::tm tm{};
  ::localtime_r(&t, &tm);
  std::array<char, 32> buf{};
  const std::size_t n = std::strftime(buf.data(), buf.size(), "%Y-%m-%d %H:%M:%S", &tm);
  return std::string(buf.data(), n);
}

std::string alert_line(std::string_view timestamp, std::string_view path, AlertKind kind, int percent, int threshold) {
  std::ostringstream out;
  out << "[ALERT] " << timestamp << " - " << path
      << (kind == AlertKind::disk ? " disk" : (kind == AlertKind::inode ? " inode" : " quota")) << " usage: " << percent
      << "% (threshold: " << threshold << "%)";
  return out.str();
}

std::string render_textfile(const std::vector<MountUsage>& mounts, std::time_t now) {
  std::ostringstream out;
  const auto all = [](const MountUsage&) { return true; };
  family(
      out, mounts, "aicactl_disk_used_ratio", "Fraction of the file system's space in use, as df computes it.",
      [](const MountUsage& m) { return number(m.used_ratio); }, all);
  family(
      out, mounts, "aicactl_disk_inodes_used_ratio", "Fraction of the file system's inodes in use.",
      [](const MountUsage& m) { return number(m.inodes_ratio); }, [](const MountUsage& m) { return m.has_inodes; });
  family(
      out, mounts, "aicactl_disk_size_bytes", "Size of the file system in bytes (used + available).",
      [](const MountUsage& m) { return std::to_string(m.size_bytes); }, all);
  family(
      out, mounts, "aicactl_disk_avail_bytes", "Bytes available to unprivileged users.",
      [](const MountUsage& m) { return std::to_string(m.avail_bytes); }, all);
  family(
      out, mounts, "aicactl_disk_alert", "1 when space or inode use is over its threshold, else 0.",
      [](const MountUsage& m) { return (m.alert || m.inode_alert) ? "1" : "0"; }, all);
  out << "# HELP aicactl_disk_check_timestamp_seconds When aicactl disk check last ran (Unix time).\n"
      << "# TYPE aicactl_disk_check_timestamp_seconds gauge\n"
      << "aicactl_disk_check_timestamp_seconds " << static_cast<long long>(now) << '\n';
  return out.str();
}

std::vector<UsageTarget> home_targets(const Config& config) {
  const std::string users = config.under_root("users");
  std::vector<UsageTarget> out;
  auto dir = os::open_dir(users);
  if (!dir) {
    return out;
  }
  auto names = os::list_dir(dir->get(), users);
  if (!names) {
    return out;
  }
  for (const auto& name : *names) {
    auto info = os::stat_at(dir->get(), name.c_str());
    if (!info || !info->is_dir()) {
      continue;
    }
    const auto owner = os::find_user(info->uid);
    out.push_back(UsageTarget{"user", owner ? owner->name : name, os::join_path(users, name), std::nullopt});
  }
  std::sort(out.begin(), out.end(), [](const UsageTarget& a, const UsageTarget& b) {
    return a.name != b.name ? a.name < b.name : a.path < b.path;
  });
  return out;
}

std::vector<UsageTarget> named_home_targets(const Config& config, const std::vector<std::string>& users) {
  std::vector<UsageTarget> out;
  for (const auto& user : users) {
    if (auto why = name_problem(user); !why.empty()) {
      throw Error(ExitCode::usage, "Invalid user name '" + user + "': " + why);
    }
    const std::string home = os::join_path(config.under_root("users"), user);
    auto info = os::lstat_path(home);
    if (!info || !*info || !(*info)->is_dir()) {
      throw Error(ExitCode::bad_data, "User '" + user + "' has no home '" + home + "'");
    }
    out.push_back(UsageTarget{"user", user, home, std::nullopt});
  }
  return out;
}

std::vector<UsageTarget> shared_targets(const Config& config, std::optional<uid_t> only_uid) {
  std::vector<UsageTarget> out;
  for (const auto& c : config.caches) {
    if (!c.relative.empty()) {
      out.push_back(UsageTarget{"cache", c.name, config.under_root(c.relative), only_uid});
    }
  }
  for (const auto& m : config.models) {
    if (!m.relative.empty()) {
      out.push_back(UsageTarget{"model", m.name, config.under_root(m.relative), only_uid});
    }
  }
  return out;
}

std::vector<UsageTarget> entry_targets(const std::string& path) {
  std::vector<UsageTarget> out;
  auto dir = os::open_dir(path);
  if (!dir) {
    return out;
  }
  auto names = os::list_dir(dir->get(), path);
  if (!names) {
    return out;
  }
  for (const auto& name : *names) {
    out.push_back(UsageTarget{"entry", name, os::join_path(path, name), std::nullopt});
  }
  return out;
}

UsageReport measure(const std::vector<UsageTarget>& targets, unsigned threads, os::WalkProgress* progress) {
  UsageReport report;
  for (const auto& t : targets) {
    auto info = os::lstat_path(t.path);
    if (!info) {
      report.problems.push_back(info.error().message());
      continue;
    }
    if (!*info) {
      continue;
    }
    UsageRow row{t, {}, true};
    if (t.kind == "user") {
      const HomeQuota q = inspect_home_quota(t.path);
      row.quota_used = q.limit != 0 ? q.referenced : 0;
      row.quota_limit = q.limit;
    }
    const os::FileInfo& fi = **info;
    if (!fi.is_dir()) {
      if (!t.only_uid || fi.uid == *t.only_uid) {
        row.totals = os::UsageTotals{fi.blocks * 512, fi.size, 1};
      }
      report.rows.push_back(std::move(row));
      continue;
    }
    auto scan = os::scan_usage(t.path, os::UsageOptions{threads, t.only_uid, progress});
    if (!scan) {
      report.problems.push_back(scan.error().message());
      continue;
    }
    row.totals = scan->totals;
    row.complete = scan->errors.empty();
    for (const auto& e : scan->errors) {
      report.problems.push_back(e.message());
    }
    for (const auto& m : scan->mounts_skipped) {
      report.notes.push_back("Not counting '" + m + "': another file system");
    }
    report.rows.push_back(std::move(row));
  }
  return report;
}

std::vector<UsageRow> top_rows(std::vector<UsageRow> rows, std::size_t top) {
  std::stable_sort(rows.begin(), rows.end(), [](const UsageRow& a, const UsageRow& b) {
    if (a.totals.disk_bytes != b.totals.disk_bytes) {
      return a.totals.disk_bytes > b.totals.disk_bytes;
    }
    return a.target.name < b.target.name;
  });
  if (rows.size() > top) {
    rows.resize(top);
  }
  return rows;
}

DiskCheck check_disks(const Config& config, const CheckRequest& request, std::time_t now) {
  DiskCheck check;
  check.now = now;
  const std::string stamp = format_timestamp(now);
  for (const auto& path : check_paths(config, request.paths)) {
    auto stats = os::fs_stats(path);
    if (!stats) {
      check.problems.push_back(stats.error().message());
      continue;
    }
    MountUsage m = evaluate_mount(path, *stats, request.threshold, request.inode_threshold);
    if (m.alert) {
      check.alerts.push_back(alert_line(stamp, path, AlertKind::disk, m.used_pct, m.threshold));
    }
    if (m.inode_alert) {
      check.alerts.push_back(alert_line(stamp, path, AlertKind::inode, m.inodes_pct, m.inode_threshold));
    }
    if (m.alert || m.inode_alert) {
      std::vector<UsageTarget> targets;
      if (path == config.data_root) {
        targets = home_targets(config);
        const auto shared = shared_targets(config, std::nullopt);
        targets.insert(targets.end(), shared.begin(), shared.end());
      } else {
        targets = entry_targets(path);
      }
      UsageReport usage = measure(targets, 2);
      check.problems.insert(check.problems.end(), usage.problems.begin(), usage.problems.end());
      check.consumers.push_back(
          ConsumerList{path, top_rows(std::move(usage.rows), static_cast<std::size_t>(config.disk.top))});
    }
    check.mounts.push_back(std::move(m));
  }
  const auto paths = check_paths(config, request.paths);
  if (std::find(paths.begin(), paths.end(), config.data_root) != paths.end()) {
    for (const auto& home : home_targets(config)) {
      const HomeQuota q = inspect_home_quota(home.path);
      if (const int pct = quota_percent(q.referenced, q.limit); q.limit != 0 && pct > kQuotaAlertPercent) {
        check.alerts.push_back(alert_line(stamp, home.path, AlertKind::quota, pct, kQuotaAlertPercent));
      }
    }
  }
  return check;
}

std::string alert_mail(const Config& config, const DiskCheck& check, std::string_view host) {
  std::ostringstream out;
  out << "To: " << config.disk.mail_to << "\nSubject: [aicactl] disk alert on " << host
      << "\nContent-Type: text/plain; charset=UTF-8\n\n";
  for (const auto& line : check.alerts) {
    out << line << '\n';
  }
  for (const auto& list : check.consumers) {
    out << "\nTop consumers of " << list.mount << ":\n";
    for (const auto& row : list.rows) {
      out << "  " << os::human_size(row.totals.disk_bytes) << "  " << row.target.kind << ' ' << row.target.name << "  "
          << row.target.path << '\n';
    }
  }
  return out.str();
}

std::vector<std::string> deliver(const Config& config, const DiskCheck& check) {
  std::vector<std::string> problems;
  if (check.alert()) {
    std::string text;
    for (const auto& line : check.alerts) {
      text += line + '\n';
    }
    if (auto r = os::append_to_file(config.disk.alert_log, text, 0644); !r) {
      problems.push_back(r.error().message());
    }
    // The copy on the data disk survives a re-image; only where setup made its directory.
    if (has_persistent_log_dir(config)) {
      if (auto r = os::append_to_file(config.under_root(kPersistentDiskLog), text, 0644); !r) {
        problems.push_back(r.error().message());
      }
    }
    if (config.disk.wall) {
      auto r = os::run_program({"wall", text});
      if (!r || r->exit_code != 0) {
        problems.push_back(r ? "wall exited with " + std::to_string(r->exit_code) : r.error().message());
      }
    }
    constexpr const char* kSendmail = "/usr/sbin/sendmail";
    if (!config.disk.mail_to.empty()) {
      if (::access(kSendmail, X_OK) != 0) {
        problems.push_back(std::string("Not mailing the alert: '") + kSendmail + "' is missing");
      } else if (auto r = os::run_program_with_input({kSendmail, "-t"}, alert_mail(config, check, os::host_name()));
                 !r || *r != 0) {
        problems.push_back(r ? "sendmail exited with " + std::to_string(*r) : r.error().message());
      }
    }
  }
  if (!config.disk.textfile.empty()) {
    auto r = os::write_file_atomically(config.disk.textfile, render_textfile(check.mounts, check.now), 0644,
                                       ::geteuid(), ::getegid());
    if (!r) {
      problems.push_back(r.error().message());
    }
  }
  return problems;
}

}  // namespace aicactl::core
