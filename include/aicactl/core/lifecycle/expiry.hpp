// SPDX-License-Identifier: Apache-2.0
// `user expire` (daily from cron): notices before an account's expiry date, then at the date the
// account is revoked (sharing group and [lifecycle] revoke_groups left, password locked, shadow
// expiry set) and every process of the user and of their rootless-Docker sub-id range ended.
// Notices sent are recorded on the data volume, so re-runs and a re-image never repeat one.
#pragma once

#include <array>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "aicactl/core/plan/plan.hpp"
#include "aicactl/core/setup/config.hpp"
#include "aicactl/core/users/registry.hpp"
#include "aicactl/os/accounts.hpp"

namespace aicactl::core {

inline constexpr std::string_view kNoticesFile = "system/state/expiry-notices";
// The login line: aicactl owns this file and rewrites it on every run.
inline constexpr std::string_view kExpiryProfileFile = "/etc/profile.d/aicactl-expiry.sh";
// Groups whose members `user expire` never touches unless named (admins).
inline constexpr std::array<std::string_view, 3> kAdminGroups = {"sudo", "wheel", "admin"};

// Notices sent, one "USER EXPIRES DAYS" key each (a new expiry date gets new notices).
struct NoticeLog {
  std::set<std::string> sent;
};
[[nodiscard]] NoticeLog parse_notice_log(std::string_view text);
[[nodiscard]] std::string render_notice_log(const NoticeLog& log);
[[nodiscard]] std::string notice_key(const UserRecord& record, int days);

// Why `user expire` leaves a user alone ("" when it may act): uid < 1000, root, a member of an
// admin group, or in [lifecycle] keep. Named users are acted on all the same (but never root or
// uid < 1000).
[[nodiscard]] std::string protection(const LifecycleConfig& config, const UserRecord& record,
                                     const std::optional<os::UserInfo>& account, bool named);

// The notice days (of `notice_days`) due `days_left` before expiry and not yet in `log`: every
// configured day >= days_left (a missed run catches up with one notice, not several).
[[nodiscard]] std::vector<int> due_notices(const std::vector<int>& notice_days, const UserRecord& record,
                                           long days_left, const NoticeLog& log);

// The login line file for users whose expiry is `notice_window` days away or less (name, date).
[[nodiscard]] std::string render_expiry_profile(const std::vector<std::pair<std::string, std::string>>& soon);

struct ExpireOptions {
  std::vector<std::string> names;  // empty: every registered user
  DryRun dry_run = DryRun::no;
};

// The whole run: notices, then expiry, with one ActionReport per step (kinds notice-mail,
// notice-tty, notice-login, revoke-group, lock-password, expire-account, end-sessions).
[[nodiscard]] Report run_user_expire(const Config& config, const Registry& registry, const ExpireOptions& options);

}  // namespace aicactl::core
