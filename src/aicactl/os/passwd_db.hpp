// Batched edits of the local account files (passwd, shadow, group, gshadow), the way
// systemd-sysusers does them: one lock (the lckpwdf lock file that shadow-utils takes too), every
// file read once, checked, and replaced atomically with its mode and owner, a `<file>-` backup
// of the previous content beside it (as shadow-utils keeps). `recover` restores a hundred
// accounts with one such edit instead of a hundred groupadd/useradd runs.
#pragma once

#include <sys/types.h>

#include <optional>
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

// What one batch did. Entries that were already present as asked are neither done nor refused;
// an entry whose name or id is held by something else is refused with the reason and the rest
// goes on.
struct BatchOutcome {
  std::vector<std::string> groups_created;
  std::vector<std::string> accounts_created;
  std::vector<std::pair<std::string, std::string>> memberships_added;
  std::vector<std::pair<std::string, std::string>> refused;  // (name, reason)
};

// Defaults for new shadow entries (useradd reads the same keys of /etc/login.defs).
struct ShadowDefaults {
  long min_days = 0;
  long max_days = 99999;
  long warn_days = 7;
};
[[nodiscard]] ShadowDefaults read_shadow_defaults(const std::string& login_defs);

// Applies `batch` to the account files in `etc_dir` (normally /etc) under `<etc_dir>/.pwd.lock`
// (waits up to `lock_timeout_s`). `today` (days since the epoch) is the shadow "last change".
// Fails, changing nothing, when the lock cannot be taken or passwd/group cannot be read.
[[nodiscard]] Result<BatchOutcome> apply_account_batch(const AccountBatch& batch, const std::string& etc_dir,
                                                       long today, int lock_timeout_s = 15);

}  // namespace aicactl::os
