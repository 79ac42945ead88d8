// SPDX-License-Identifier: Apache-2.0
// `user set`: a registered user's expiry date, mail address and term, in the registry and (the
// expiry) on the account's shadow entry, as `chage -E` sets it, so logins stop at the date even
// when aicactl's cron never runs.
#pragma once

#include <string>

#include "aicactl/core/plan/plan.hpp"
#include "aicactl/core/setup/config.hpp"
#include "aicactl/core/users/registry.hpp"

namespace aicactl::core {

// "" when valid. `expires`: "" (unchanged), "never", or a date YYYY-MM-DD not before `today`
// (days since the epoch).
[[nodiscard]] std::string expiry_problem(const std::string& expires, long today);
// "" (unchanged), "none", or one plain address local@domain.
[[nodiscard]] std::string email_problem(const std::string& email);
// "" (unchanged), "none", or letters, digits, '.', '_' and '-' (at most 64).
[[nodiscard]] std::string term_problem(const std::string& term);

struct UserSettings {
  std::string expires;
  std::string email;
  std::string term;
  std::string quota{};  // SIZE (core/users/quota's parse_size), "none", or "" (unchanged)
};
// `record` with the given settings applied ("" keeps a field, "never"/"none" clears it).
[[nodiscard]] UserRecord with_settings(const UserRecord& record, const UserSettings& settings);

// The shadow expiry of the account when it differs from `record.expires` (chage -E), the home's
// qgroup limit when it differs from `record.quota` (lifted for 0), then the registry with
// `record` in it (not written when the limit could not be set).
[[nodiscard]] Report apply_user_settings(const Config& config, Registry& registry, const UserRecord& record,
                                         DryRun dry_run);

}  // namespace aicactl::core
