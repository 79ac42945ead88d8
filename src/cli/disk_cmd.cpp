// SPDX-License-Identifier: Apache-2.0
// aicactl disk check | usage: space and inode use against the thresholds (for cron), and the
// usage of homes and shared trees. Both are read-only apart from disk check's alert log and
// textfile, take no lock (they must not wait behind a long cache repair) and may run through
// sudo in their pinned forms.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "aicactl/cli/context.hpp"
#include "aicactl/cli/progress.hpp"
#include "aicactl/core/ops/disk.hpp"
#include "aicactl/core/plan/errors.hpp"
#include "aicactl/core/users/quota.hpp"
#include "aicactl/os/accounts.hpp"
#include "aicactl/os/text.hpp"

namespace aicactl::cli {
namespace {

struct CheckOptions {
  std::optional<int> threshold;
  std::optional<int> inode_threshold;
  std::vector<std::string> paths;
};

struct UsageOptions {
  bool mine = false;
  std::vector<std::string> users;
};

// The uid that ran sudo, when this process is root through sudo for a non-root user.
std::optional<uid_t> sudo_caller() {
  const char* env = std::getenv("SUDO_UID");
  if (::getuid() != 0 || env == nullptr || std::string_view(env).empty() || std::string_view(env) == "0") {
    return std::nullopt;
  }
  char* end = nullptr;
  const unsigned long v = std::strtoul(env, &end, 10);
  if (*end != '\0') {
    return std::nullopt;
  }
  return static_cast<uid_t>(v);
}

nlohmann::json row_json(const core::UsageRow& r) {
  nlohmann::json j{{"kind", r.target.kind},
                   {"name", r.target.name},
                   {"path", r.target.path},
                   {"disk_bytes", r.totals.disk_bytes},
                   {"apparent_bytes", r.totals.apparent_bytes},
                   {"entries", r.totals.entries},
                   {"complete", r.complete}};
  if (r.target.only_uid) {
    j["only_uid"] = *r.target.only_uid;
  }
  if (r.quota_limit != 0) {
    j["quota_used_bytes"] = r.quota_used;
    j["quota_limit_bytes"] = r.quota_limit;
    j["quota_used_percent"] = core::quota_percent(r.quota_used, r.quota_limit);
  }
  return j;
}

void print_rows(const std::vector<core::UsageRow>& rows, const std::string& indent) {
  std::cout << indent << std::left << std::setw(6) << "KIND" << ' ' << std::setw(16) << "NAME" << std::right << ' '
            << std::setw(7) << "USED" << ' ' << std::setw(9) << "APPARENT" << ' ' << std::setw(9) << "ENTRIES"
            << "  PATH\n";
  for (const auto& r : rows) {
    std::cout << indent << std::left << std::setw(6) << r.target.kind << ' ' << std::setw(16) << r.target.name
              << std::right << ' ' << std::setw(7) << os::human_size(r.totals.disk_bytes) << ' ' << std::setw(9)
              << os::human_size(r.totals.apparent_bytes) << ' ' << std::setw(9) << r.totals.entries << "  "
              << r.target.path << (r.target.only_uid ? " (own files)" : "") << (r.complete ? "" : " (incomplete)");
    if (r.quota_limit != 0) {
      std::cout << " (quota " << os::human_size(r.quota_used) << '/' << os::human_size(r.quota_limit) << ", "
                << core::quota_percent(r.quota_used, r.quota_limit) << "%)";
    }
    std::cout << '\n';
  }
}

void render_check(const GlobalOptions& options, const core::DiskCheck& check,
                  const std::vector<std::string>& problems) {
  for (const auto& p : problems) {
    spdlog::error("{}", p);
  }
  if (options.json) {
    nlohmann::json mounts = nlohmann::json::array();
    for (const auto& m : check.mounts) {
      nlohmann::json j{{"mount", m.path},
                       {"used_percent", m.used_pct},
                       {"threshold", m.threshold},
                       {"used_ratio", m.used_ratio},
                       {"size_bytes", m.size_bytes},
                       {"used_bytes", m.used_bytes},
                       {"avail_bytes", m.avail_bytes},
                       {"alert", m.alert},
                       {"inode_alert", m.inode_alert},
                       {"inode_threshold", m.inode_threshold}};
      j["inodes_used_percent"] = m.has_inodes ? nlohmann::json(m.inodes_pct) : nlohmann::json(nullptr);
      mounts.push_back(std::move(j));
    }
    nlohmann::json consumers = nlohmann::json::object();
    for (const auto& list : check.consumers) {
      auto& rows = consumers[list.mount] = nlohmann::json::array();
      for (const auto& r : list.rows) {
        rows.push_back(row_json(r));
      }
    }
    std::cout << nlohmann::json{{"command", "disk check"}, {"ok", !check.alert()},   {"mounts", mounts},
                                {"alerts", check.alerts},  {"consumers", consumers}, {"problems", problems}}
                     .dump(2)
              << "\n";
    return;
  }
  for (const auto& m : check.mounts) {
    if (options.quiet && !m.alert && !m.inode_alert) {
      continue;  // -q (cron): only what alerts
    }
    std::cout << m.path << ": disk " << m.used_pct << "% of " << os::human_size(m.size_bytes) << " (threshold "
              << m.threshold << "%)";
    if (m.has_inodes) {
      std::cout << ", inodes " << m.inodes_pct << "% (threshold " << m.inode_threshold << "%)";
    }
    std::cout << ((m.alert || m.inode_alert) ? " ALERT" : " ok") << '\n';
  }
  for (const auto& line : check.alerts) {
    std::cout << line << '\n';
  }
  for (const auto& list : check.consumers) {
    std::cout << "Top consumers of " << list.mount << ":\n";
    print_rows(list.rows, "  ");
  }
}

int run_check(const GlobalOptions& options, const CheckOptions& o) {
  require_pinned_form(options, {{"disk", "check"}});
  // Explicit --path mounts replace data_root and [disk] paths: no data volume is involved then.
  const core::Config config = o.paths.empty() ? load_data_config(options, "disk check") : load_config(options);
  const core::CheckRequest request{o.paths, o.threshold.value_or(config.disk.threshold),
                                   o.inode_threshold.value_or(config.disk.inode_threshold)};
  const core::DiskCheck check = core::check_disks(config, request, std::time(nullptr));
  std::vector<std::string> problems = check.problems;
  const auto delivery = core::deliver(config, check);
  problems.insert(problems.end(), delivery.begin(), delivery.end());
  render_check(options, check, problems);
  if (check.alert()) {
    return static_cast<int>(core::ExitCode::check_failed);
  }
  return static_cast<int>(problems.empty() ? core::ExitCode::ok : core::ExitCode::failure);
}

// --mine: the caller (through sudo: the sudo user) gets their home and, in each shared tree,
// only the files they own.
std::vector<core::UsageTarget> usage_targets(const core::Config& config, const UsageOptions& o) {
  if (o.mine) {
    const uid_t uid = sudo_caller().value_or(::getuid());
    const auto user = os::find_user(uid);
    if (!user) {
      throw core::Error(core::ExitCode::bad_data, "No account for uid " + std::to_string(uid));
    }
    std::vector<core::UsageTarget> targets;
    for (auto& home : core::home_targets(config)) {
      if (home.path == os::join_path(config.under_root("users"), user->name)) {
        home.name = user->name;
        targets.push_back(std::move(home));
      }
    }
    const auto shared = core::shared_targets(config, uid);
    targets.insert(targets.end(), shared.begin(), shared.end());
    return targets;
  }
  if (!o.users.empty()) {
    return core::named_home_targets(config, o.users);
  }
  auto targets = core::home_targets(config);
  const auto shared = core::shared_targets(config, std::nullopt);
  targets.insert(targets.end(), shared.begin(), shared.end());
  return targets;
}

void render_usage(const GlobalOptions& options, const core::UsageReport& report) {
  for (const auto& n : report.notes) {
    spdlog::warn("{}, ignoring", n);
  }
  for (const auto& p : report.problems) {
    spdlog::error("{}", p);
  }
  if (options.json) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& r : report.rows) {
      rows.push_back(row_json(r));
    }
    std::cout << nlohmann::json{{"command", "disk usage"},
                                {"rows", rows},
                                {"complete", report.complete()},
                                {"problems", report.problems}}
                     .dump(2)
              << "\n";
    return;
  }
  print_rows(report.rows, "");
}

int run_usage(const GlobalOptions& options, const UsageOptions& o) {
  require_pinned_form(options, {{"disk", "usage", "--mine"}});
  const core::Config config = load_data_config(options, "disk usage");
  const core::UsageReport report = [&] {
    ProgressDisplay progress(options, "disk usage");  // cleared before the results are printed
    return core::measure(usage_targets(config, o), 2, progress.counter());
  }();
  render_usage(options, report);
  return static_cast<int>(report.complete() ? core::ExitCode::ok : core::ExitCode::partial);
}

}  // namespace

void register_disk(Registrar& r) {
  auto* disk = r.app.add_subcommand("disk", "Disk space: threshold checks and usage");
  disk->require_subcommand(1);
  disk->fallthrough();

  auto check_opts = std::make_shared<CheckOptions>();
  auto* check = disk->add_subcommand(
      "check", "Compare space and inode use with the thresholds; alert (log, textfile, wall, mail) and exit 3 over");
  check->fallthrough();
  check->add_option("--threshold", check_opts->threshold, "Alert above this percent of space used (1-100)")
      ->check(CLI::Range(1, 100));
  check->add_option("--inode-threshold", check_opts->inode_threshold, "Alert above this percent of inodes used (1-100)")
      ->check(CLI::Range(1, 100));
  check
      ->add_option("--path", check_opts->paths,
                   "Check this mount instead of data_root and [disk] paths (repeatable, absolute)")
      ->check([](const std::string& p) { return p.empty() || p.front() != '/' ? "must be an absolute path" : ""; });
  check->callback(
      [&r, check_opts] { r.set_handler([&o = r.options, check_opts] { return run_check(o, *check_opts); }); });

  auto usage_opts = std::make_shared<UsageOptions>();
  auto* usage = disk->add_subcommand("usage", "Disk usage of every home and shared cache (or of some users)");
  usage->fallthrough();
  auto* mine = usage->add_flag("--mine", usage_opts->mine, "Your home, and only your own files in each shared cache");
  usage->add_option("users", usage_opts->users, "Users whose homes to measure")->excludes(mine);
  usage->callback(
      [&r, usage_opts] { r.set_handler([&o = r.options, usage_opts] { return run_usage(o, *usage_opts); }); });
}

}  // namespace aicactl::cli
