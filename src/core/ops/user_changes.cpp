// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/ops/user_changes.hpp"

#include <algorithm>
#include <utility>

#include "aicactl/core/cache/repair.hpp"
#include "aicactl/core/lifecycle/subids.hpp"
#include "aicactl/core/plan/errors.hpp"
#include "aicactl/core/plan/user_actions.hpp"
#include "aicactl/core/users/users.hpp"
#include "aicactl/os/accounts.hpp"
#include "aicactl/os/fs.hpp"

namespace aicactl::core {
namespace {

// The sharing group, the groups the registry already has for the user, and the new ones.
std::vector<std::string> wanted_groups(const Config& config, const std::vector<std::string>& extra,
                                       const UserRecord* previous) {
  std::vector<std::string> all = extra;
  if (previous != nullptr) {
    for (const auto& g : previous->groups) {
      all.push_back(g.name);
    }
  }
  std::vector<std::string> groups = {config.group};
  for (const auto& g : all) {
    if (std::ranges::find(groups, g) == groups.end()) {
      groups.push_back(g);
    }
  }
  return groups;
}

// A new account's uid (and, through useradd -U, its own group's gid): the lowest id that neither
// an account, a group, a registry row (removed users too) nor a file owner under
// <data_root>/users holds.
uid_t new_account_id(const Config& config, const Registry& registry) {
  const auto id = pick_new_id(
      reserved_ids(config, registry), [](uid_t u) { return os::find_user(u).has_value(); },
      [](gid_t g) { return os::find_group(g).has_value(); });
  if (!id) {
    throw Error(ExitCode::failure, "No free uid and gid left between 1000 and 60000");
  }
  return *id;
}

Report apply_with_progress(const Plan& plan, DryRun dry_run, os::WalkProgress* progress) {
  const HomeCopyProgress copy_progress(progress);
  return apply_plan(plan, dry_run);
}

// The home's entries given back to its account, as one report line (none when all were right).
void repair_home(const UserSpec& spec, DryRun dry_run, Report& report, std::vector<std::string>& notes) {
  const auto account = os::find_user(spec.record.name);
  const auto home = os::lstat_path(spec.data_home);
  if (!account || !home || !*home || !(*home)->is_dir() || (*home)->uid != account->uid) {
    return;
  }
  const RepairResult t = repair_home_tree(spec.data_home, account->uid, account->gid, dry_run);
  const bool dry = dry_run == DryRun::yes;
  if (t.changed > 0 || !t.errors.empty()) {
    const std::string what = std::to_string(t.changed) + " entries of '" + t.root + "' to " + spec.record.name;
    ActionReport a{"repair-home", t.root, (dry ? "Would give " : "Gave ") + what,
                   dry ? Status::planned : Status::changed, ""};
    if (!t.errors.empty()) {
      a.status = Status::failed;
      a.error = t.errors.front();
      ++report.failed;
    } else if (!dry) {
      ++report.changed;
    }
    report.actions.push_back(std::move(a));
  } else {
    ++report.ok;
  }
  for (const auto& s : t.skipped) {
    notes.push_back("Skipped '" + s + "': a hard link to a file the user does not own");
  }
  for (const auto& s : t.special) {
    notes.push_back("Left '" + s + "' alone: a device, socket or FIFO is never given to the user");
  }
}

}  // namespace

Report add_user(const Config& config, Registry& registry, const AddUserRequest& request, DryRun dry_run,
                os::WalkProgress* progress) {
  UserRecord record;
  record.name = request.name;
  record.shell = request.shell;
  record.expires = request.expires;
  const UserRecord* previous = registry.find(request.name);
  record.quota = request.quota != 0 ? request.quota : (previous != nullptr ? previous->quota : 0);
  const std::vector<std::string> groups = wanted_groups(config, request.groups, registry.find(request.name));
  for (const auto& g : groups) {
    record.groups.push_back(GroupRef{g, 0});
  }
  UserSpec spec = user_spec(config, record, AccountPolicy::create_new);
  spec.want_uid = request.uid;
  if (!request.uid && !os::find_user(request.name)) {
    spec.want_uid = new_account_id(config, registry);
  }
  spec.force_link = request.replace_link;
  spec.convert_home = request.quota != 0;
  Plan plan;
  plan.items = plan_user(spec, inspect_user(spec));
  Report report = apply_with_progress(plan, dry_run, progress);
  if (report.failed > 0) {
    return report;
  }
  auto full = record_of_account(request.name, groups, registry.find(request.name));
  if (!full) {  // a dry run for a new account: it does not exist yet
    if (dry_run == DryRun::yes) {
      report.actions.push_back(ActionReport{
          "register", request.name,
          "Would register '" + request.name + "' in '" + config.under_root(kRegistryFile) + "'", Status::planned, ""});
    }
    return report;
  }
  if (!request.expires.empty()) {
    full->expires = request.expires;
  }
  if (!request.email.empty()) {
    full->email = request.email;
  }
  if (request.quota != 0) {
    full->quota = request.quota;
  }
  registry.put(*full);
  Plan reg;
  reg.items = plan_subids(registry, "/etc", request.name);  // a half-written account's sub-id lines
  reg.items.push_back(plan_registry_write(config, registry));
  report.merge(apply_plan(reg, dry_run));
  return report;
}

Report repair_users(const Config& config, const Registry& registry, const std::vector<UserRecord>& users,
                    DryRun dry_run, os::WalkProgress* progress) {
  Report report;
  std::vector<std::string> notes;
  for (const auto& rec : users) {
    const UserSpec spec = user_spec(config, rec, AccountPolicy::restore);
    Plan plan;
    plan.items = plan_user(spec, inspect_user(spec));
    for (auto& item : plan_subids(registry, "/etc", rec.name)) {  // a half-written account's sub-id lines
      plan.items.push_back(std::move(item));
    }
    report.merge(apply_with_progress(plan, dry_run, progress));
    repair_home(spec, dry_run, report, notes);
  }
  report.notes.insert(report.notes.end(), notes.begin(), notes.end());
  return report;
}

}  // namespace aicactl::core
