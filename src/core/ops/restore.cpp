// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/ops/restore.hpp"

#include <charconv>
#include <optional>
#include <utility>

#include "aicactl/core/lifecycle/term.hpp"
#include "aicactl/core/ops/user_changes.hpp"
#include "aicactl/core/plan/errors.hpp"
#include "aicactl/core/users/users.hpp"
#include "aicactl/os/accounts.hpp"
#include "aicactl/os/btrfs.hpp"
#include "aicactl/os/fs.hpp"
#include "aicactl/os/process.hpp"
#include "aicactl/os/text.hpp"

namespace aicactl::core {
namespace {

[[noreturn]] void bad(const std::string& message) {
  throw Error(ExitCode::bad_data, message);
}

std::string run_or_bad(const std::vector<std::string>& argv, const std::string& about) {
  auto r = os::run_program(argv);
  if (!r || r->exit_code != 0) {
    bad("Cannot read '" + about + "' (" + (r ? std::string(os::trim(r->err)) : r.error().message()) + ")");
  }
  return r->out;
}

bool is_dir_at(int dirfd, const std::string& name) {
  auto st = os::stat_at(dirfd, name.c_str());
  return st && st->is_dir();
}

// The archive's sha256 against the one term close wrote beside it.
void check_archive(const std::string& archive) {
  auto recorded = os::read_file(archive + ".sha256");
  if (!recorded || !recorded->has_value() || (*recorded)->size() < 64) {
    bad("The archive '" + archive + "' has no readable '" + archive + ".sha256': refusing to restore from it");
  }
  const std::string sum = run_or_bad({"sha256sum", "--", archive}, archive);
  if (sum.size() < 64 || sum.compare(0, 64, **recorded, 0, 64) != 0) {
    bad("The archive '" + archive + "' does not match its sha256 ('" + archive +
        ".sha256'): it is damaged; refusing to restore from it");
  }
}

void check_home_free(const std::string& home) {
  auto st = os::lstat_path(home);
  if (!st) {
    bad("Cannot inspect '" + home + "': " + st.error().message());
  }
  if (!*st) {
    return;
  }
  if (!(*st)->is_dir()) {
    bad("'" + home + "' exists and is not a directory: backup restore refuses to overwrite it");
  }
  auto fd = os::open_dir(home);
  auto names = fd ? os::list_dir(fd->get(), home) : std::unexpected(fd.error());
  if (!names || !names->empty()) {
    bad("'" + home + "' exists and is not empty: backup restore refuses to overwrite it (move it away first)");
  }
}

const RemovedUser* removed_row(const Registry& registry, const std::string& user, const std::string& term) {
  const RemovedUser* any = nullptr;
  const RemovedUser* of_term = nullptr;
  for (const auto& r : registry.removed) {
    if (r.name == user) {
      any = &r;
      of_term = r.term == term ? &r : of_term;
    }
  }
  return of_term != nullptr ? of_term : any;
}

// Where the backup of the user is in the term folder, and who owns its files.
void find_source(const Config& config, const Registry& registry, const RestoreRequest& req, RestoreHome& copy) {
  const std::string term_dir = config.under_root(config.lifecycle.backup_dir + "/" + req.term);
  const RemovedUser* row = removed_row(registry, req.user, req.term);
  const bool pruned = row != nullptr && row->term == req.term && row->home == "purged";
  auto term = os::open_dir(term_dir);
  if (!term || pruned) {
    if (pruned) {
      bad("The backup of '" + req.user + "' from term '" + req.term + "' is gone (deleted by backup prune)");
    }
    bad("No backup of term '" + req.term + "' in '" + term_dir + "' (see: aicactl backup list)");
  }
  const std::string archive = req.user + ".tar.zst";
  if (auto sub = os::open_dir_at(term->get(), req.user.c_str(), term_dir);
      sub && os::is_subvolume(sub->get()).value_or(false)) {
    copy.source = RestoreSource::home_snapshot;
    copy.from = os::join_path(term_dir, req.user);
  } else if (auto users = os::open_dir_at(term->get(), "users", term_dir); users && is_dir_at(users->get(), req.user)) {
    copy.source = RestoreSource::users_snapshot;
    copy.from = os::join_path(term_dir, "users/" + req.user);
  } else if (auto st = os::stat_at(term->get(), archive.c_str()); st && st->is_regular()) {
    copy.source = RestoreSource::tar;
    copy.from = os::join_path(term_dir, archive);
    check_archive(copy.from);
    const std::string listing =
        run_or_bad({"tar", "--list", "--verbose", "--numeric-owner", "--zstd", "--file", copy.from}, copy.from);
    const auto owner = archive_owner(listing.substr(0, listing.find('\n')));
    if (!owner) {
      bad("The archive '" + copy.from + "' does not start with the home '" + req.user + "/'");
    }
    copy.from_uid = owner->first;
    copy.from_gid = owner->second;
    return;
  } else {
    bad("Term '" + req.term + "' holds no backup of '" + req.user + "' (see: aicactl backup list)");
  }
  auto root = os::lstat_path(copy.from);
  if (!root || !*root || !(*root)->is_dir()) {
    bad("Cannot read the backup '" + copy.from + "'");
  }
  copy.from_uid = (*root)->uid;
  copy.from_gid = (*root)->gid;
}

}  // namespace

std::optional<std::pair<uid_t, gid_t>> archive_owner(const std::string& line) {
  // "drwx------ 1001/1001         0 2026-11-30 23:10 alice/"
  const std::size_t start = line.find(' ');
  if (start == std::string::npos) {
    return std::nullopt;
  }
  const std::size_t from = line.find_first_not_of(' ', start);
  const std::size_t slash = line.find('/', from);
  const std::size_t end = line.find(' ', from);
  if (from == std::string::npos || slash == std::string::npos || end == std::string::npos || slash > end) {
    return std::nullopt;
  }
  uid_t uid = 0;
  gid_t gid = 0;
  const char* p = line.data();
  auto u = std::from_chars(p + from, p + slash, uid);
  auto g = std::from_chars(p + slash + 1, p + end, gid);
  if (u.ec != std::errc{} || u.ptr != p + slash || g.ec != std::errc{} || g.ptr != p + end) {
    return std::nullopt;
  }
  return std::pair{uid, gid};
}

RestorePlan plan_restore(const Config& config, const Registry& registry, const RestoreRequest& req,
                         const std::string& now) {
  if (auto why = term_name_problem(req.term); !why.empty()) {
    bad("Invalid term name '" + req.term + "': " + why);
  }
  validate_user_name(req.user);
  if (auto why = date_problem(req.expires); !req.expires.empty() && !why.empty()) {
    bad("Invalid --expires '" + req.expires + "': " + why);
  }
  RestorePlan out;
  out.copy.users_dir = config.under_root("users");
  out.copy.user = req.user;
  find_source(config, registry, req, out.copy);
  check_home_free(os::join_path(out.copy.users_dir, req.user));

  const auto account = os::find_user(req.user);
  if (const UserRecord* rec = registry.find(req.user)) {
    out.record = *rec;
    out.copy.to_uid = account ? account->uid : rec->uid;
    out.copy.to_gid = account ? account->gid : rec->primary.gid;
  } else {
    const RemovedUser* row = removed_row(registry, req.user, req.term);
    if (row == nullptr) {
      bad("'" + req.user +
          "' is neither registered nor a removed user in the registry: add the account first (aicactl "
          "user add " +
          req.user + "), then restore");
    }
    if (account) {
      bad("'" + req.user + "' has an account but is not registered: register it first (aicactl user add " + req.user +
          "), then restore");
    }
    if (auto holder = os::find_user(row->uid)) {
      bad("The uid " + std::to_string(row->uid) + " of '" + req.user + "' belongs to '" + holder->name +
          "' now: backup restore cannot give it back");
    }
    const auto group = os::find_group(config.group);
    if (!group) {
      bad("The group '" + config.group + "' does not exist (run: aicactl setup)");
    }
    out.reregister = true;
    out.record.name = req.user;
    out.record.uid = row->uid;
    out.record.primary = row->primary;
    out.record.groups = {GroupRef{config.group, group->gid}};
    out.record.created_at = now;
    out.copy.to_uid = row->uid;
    out.copy.to_gid = row->primary.gid;
  }
  if (!req.expires.empty()) {
    out.record.expires = req.expires;
  }
  return out;
}

Report run_restore(const Config& config, Registry& registry, const RestorePlan& plan, DryRun dry_run) {
  Plan home;
  home.items.push_back(PlanItem{"home '" + os::join_path(plan.copy.users_dir, plan.copy.user) + "'", {plan.copy}});
  Report report = apply_plan(home, dry_run);
  if (report.failed > 0) {
    report.notes.emplace_back("Nothing else was changed: the home could not be restored");
    return report;
  }
  registry.put(plan.record);
  Plan reg;
  reg.items.push_back(plan_registry_write(config, registry));
  report.merge(apply_plan(reg, dry_run));
  if (dry_run == DryRun::yes) {
    // The account's plan depends on the home being there: described, not planned.
    report.actions.push_back(ActionReport{"repair-user", plan.record.name,
                                          "Would create or complete the account '" + plan.record.name + "' (uid " +
                                              std::to_string(plan.record.uid) + ") as user repair does",
                                          Status::planned, ""});
    return report;
  }
  report.merge(repair_users(config, registry, {plan.record}, dry_run));
  return report;
}

}  // namespace aicactl::core
