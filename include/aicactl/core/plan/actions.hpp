// SPDX-License-Identifier: Apache-2.0
// The small steps a plan is made of. Each describes itself ("Would create directory '/data'"),
// names its kind and target, and applies itself after re-checking its precondition. apply() is
// the only code in aicactl that mutates the system for setup.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "aicactl/core/plan/backup_actions.hpp"
#include "aicactl/core/plan/user_actions.hpp"
#include "aicactl/os/acl.hpp"
#include "aicactl/os/error.hpp"
#include "aicactl/os/passwd_db.hpp"

namespace aicactl::core {

struct CreateGroup {
  std::string name;
  std::optional<gid_t> gid;  // recover: the recorded gid
};
struct CreateDirectory {
  std::string path;
  std::string group;
  mode_t mode = 0755;
  bool subvolume = false;  // a btrfs subvolume (BTRFS_IOC_SUBVOL_CREATE), not a plain mkdir
};
struct SetOwnership {
  std::string path;
  std::string group;  // owner is always root
};
struct SetMode {
  std::string path;
  mode_t mode = 0755;
};
struct SetSharedAcl {
  std::string path;
  std::string group;
  os::AclKind kind = os::AclKind::access;
};
// How a written file is validated before (and after) it takes the place of the installed one.
enum class FileCheck {
  none,
  // sudo stops working for everyone when one file of its policy does not parse: `visudo -cf` on
  // the temp file, rename, then `visudo -c` on the whole policy; on failure the previous file
  // (or none) is put back and the action fails.
  sudoers,
};
struct WriteFile {
  std::string path;
  std::string content;
  mode_t mode = 0644;
  bool replace = false;  // the file exists and differs
  uid_t uid = 0;
  gid_t gid = 0;
  std::string owner;  // when set: owned by this user and their primary group (resolved at apply)
  FileCheck check = FileCheck::none;
  // When set: the current content (edited by hand) is first saved there (root, 0600).
  std::string keep_old{};
};
// Completes a half-written account or group (left by an interrupted useradd, groupadd or batch:
// passwd without its shadow entry, group without its gshadow entry, an account whose primary
// group is missing) in one locked edit of the account files, in an order that keeps them
// consistent (os/passwd_db).
struct CompleteAccount {
  std::string name;
  std::vector<std::string> missing;  // what is added, for the description
  os::AccountBatch batch;
};
// A temp file or link of ours that a killed run left behind (os::stale_temps): removed after
// checking again that no live run holds it.
struct RemoveLeftover {
  std::string dir;
  std::string name;
};
// Something in the way that aicactl must not fix by itself (e.g. a symlink where a directory
// belongs). Applying it always fails with the reason.
struct Conflict {
  std::string path;
  std::string reason;
};

using Action = std::variant<CreateGroup, CreateDirectory, SetOwnership, SetMode, SetSharedAcl, WriteFile, Conflict,
                            CreateAccount, AddToGroup, CreateHome, MigrateHome, MakeSymlink, CompleteAccount,
                            RemoveLeftover, RemoveLink, DeleteAccount, ArchiveHome, PurgeHome,
                            // term close (backup_actions.hpp)
                            SnapshotHomes, ArchiveHomeTar, EmptyHome, RemovePath,
                            // backup prune, backup restore (backup_actions.hpp)
                            DeleteTermBackup, RestoreHome,
                            // quotas (user_actions.hpp)
                            SetHomeQuota, ConvertHome>;

enum class Tense { future, past };

[[nodiscard]] std::string describe(const Action& action, Tense tense);
[[nodiscard]] std::string kind_of(const Action& action);
[[nodiscard]] std::string target_of(const Action& action);
[[nodiscard]] os::Result<void> apply(const Action& action);

}  // namespace aicactl::core
