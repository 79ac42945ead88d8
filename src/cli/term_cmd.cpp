// SPDX-License-Identifier: Apache-2.0
// aicactl term close: snapshot, verify, then purge the expired users of a term; backup list, prune
// and restore.
#include "aicactl/cli/term_cmd.hpp"

#include <ctime>
#include <iomanip>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "aicactl/cli/render.hpp"
#include "aicactl/core/lifecycle/backup.hpp"
#include "aicactl/core/lifecycle/clock.hpp"
#include "aicactl/core/lifecycle/term.hpp"
#include "aicactl/core/ops/disk.hpp"
#include "aicactl/core/ops/restore.hpp"
#include "aicactl/core/plan/errors.hpp"
#include "aicactl/core/users/registry.hpp"
#include "aicactl/core/users/users.hpp"
#include "aicactl/os/lock.hpp"
#include "aicactl/os/text.hpp"

namespace aicactl::cli {
namespace {

struct CloseOptions {
  std::string term;
  std::string users;  // a,b
  bool yes = false;
};

std::vector<std::string> split_names(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream in(list);
  for (std::string name; std::getline(in, name, ',');) {
    if (!name.empty()) {
      out.push_back(name);
    }
  }
  return out;
}

// Without --yes only a dry run goes ahead: exit 64 with what the command would do.
void require_yes(const GlobalOptions& options, bool yes, const std::string& what) {
  if (!yes && !options.dry_run) {
    throw core::Error(core::ExitCode::usage, what + "; add --yes to confirm (or --dry-run to see what it would do)");
  }
}

// The steps before a plan: root, the config on the data volume, the lock, the registry.
struct Mutation {
  core::Config config;
  std::optional<os::ProcessLock> lock;
  core::Registry registry;
};
Mutation begin(const GlobalOptions& options, const std::string& command) {
  require_root(options, command);
  Mutation m{load_data_config(options, command), std::nullopt, {}};
  m.lock = begin_mutation(options, m.config, command);
  m.registry = core::load_registry(m.config.under_root(core::kRegistryFile));
  return m;
}

int run_close(const GlobalOptions& options, const CloseOptions& o) {
  if (auto why = core::term_name_problem(o.term); !why.empty()) {
    throw core::Error(core::ExitCode::bad_data, "Invalid term name '" + o.term + "': " + why);
  }
  const std::vector<std::string> names = split_names(o.users);
  for (const auto& n : names) {
    core::validate_user_name(n);
  }
  require_yes(options, o.yes, "term close deletes the homes and accounts of the term's users after backing them up");
  Mutation m = begin(options, "term close");
  const core::TermClosePlan plan = core::plan_term_close(m.config, m.registry, o.term, names,
                                                         core::date_of_day(core::lifecycle_today()), core::utc_now());
  core::TermCloseResult result = core::run_term_close(m.config, m.registry, plan, options.dry());
  if (plan.users.empty()) {
    result.report.notes.emplace_back("No expired users to close (name them with --users)");
  } else {
    std::string who;
    for (const auto& u : plan.users) {
      who += (who.empty() ? "" : ", ") + u;
    }
    result.report.notes.push_back("Term '" + o.term + "' (" + core::to_string(plan.kind) + " backup in '" +
                                  plan.term_dir + "'): " + who);
  }
  render_report(options, "term close", result.report);
  if (result.backup_failed) {
    return static_cast<int>(core::ExitCode::failure);
  }
  return static_cast<int>(result.report.failed > 0 ? core::ExitCode::partial : core::ExitCode::ok);
}

std::string iso_time(std::int64_t t) {
  const std::time_t tt = t;
  std::tm tm{};
  gmtime_r(&tt, &tm);
  std::ostringstream out;
  out << std::put_time(&tm, "%Y-%m-%dT%H:%M:%SZ");
  return out.str();
}

int run_backup_list(const GlobalOptions& options) {
  require_root(options, "backup list");
  const core::Config config = load_data_config(options, "backup list");
  const core::Registry registry = core::load_registry(config.under_root(core::kRegistryFile));
  const std::vector<core::TermBackup> backups = core::list_backups(config, registry);
  if (options.json) {
    nlohmann::json terms = nlohmann::json::array();
    for (const auto& b : backups) {
      terms.push_back({{"term", b.term},
                       {"path", b.path},
                       {"kind", core::to_string(b.kind)},
                       {"users", b.users},
                       {"bytes", b.bytes},
                       {"date", iso_time(b.mtime)}});
    }
    std::cout << nlohmann::json{{"command", "backup list"}, {"terms", terms}}.dump(2) << "\n";
    return 0;
  }
  if (backups.empty()) {
    std::cout << "No term backups in '" << config.under_root(config.lifecycle.backup_dir) << "'\n";
  }
  for (const auto& b : backups) {
    std::string users;
    for (const auto& u : b.users) {
      users += (users.empty() ? "" : ",") + u;
    }
    std::cout << std::left << std::setw(16) << b.term << ' ' << std::setw(5) << core::to_string(b.kind) << ' '
              << std::right << std::setw(8) << os::human_size(b.bytes) << "  " << iso_time(b.mtime) << "  "
              << (users.empty() ? "-" : users) << "\n";
  }
  return 0;
}

struct PruneOptions {
  std::string keep = "2";
  bool yes = false;
};

int run_prune(const GlobalOptions& options, const PruneOptions& o) {
  const std::size_t keep = core::parse_keep_terms(o.keep);
  require_yes(options, o.yes, "backup prune deletes the older term backups for good");
  Mutation m = begin(options, "backup prune");
  const core::PrunePlan plan = core::plan_prune(m.config, core::list_backups(m.config, m.registry), keep);
  core::Report report = core::run_prune(m.config, m.registry, plan, options.dry());
  std::string terms;
  for (const auto& t : plan.terms) {
    terms += (terms.empty() ? "" : ", ") + t;
  }
  report.notes.push_back(plan.terms.empty()
                             ? "No term backups beyond the " + std::to_string(keep) + " newest"
                             : "Keeping the " + std::to_string(keep) + " newest terms; pruning: " + terms);
  render_report(options, "backup prune", report);
  return static_cast<int>(report.failed > 0 ? core::ExitCode::partial : core::ExitCode::ok);
}

struct RestoreOptions {
  std::string user;
  std::string term;
  std::string expires;  // YYYY-MM-DD or "never"
};

int run_restore(const GlobalOptions& options, const RestoreOptions& o) {
  Mutation m = begin(options, "backup restore");
  const core::RestorePlan plan =
      core::plan_restore(m.config, m.registry,
                         core::RestoreRequest{o.user, o.term, o.expires == "never" ? "" : o.expires}, core::utc_now());
  core::Report report = core::run_restore(m.config, m.registry, plan, options.dry());
  render_report(options, "backup restore", report);
  return static_cast<int>(report.failed > 0 ? core::ExitCode::partial : core::ExitCode::ok);
}

}  // namespace

void register_term(Registrar& r) {
  auto* term = r.app.add_subcommand("term", "The semester reclaim: back up, verify, then purge a term's users");
  term->require_subcommand(1);
  term->fallthrough();
  auto close = std::make_shared<CloseOptions>();
  auto* cmd = term->add_subcommand(
      "close",
      "For every expired user (or --users): a verified backup of the home (a read-only btrfs snapshot, else a "
      "tar.zst archive), then the home, [lifecycle] purge_paths and the account removed; the uid is never reused");
  cmd->add_option("name", close->term, "The term's name (letters, digits, '.', '_', '-'): /data/backup/NAME")
      ->required();
  cmd->add_option("--users", close->users,
                  "Only these users (a,b), also those [lifecycle] keep or admin groups protect");
  cmd->add_flag("--yes", close->yes, "Confirm (without it only --dry-run runs)");
  cmd->fallthrough();
  cmd->callback([&r, close] { r.set_handler([&o = r.options, close] { return run_close(o, *close); }); });

  auto* backup = r.app.add_subcommand("backup", "The term backups that term close made");
  backup->require_subcommand(1);
  backup->fallthrough();
  cmd = backup->add_subcommand("list", "Each term's backup: kind (btrfs or tar), size, date and users, oldest first");
  cmd->fallthrough();
  cmd->callback([&r] { r.set_handler([&o = r.options] { return run_backup_list(o); }); });

  auto prune = std::make_shared<PruneOptions>();
  cmd = backup->add_subcommand("prune", "Deletes every term backup but the N newest (--keep-terms, default 2)");
  cmd->add_option("--keep-terms", prune->keep, "How many of the newest terms to keep (1 or more; default 2)");
  cmd->add_flag("--yes", prune->yes, "Confirm (without it only --dry-run runs)");
  cmd->fallthrough();
  cmd->callback([&r, prune] { r.set_handler([&o = r.options, prune] { return run_prune(o, *prune); }); });

  auto restore = std::make_shared<RestoreOptions>();
  cmd = backup->add_subcommand("restore",
                               "Brings USER's home back from a term's backup into /data/users/USER (verified, owner "
                               "restored) and the account back with its recorded uid; never overwrites a home");
  cmd->add_option("user", restore->user, "The user whose home comes back")->required();
  cmd->add_option("--term", restore->term, "The term whose backup holds the home (see: aicactl backup list)")
      ->required();
  cmd->add_option("--expires", restore->expires,
                  "The restored account's expiry date (YYYY-MM-DD) or never (the default: no expiry)");
  cmd->fallthrough();
  cmd->callback([&r, restore] { r.set_handler([&o = r.options, restore] { return run_restore(o, *restore); }); });
}

}  // namespace aicactl::cli
