// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/lifecycle/docker.hpp"

#include "aicactl/core/lifecycle/subids.hpp"
#include "aicactl/core/users/users.hpp"
#include "aicactl/os/fs.hpp"
#include "aicactl/os/process.hpp"

namespace aicactl::core {
namespace {

bool logind_runs() {
  auto seats = os::lstat_path("/run/systemd/seats");
  return seats && *seats && (*seats)->is_dir() && !os::find_program("loginctl").empty();
}

}  // namespace

Report enable_docker(const Config& config, Registry& registry, const UserRecord& record, const os::UserInfo& account,
                     DryRun dry_run) {
  const os::SubIdRange range = choose_subid_range(registry, record, account.uid);
  UserRecord changed = record;
  changed.subid_start = range.start;
  changed.subid_count = range.count;
  Registry after = registry;
  after.put(changed);
  Plan plan;
  plan.items = plan_subids(after, "/etc", record.name);
  if (after.users != registry.users) {
    plan.items.push_back(plan_registry_write(config, after));
  }
  Report report = apply_plan(plan, dry_run);
  if (report.failed == 0) {
    registry = std::move(after);
  }
  const std::string linger = "/var/lib/systemd/linger/" + record.name;
  auto lingering = os::lstat_path(linger);
  if (logind_runs() && lingering && !*lingering) {
    ActionReport a{"enable-linger", record.name,
                   (dry_run == DryRun::yes ? "Would let '" : "Let '") + record.name +
                       "''s services run without a login (loginctl enable-linger)",
                   Status::planned, ""};
    if (dry_run == DryRun::no) {
      auto r = os::run_program({"loginctl", "enable-linger", record.name});
      a.status = r && r->exit_code == 0 ? Status::changed : Status::failed;
      a.error = r ? r->err : r.error().message();
      ++(a.status == Status::changed ? report.changed : report.failed);
    }
    report.actions.push_back(std::move(a));
  }
  report.notes.push_back("'" + record.name + "''s sub-id range: " + std::to_string(range.start) + "-" +
                         std::to_string(range.end() - 1) + " (" + std::to_string(range.count) + " ids)");
  return report;
}

Report disable_docker(const Config& config, Registry& registry, const UserRecord& record, const os::UserInfo& account,
                      DryRun dry_run) {
  UserRecord changed = record;
  changed.subid_start = 0;
  changed.subid_count = 0;
  Registry after = registry;
  after.put(changed);
  Plan plan;
  plan.items = plan_subid_removal(record.name, account.uid);
  if (after.users != registry.users) {
    plan.items.push_back(plan_registry_write(config, after));
  }
  Report report = apply_plan(plan, dry_run);
  if (report.failed == 0) {
    registry = std::move(after);
  }
  return report;
}

}  // namespace aicactl::core
