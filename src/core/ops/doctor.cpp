// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/ops/doctor.hpp"

#include <algorithm>
#include <set>

#include "aicactl/core/setup/volume.hpp"
#include "aicactl/core/users/quota.hpp"
#include "aicactl/core/users/users.hpp"
#include "aicactl/os/fs.hpp"
#include "aicactl/os/passwd_db.hpp"
#include "aicactl/os/text.hpp"

namespace aicactl::core {
namespace {

Check lock_dir_check(const Config& config) {
  Check check{"lock directory '" + config.lock_dir + "' is root-only", true, ""};
  auto info = os::lstat_path(config.lock_dir);
  if (!info) {
    return Check{check.name, false, info.error().message()};
  }
  if (!*info) {
    check.detail = "not created yet (made by the first mutating command)";
    return check;
  }
  const auto& st = **info;
  if (!st.is_dir() || st.uid != 0 || (st.perms() & 077U) != 0U) {
    check.ok = false;
    check.detail = "must be a directory owned by root with mode 0700";
  }
  return check;
}

// Every local account with its shadow entry and every local group with its gshadow entry: what
// an interrupted useradd/groupadd breaks (also for accounts aicactl never registered).
Check account_files_check() {
  Check check{
      "every account in /etc/passwd has its /etc/shadow entry, every group in /etc/group its /etc/gshadow entry", true,
      ""};
  auto local = os::read_local_accounts("/etc");
  if (!local) {
    return Check{check.name, false, local.error().message()};
  }
  auto lacking = [&](const std::set<std::string>& names, const std::set<std::string>& shadow, const char* what) {
    for (const auto& name : names) {
      if (!shadow.contains(name)) {
        check.ok = false;
        check.detail += (check.detail.empty() ? "" : "; ") + ("'" + name + "' has no " + what + " entry");
      }
    }
  };
  if (local->has_shadow) {
    lacking(local->passwd, local->shadow, "/etc/shadow");
  }
  if (local->has_gshadow) {
    lacking(local->group, local->gshadow, "/etc/gshadow");
  }
  return check;
}

}  // namespace

Check volume_check(const Config& config) {
  const VolumeVerdict verdict = check_volume(config, VolumeUse::existing);
  return Check{"'" + config.data_root + "' is a mounted file system carrying the aicactl volume stamp",
               verdict.problem.empty(), verdict.problem};
}

std::vector<std::string> user_notes(const Config& config, const Registry& registry, std::string_view today) {
  std::vector<std::string> notes;
  for (const auto& u : registry.users) {
    if (is_expired(u, today)) {
      notes.push_back("User '" + u.name + "' expired on " + u.expires +
                      ": the account can no longer log in (extend it with 'usermod -e', or remove the user)");
    }
  }
  for (const auto& orphan : orphaned_homes(config, registry)) {
    notes.push_back(describe(orphan));
  }
  return notes;
}

bool DoctorReport::ok() const {
  return std::all_of(checks.begin(), checks.end(), [](const Check& c) { return c.ok; });
}

DoctorReport run_doctor(const Config& config, const ServerSpec& spec, const ServerState& state) {
  DoctorReport report;
  const Plan plan = plan_setup(spec, state);
  report.notes = plan.notes;
  for (const auto& item : plan.items) {
    Check check{item.check, item.ok(), ""};
    for (const auto& action : item.actions) {
      if (!check.detail.empty()) {
        check.detail += "; ";
      }
      check.detail += describe(action, Tense::future);
    }
    report.checks.push_back(std::move(check));
  }
  for (const auto& file : spec.files) {
    if (!file.trusted_path.empty()) {
      const std::string why = trust_problem(spec, state, file.trusted_path, TrustView::current);
      report.checks.push_back(Check{"'" + file.trusted_path + "' (run by the sudo rule '" + file.path +
                                        "') and every directory above it are root-owned and not group/other-writable",
                                    why.empty(), why});
    }
  }
  report.checks.push_back(lock_dir_check(config));
  report.checks.push_back(account_files_check());
  return report;
}

std::vector<Check> account_checks(const Config& config, const Registry& registry) {
  std::vector<Check> checks;
  for (const auto& rec : registry.users) {
    const UserSpec spec = user_spec(config, rec, AccountPolicy::restore);
    const auto items = plan_user(spec, inspect_user(spec));
    Check check{"account '" + rec.name + "' is whole (passwd, shadow, groups, gshadow, memberships)", true, ""};
    // The first two items are the groups and the account (users.hpp): what `user repair` would do.
    for (std::size_t i = 0; i < items.size() && i < 2; ++i) {
      for (const auto& action : items[i].actions) {
        check.ok = false;
        check.detail += (check.detail.empty() ? "" : "; ") + describe(action, Tense::future);
      }
    }
    checks.push_back(std::move(check));
  }
  return checks;
}

QuotaFindings quota_checks(const Config& config, const Registry& registry) {
  QuotaFindings out;
  for (const auto& rec : registry.users) {
    const std::string home = config.under_root("users/" + rec.name);
    const HomeQuota q = inspect_home_quota(home);
    if (rec.quota != 0) {
      Check check{"home of '" + rec.name + "' has its quota of " + os::human_size(rec.quota), true, ""};
      if (!q.problem.empty()) {
        check.detail = q.problem;
      } else if (!q.subvolume) {
        check.detail = "'" + home + "' is not a btrfs subvolume";
      } else if (!q.enabled) {
        check.detail = "quotas are off on '" + config.data_root + "' (aicactl user repair " + rec.name + ")";
      } else if (q.limit != rec.quota) {
        check.detail = (q.limit == 0 ? std::string("no limit is set") : "the limit is " + os::human_size(q.limit)) +
                       " (aicactl user repair " + rec.name + ")";
      }
      check.ok = check.detail.empty();
      out.checks.push_back(std::move(check));
    }
    if (const int pct = quota_percent(q.referenced, q.limit); q.limit != 0 && pct > kQuotaAlertPercent) {
      out.warnings.push_back("User '" + rec.name + "' uses " + std::to_string(pct) + "% of their quota (" +
                             os::human_size(q.referenced) + " of " + os::human_size(q.limit) + ")");
    }
  }
  return out;
}

bool account_is_whole(const Config& config, const UserRecord& record) {
  Registry one;
  one.users.push_back(record);
  return account_checks(config, one).front().ok;
}

}  // namespace aicactl::core
