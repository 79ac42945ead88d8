// SPDX-License-Identifier: Apache-2.0
// `term close NAME`: the semester reclaim. For every expired user (or the named ones): a backup
// of the home (one read-only btrfs snapshot of /data/users per term, or a verified tar.zst
// archive per user), and only when every backup is verified, the purge (the home emptied by fd,
// [lifecycle] purge_paths removed, the account deleted). The registry keeps each user as removed
// with home "archived", the term and the uid, so the uid is never handed out again.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "aicactl/core/plan/plan.hpp"
#include "aicactl/core/setup/config.hpp"
#include "aicactl/core/users/registry.hpp"

namespace aicactl::core {

enum class BackupKind { btrfs, tar };
[[nodiscard]] const char* to_string(BackupKind kind);

// "" when `name` is a valid term name ([A-Za-z0-9._-]{1,64}, not starting with '.' or '-').
[[nodiscard]] std::string term_name_problem(std::string_view name);

// A [lifecycle] purge_paths entry with {user} replaced; "" with `why` set when the result is
// not an absolute path of plain components (no '..', '.', empty component or leftover brace).
[[nodiscard]] std::string purge_path_for(const std::string& pattern, const std::string& user, std::string& why);

struct TermClosePlan {
  BackupKind kind = BackupKind::tar;
  std::string term_dir;  // <data_root>/<backup_dir>/<term>
  std::vector<std::string> users;
  Plan backup;                    // applied first; any failure stops the run
  Plan purge;                     // one item per user and step
  std::vector<RemovedUser> gone;  // the registry's record of each purged user
};

// Which users and what to do, read-only. `names` empty: every registered user expired by
// `today` (YYYY-MM-DD) that [lifecycle] keep, the admin groups and uid < 1000 do not protect;
// named users are taken unless root or uid < 1000. An unknown name or a bad purge path is an
// Error (bad_data).
[[nodiscard]] TermClosePlan plan_term_close(const Config& config, const Registry& registry, const std::string& term,
                                            const std::vector<std::string>& names, const std::string& today,
                                            const std::string& now);

struct TermCloseResult {
  Report report;
  bool backup_failed = false;  // nothing was purged
};

// Applies the backup plan, then (when it fully succeeded) the purge plan and the registry.
[[nodiscard]] TermCloseResult run_term_close(const Config& config, Registry& registry, const TermClosePlan& plan,
                                             DryRun dry_run);

}  // namespace aicactl::core
