// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/users/account_batch.hpp"

#include <ctime>
#include <map>
#include <set>

#include "aicactl/core/users/users.hpp"
#include "aicactl/os/accounts.hpp"

namespace aicactl::core {

std::optional<long> epoch_day(const std::string& date) {
  std::tm tm{};
  if (date.size() != 10 || ::strptime(date.c_str(), "%Y-%m-%d", &tm) == nullptr) {
    return std::nullopt;
  }
  constexpr long kSecondsPerDay = 86400;
  return static_cast<long>(::timegm(&tm) / kSecondsPerDay);
}

os::AccountBatch plan_account_batch(const Config& config, const Registry& registry) {
  os::AccountBatch batch;
  const std::map<std::string, gid_t> wanted = registry.groups();
  std::set<gid_t> restorable_gids;
  for (const auto& [name, gid] : wanted) {
    if (auto by_name = os::find_group(name)) {
      if (by_name->gid == gid) {
        restorable_gids.insert(gid);
      }
    } else if (!os::find_group(gid)) {
      batch.groups.push_back(os::NewGroup{name, gid});
      restorable_gids.insert(gid);
    }
  }
  for (const auto& rec : registry.users) {
    if (os::find_user(rec.name) || os::find_user(rec.uid) || !restorable_gids.contains(rec.primary.gid)) {
      continue;  // present, or a conflict that the per-user plan reports
    }
    const UserSpec spec = user_spec(config, rec, AccountPolicy::restore);
    auto expire = rec.expires.empty() ? std::nullopt : epoch_day(rec.expires);
    if (!rec.expires.empty() && !expire) {
      continue;  // the per-user plan passes it to useradd, which names the problem
    }
    batch.accounts.push_back(os::NewAccount{rec.name, rec.uid, rec.primary.gid, spec.link, rec.shell, expire});
    for (const auto& g : rec.groups) {
      if (restorable_gids.contains(g.gid)) {
        batch.memberships.emplace_back(g.name, rec.name);
      }
    }
  }
  return batch;
}

Report restore_accounts(const os::AccountBatch& batch, const std::string& etc_dir) {
  Report report;
  if (batch.groups.empty() && batch.accounts.empty() && batch.memberships.empty()) {
    return report;
  }
  const long today = static_cast<long>(std::time(nullptr) / 86400);
  auto outcome = os::apply_account_batch(batch, etc_dir, today);
  if (!outcome) {
    report.notes.push_back("Restoring the accounts in one batch failed (" + outcome.error().message() +
                           "); going on one account at a time");
    return report;
  }
  auto changed = [&](const char* kind, const std::string& target, const std::string& description) {
    report.actions.push_back(ActionReport{kind, target, description, Status::changed, ""});
    ++report.changed;
  };
  std::map<std::string, gid_t> gids;
  for (const auto& g : batch.groups) {
    gids.emplace(g.name, g.gid);
  }
  for (const auto& name : outcome->groups_created) {
    changed("create-group", name, "Created group '" + name + "' (gid " + std::to_string(gids[name]) + ")");
  }
  std::map<std::string, uid_t> uids;
  for (const auto& a : batch.accounts) {
    uids.emplace(a.name, a.uid);
  }
  for (const auto& name : outcome->accounts_created) {
    changed("create-account", name, "Created account '" + name + "' (uid " + std::to_string(uids[name]) + ")");
  }
  for (const auto& [group, user] : outcome->memberships_added) {
    changed("add-to-group", user, "Added '" + user + "' to group '" + group + "'");
  }
  for (const auto& what : outcome->completed) {
    changed("complete-account", what, "Completed the half-written " + what);
  }
  for (const auto& [name, reason] : outcome->refused) {
    report.notes.push_back("Not restored in the batch: '" + name + "': " + reason);
  }
  return report;
}

}  // namespace aicactl::core
