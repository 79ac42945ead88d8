// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/lifecycle/backup.hpp"

#include <algorithm>

#include "aicactl/core/plan/errors.hpp"
#include "aicactl/core/users/users.hpp"
#include "aicactl/os/btrfs.hpp"
#include "aicactl/os/fs.hpp"
#include "aicactl/os/usage.hpp"

namespace aicactl::core {
namespace {

constexpr std::string_view kArchiveSuffix = ".tar.zst";

std::uint64_t size_of(const std::string& path) {
  auto scan = os::scan_usage(path, os::UsageOptions{});
  return scan ? scan->totals.disk_bytes : 0;
}

}  // namespace

std::vector<TermBackup> list_backups(const Config& config, const Registry& registry) {
  std::vector<TermBackup> out;
  const std::string root = config.under_root(config.lifecycle.backup_dir);
  auto dir = os::open_dir(root);
  if (!dir) {
    return out;
  }
  auto names = os::list_dir(dir->get(), root);
  for (const auto& term : names.value_or(std::vector<std::string>{})) {
    if (!term_name_problem(term).empty()) {
      continue;
    }
    auto term_fd = os::open_dir_at(dir->get(), term.c_str(), os::join_path(root, term));
    auto info = term_fd ? os::stat_fd(term_fd->get()) : std::unexpected(term_fd.error());
    if (!info) {
      continue;
    }
    TermBackup b{term, os::join_path(root, term), BackupKind::tar, {}, 0, info->mtime};
    for (const auto& entry : os::list_dir(term_fd->get(), b.path).value_or(std::vector<std::string>{})) {
      const std::string path = os::join_path(b.path, entry);
      if (entry == "users") {
        b.kind = BackupKind::btrfs;
        b.bytes += size_of(path);
      } else if (entry.ends_with(kArchiveSuffix) && entry.front() != '.') {
        b.users.push_back(entry.substr(0, entry.size() - kArchiveSuffix.size()));
        if (auto st = os::stat_at(term_fd->get(), entry.c_str())) {
          b.bytes += st->blocks * 512;
        }
      } else if (auto sub = os::open_dir_at(term_fd->get(), entry.c_str(), path);
                 sub && os::is_subvolume(sub->get()).value_or(false)) {
        b.bytes += size_of(path);  // a home that had a quota: its own snapshot
      }
    }
    if (b.kind == BackupKind::btrfs) {
      for (const auto& r : registry.removed) {
        if (r.term == term) {
          b.users.push_back(r.name);
        }
      }
    }
    std::ranges::sort(b.users);
    b.users.erase(std::unique(b.users.begin(), b.users.end()), b.users.end());
    out.push_back(std::move(b));
  }
  std::ranges::sort(out, [](const TermBackup& a, const TermBackup& b) {
    return a.mtime != b.mtime ? a.mtime < b.mtime : a.term < b.term;
  });
  return out;
}

std::vector<std::string> terms_to_prune(const std::vector<TermBackup>& backups, std::size_t keep) {
  std::vector<const TermBackup*> sorted;
  sorted.reserve(backups.size());
  for (const auto& b : backups) {
    sorted.push_back(&b);
  }
  std::ranges::sort(sorted, [](const TermBackup* a, const TermBackup* b) {
    return a->mtime != b->mtime ? a->mtime < b->mtime : a->term < b->term;
  });
  std::vector<std::string> out;
  for (std::size_t i = 0; i + keep < sorted.size(); ++i) {
    out.push_back(sorted[i]->term);
  }
  return out;
}

std::size_t parse_keep_terms(const std::string& text) {
  constexpr std::size_t kMaxKeep = 1000;
  std::size_t n = 0;
  const bool digits =
      !text.empty() && text.size() <= 4 && std::ranges::all_of(text, [](char c) { return c >= '0' && c <= '9'; });
  if (digits) {
    n = std::stoul(text);
  }
  if (!digits || n < 1 || n > kMaxKeep) {
    throw Error(ExitCode::usage, "Invalid --keep-terms '" + text + "': a whole number of terms from 1 to 1000");
  }
  return n;
}

PrunePlan plan_prune(const Config& config, const std::vector<TermBackup>& backups, std::size_t keep) {
  PrunePlan out;
  out.terms = terms_to_prune(backups, keep);
  const std::string dir = config.under_root(config.lifecycle.backup_dir);
  for (const auto& term : out.terms) {
    out.plan.items.push_back(PlanItem{"term backup '" + term + "'", {DeleteTermBackup{dir, term}}});
  }
  return out;
}

Report run_prune(const Config& config, Registry& registry, const PrunePlan& plan, DryRun dry_run) {
  Report report = apply_plan(plan.plan, dry_run);
  const std::string dir = config.under_root(config.lifecycle.backup_dir);
  for (const auto& term : plan.terms) {
    const std::string path = os::join_path(dir, term);
    const bool failed = std::ranges::any_of(
        report.actions, [&](const ActionReport& a) { return a.status == Status::failed && a.target == path; });
    for (auto& r : registry.removed) {
      if (!failed && r.term == term && r.home == "archived") {
        r.home = "purged";
        r.home_path.clear();
      }
    }
  }
  Plan reg;
  reg.items.push_back(plan_registry_write(config, registry));
  report.merge(apply_plan(reg, dry_run));
  return report;
}

}  // namespace aicactl::core
