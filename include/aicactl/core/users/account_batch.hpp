// SPDX-License-Identifier: Apache-2.0
// recover's fast path for accounts: every registered group and account that is missing comes
// back in one locked edit of the account files (os/passwd_db) instead of one groupadd/useradd
// each. Whatever it cannot restore (an id held by another name, a group from LDAP) is left to
// the per-user planner, which reports it as a conflict or falls back to the shadow-utils tools.
#pragma once

#include <string>

#include "aicactl/core/plan/plan.hpp"
#include "aicactl/core/setup/config.hpp"
#include "aicactl/core/users/registry.hpp"
#include "aicactl/os/passwd_db.hpp"

namespace aicactl::core {

// The groups, accounts and memberships of `registry` that NSS does not know and that can be
// restored with their recorded ids (pure apart from the NSS lookups).
[[nodiscard]] os::AccountBatch plan_account_batch(const Config& config, const Registry& registry);

// Applies the batch to `etc_dir`; the report has one changed item per group, account and
// membership restored. A batch that cannot be applied at all gives a note, not a failure: the
// per-user plans that follow do the same work one account at a time.
[[nodiscard]] Report restore_accounts(const os::AccountBatch& batch, const std::string& etc_dir = "/etc");

// Days since 1970-01-01 of a YYYY-MM-DD date, or nullopt when it is not one.
[[nodiscard]] std::optional<long> epoch_day(const std::string& date);

}  // namespace aicactl::core
