// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/users/removal.hpp"

#include <algorithm>
#include <utility>

#include "aicactl/core/users/users.hpp"
#include "aicactl/os/accounts.hpp"
#include "aicactl/os/fs.hpp"

namespace aicactl::core {

RemovalPlan plan_user_removal(const Config& config, const Registry& registry, const std::string& name,
                              HomeDisposition home, const std::string& now) {
  const std::string data_home = config.under_root("users/" + name);
  const std::string link = "/home/" + name;
  RemovalPlan out;
  RemovedUser& gone = out.gone;
  gone.name = name;
  gone.primary.name = name;
  gone.home = "none";
  gone.removed_at = now;
  if (const UserRecord* rec = registry.find(name)) {
    gone.uid = rec->uid;
    gone.primary = rec->primary;
  } else if (const auto account = os::find_user(name)) {
    gone.uid = account->uid;
    const auto group = os::find_group(account->gid);
    gone.primary = GroupRef{group ? group->name : name, account->gid};
  }
  auto add = [&out](const std::string& check, Action action) {
    out.plan.items.push_back(PlanItem{check, {std::move(action)}});
  };
  if (os::read_link(link) == data_home) {
    add("link '" + link + "'", RemoveLink{link, data_home});
  }
  if (os::find_user(name)) {
    add("account '" + name + "'", DeleteAccount{name});
  }
  if (auto st = os::lstat_path(data_home); st && *st && (*st)->is_dir()) {
    if (home == HomeDisposition::archive) {
      std::string day = now.substr(0, 10);  // YYYY-MM-DD -> YYYYMMDD, the archive's suffix
      std::erase(day, '-');
      const std::string archived = "archive/" + name + "-" + day;
      gone.home = "archived";
      gone.home_path = config.under_root(archived);
      add("home '" + data_home + "'", ArchiveHome{config.data_root, "users/" + name, archived});
    } else if (home == HomeDisposition::purge) {
      gone.home = "purged";
      add("home '" + data_home + "'", PurgeHome{config.under_root("users"), name});
    } else {
      gone.home = "kept";
      gone.home_path = data_home;
      out.plan.notes.push_back("Kept '" + data_home + "' (use --archive to move it to " + config.under_root("archive") +
                               ", or --purge --yes to delete it)");
    }
  }
  return out;
}

Report remove_user(const Config& config, Registry& registry, const std::string& name, HomeDisposition home,
                   DryRun dry_run) {
  RemovalPlan removal = plan_user_removal(config, registry, name, home, utc_now());
  Report report = apply_plan(removal.plan, dry_run);
  if (report.failed == 0) {
    (void)registry.remove(name);
    registry.retire(std::move(removal.gone));
    Plan reg;
    reg.items.push_back(plan_registry_write(config, registry));
    report.merge(apply_plan(reg, dry_run));
  }
  return report;
}

}  // namespace aicactl::core
