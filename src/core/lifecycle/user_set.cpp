// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/lifecycle/user_set.hpp"

#include <algorithm>

#include "aicactl/core/lifecycle/clock.hpp"
#include "aicactl/core/users/account_batch.hpp"
#include "aicactl/core/users/quota.hpp"
#include "aicactl/core/users/users.hpp"
#include "aicactl/os/accounts.hpp"
#include "aicactl/os/process.hpp"
#include "aicactl/os/shadow.hpp"

namespace aicactl::core {

std::string expiry_problem(const std::string& expires, long today) {
  if (expires.empty() || expires == "never") {
    return "";
  }
  if (auto why = date_problem(expires); !why.empty()) {
    return why + " or 'never'";
  }
  const auto day = epoch_day(expires);
  if (!day) {
    return "is not a calendar date";
  }
  if (*day < today) {
    return "is in the past (today is " + date_of_day(today) + ")";
  }
  return "";
}

std::string email_problem(const std::string& email) {
  constexpr std::size_t kMaxEmail = 254;
  if (email.empty() || email == "none") {
    return "";
  }
  const auto at = email.find('@');
  const bool plain = std::all_of(email.begin(), email.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-' || c == '+' || c == '@';
  });
  if (!plain || at == std::string::npos || at == 0 || at + 1 == email.size() ||
      email.find('@', at + 1) != std::string::npos || email.size() > kMaxEmail || email.front() == '-') {
    return "must be one address local@domain (letters, digits and . _ - +)";
  }
  return "";
}

std::string term_problem(const std::string& term) {
  constexpr std::size_t kMaxTerm = 64;
  if (term.empty() || term == "none") {
    return "";
  }
  const bool plain = std::all_of(term.begin(), term.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
  });
  if (!plain || term.size() > kMaxTerm || term.front() == '.' || term.front() == '-') {
    return "must be letters, digits, '.', '_' and '-' (at most 64, not starting with '.' or '-')";
  }
  return "";
}

UserRecord with_settings(const UserRecord& record, const UserSettings& s) {
  UserRecord out = record;
  if (!s.expires.empty()) {
    out.expires = s.expires == "never" ? "" : s.expires;
  }
  if (!s.email.empty()) {
    out.email = s.email == "none" ? "" : s.email;
  }
  if (!s.term.empty()) {
    out.term = s.term == "none" ? "" : s.term;
  }
  if (!s.quota.empty()) {
    out.quota = s.quota == "none" ? 0 : parse_size(s.quota).value_or(record.quota);
  }
  return out;
}

Report apply_user_settings(const Config& config, Registry& registry, const UserRecord& record, DryRun dry_run) {
  Report report;
  const auto shadow = os::find_shadow(record.name);
  const std::optional<long> want = record.expires.empty() ? std::nullopt : epoch_day(record.expires);
  if (os::find_user(record.name) && shadow && shadow->expire_day != want) {
    const std::string what = record.expires.empty() ? "never expire" : "expire on " + record.expires;
    ActionReport a{
        "expire-account", record.name,
        (dry_run == DryRun::yes ? "Would set the account '" : "Set the account '") + record.name + "' to " + what,
        Status::planned, ""};
    if (dry_run == DryRun::no) {
      auto r = os::run_program({"chage", "-E", record.expires.empty() ? "-1" : record.expires, record.name});
      if (r && r->exit_code == 0) {
        a.status = Status::changed;
        ++report.changed;
      } else {
        a.status = Status::failed;
        a.error = r ? "chage: " + r->err : r.error().message();
        ++report.failed;
      }
    }
    report.actions.push_back(std::move(a));
  }
  const std::string home = config.under_root("users/" + record.name);
  const HomeQuota quota = inspect_home_quota(home);
  const bool convert = quota.exists && !quota.subvolume && record.quota != 0;  // see require_quota_support
  if (convert || (quota.subvolume && ((record.quota != 0 && (!quota.enabled || quota.limit != record.quota)) ||
                                      (record.quota == 0 && quota.limit != 0)))) {
    Plan limit;
    limit.items.push_back(PlanItem{"quota of '" + record.name + "'", {}});
    if (convert) {
      limit.items.back().actions.emplace_back(ConvertHome{home});
    }
    limit.items.back().actions.emplace_back(SetHomeQuota{home, record.quota});
    report.merge(apply_plan(limit, dry_run));
    if (report.failed > 0) {
      return report;
    }
  }
  registry.put(record);
  Plan plan;
  plan.items.push_back(plan_registry_write(config, registry));
  report.merge(apply_plan(plan, dry_run));
  return report;
}

}  // namespace aicactl::core
