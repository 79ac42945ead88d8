// SPDX-License-Identifier: Apache-2.0
// Batched edits of the local account files (passwd, shadow, group, gshadow), the way
// systemd-sysusers does them: one lock (the lckpwdf lock file that shadow-utils takes too), every
// file read once, checked, and replaced atomically with its mode and owner, a `<file>-` backup
// of the previous content beside it (as shadow-utils keeps). `recover` restores a hundred
// accounts with one such edit instead of a hundred groupadd/useradd runs.
#pragma once

#include <sys/types.h>

#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "aicactl/os/error.hpp"

namespace aicactl::os {

struct NewGroup {
  std::string name;
  gid_t gid = 0;
};

struct NewAccount {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;  // the primary group: in the group file already or in the same batch
  std::string home;
  std::string shell;
  std::optional<long> expire_day;  // days since 1970-01-01 (shadow's field), none = never
};

struct AccountBatch {
  std::vector<NewGroup> groups;
  std::vector<NewAccount> accounts;
  std::vector<std::pair<std::string, std::string>> memberships;  // (group, user)
};

// What one batch did. Entries that were already present as asked are neither done nor refused,
// but a half-written one (in passwd without its shadow entry, in group without its gshadow
// entry) is completed; an entry whose name or id is held by something else is refused with the
// reason and the rest goes on.
struct BatchOutcome {
  std::vector<std::string> groups_created;
  std::vector<std::string> accounts_created;
  std::vector<std::pair<std::string, std::string>> memberships_added;
  std::vector<std::string> completed;                        // "shadow entry of 'alice'"
  std::vector<std::pair<std::string, std::string>> refused;  // (name, reason)
};

// Defaults for new shadow entries (useradd reads the same keys of /etc/login.defs).
struct ShadowDefaults {
  long min_days = 0;
  long max_days = 99999;
  long warn_days = 7;
};
[[nodiscard]] ShadowDefaults read_shadow_defaults(const std::string& login_defs);

// The names in each local account file (a half-written account is in one and not the other).
struct LocalAccounts {
  bool has_shadow = false;   // /etc/shadow exists (else no shadow entry is expected)
  bool has_gshadow = false;  // likewise /etc/gshadow
  std::set<std::string> passwd, shadow, group, gshadow;
};
// Reads them without the lock (a reader sees whole files: they are only ever renamed into place).
[[nodiscard]] Result<LocalAccounts> read_local_accounts(const std::string& etc_dir);

// Applies `batch` to the account files in `etc_dir` (normally /etc) under `<etc_dir>/.pwd.lock`
// (waits up to `lock_timeout_s`). `today` (days since the epoch) is the shadow "last change".
// Fails, changing nothing, when the lock cannot be taken, passwd/group cannot be read or a new
// file cannot be written; every new file is synced before the first rename, and the renames
// (gshadow, group, shadow, passwd) never expose an entry without its shadow entry.
[[nodiscard]] Result<BatchOutcome> apply_account_batch(const AccountBatch& batch, const std::string& etc_dir,
                                                       long today, int lock_timeout_s = 15);

}  // namespace aicactl::os
