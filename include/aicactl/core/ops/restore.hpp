// SPDX-License-Identifier: Apache-2.0
// `backup restore USER --term NAME`: a returning student's home back into <data_root>/users/USER
// from the term's backup (a home snapshot, the users snapshot, or the verified tar.zst archive),
// re-owned to the account's uid where it differs, then the account back with the registry's uid
// (the removed row becomes an active row again) through user repair's plan.
#pragma once

#include <string>

#include "aicactl/core/plan/actions.hpp"
#include "aicactl/core/plan/plan.hpp"
#include "aicactl/core/setup/config.hpp"
#include "aicactl/core/users/registry.hpp"

namespace aicactl::core {

struct RestoreRequest {
  std::string user;
  std::string term;
  std::string expires;  // YYYY-MM-DD, or "" for none
};

struct RestorePlan {
  RestoreHome copy;
  bool reregister = false;  // the user comes back from the registry's removed rows
  UserRecord record;        // the user's active registry row after the restore
};

// Validates everything and plans, read-only; every refusal is an Error(bad_data) and nothing is
// changed: an unknown term or one without a backup of the user (or whose backup a prune
// deleted), an archive whose sha256 differs from its .sha256, a home in the way that is not an
// empty directory, an account of that name that is not registered, a recorded uid that another
// account holds now.
[[nodiscard]] RestorePlan plan_restore(const Config& config, const Registry& registry, const RestoreRequest& request,
                                       const std::string& now);

// The uid and gid that own a tar archive's first entry ("drwx------ 1001/1001 0 ... alice/" in
// `tar -tv --numeric-owner`); nullopt when the line does not say.
[[nodiscard]] std::optional<std::pair<uid_t, gid_t>> archive_owner(const std::string& listing_line);

// Copies the home into place (verified, re-owned); when that worked, the registry row and the
// account (groups, the sharing group, the /home link, the shadow expiry).
[[nodiscard]] Report run_restore(const Config& config, Registry& registry, const RestorePlan& plan, DryRun dry_run);

}  // namespace aicactl::core
