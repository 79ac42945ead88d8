// SPDX-License-Identifier: Apache-2.0
// The account and home actions of a plan (useradd, gpasswd, a home on /data, moving a real home
// there, the /home link; and for user remove: the link, userdel, archiving or purging the home)
// and how each is applied. Part of the plan engine: apply() in actions.cpp
// calls these; they know nothing of the other actions.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "aicactl/os/error.hpp"
#include "aicactl/os/walk.hpp"

namespace aicactl::core {

// useradd without a home (aicactl makes it on /data): -U or -g, -G, -s, -e, -u.
struct CreateAccount {
  std::string name;
  std::optional<uid_t> uid;
  std::string primary_group;  // "" = a new group of the same name (useradd -U)
  std::vector<std::string> groups;
  std::string shell;
  std::string expires;
  std::string home;  // /home/alice
};
struct AddToGroup {
  std::string user;
  std::string group;
};
// mkdir (user:primary-group, mode), seeded from /etc/skel when `seed`; a btrfs subvolume of its
// own when `subvolume` (so that a quota can be set on it later without moving data).
struct CreateHome {
  std::string path;
  std::string user;
  mode_t mode = 0750;
  bool seed = true;
  bool subvolume = false;
};
// Makes the plain-directory home `path` a btrfs subvolume of its own (so it can have a quota)
// without changing what it holds: a subvolume `.NAME.quota` beside it, filled by a faithful copy
// (cp -a --reflink=always: owners, modes, ACLs, xattrs, hard links; no other mount entered),
// verified against the home by digest, swapped in by two renames; the old tree is then removed
// by fd. Run only while the user has no process (checked before the plan: require_quota_support).
struct ConvertHome {
  std::string path;
};
// Limits the home's qgroup (0/<its subvolume id>) to `bytes` (0: lifts the limit), turning
// quotas on for the file system first when they are off. The home must be a subvolume.
struct SetHomeQuota {
  std::string path;
  std::uint64_t bytes = 0;
};
// Moves the whole content of a real home directory into the home on /data (rename on the same
// file system, verified copy otherwise), then removes the emptied original.
struct MigrateHome {
  std::string from;
  std::string to;
};
// link -> target, replacing an existing symlink (or an empty dir left by a migration) atomically.
struct MakeSymlink {
  std::string link;
  std::string target;
};
// While one lives, a home copied across file systems (MigrateHome) counts its progress into
// `progress` (a terminal's display). cp -a reports nothing while it runs, so the copy is counted
// as the growth of the target file system's used inodes and blocks: close enough for a display,
// never used for anything else. One at a time (the CLI holds it around apply_plan).
class HomeCopyProgress {
 public:
  explicit HomeCopyProgress(os::WalkProgress* progress);
  HomeCopyProgress(const HomeCopyProgress&) = delete;
  HomeCopyProgress& operator=(const HomeCopyProgress&) = delete;
  HomeCopyProgress(HomeCopyProgress&&) = delete;
  HomeCopyProgress& operator=(HomeCopyProgress&&) = delete;
  ~HomeCopyProgress();
};

// Removes the link `link` (user remove), checking again that it still points to `target`.
struct RemoveLink {
  std::string link;
  std::string target;
};
// userdel; the home on /data is not touched.
struct DeleteAccount {
  std::string name;
};
// Moves <root>/<from> to <root>/<to> by fd, making <root>/archive (root, 0700) first when missing.
struct ArchiveHome {
  std::string root;  // data_root
  std::string from;  // users/alice
  std::string to;    // archive/alice-20261130
};
// Deletes <dir>/<name> and everything in it, by fd, never following a link (os::remove_tree_at).
struct PurgeHome {
  std::string dir;
  std::string name;
};
}  // namespace aicactl::core

namespace aicactl::core::detail {

[[nodiscard]] os::Result<void> apply_create_account(const CreateAccount& a);
[[nodiscard]] os::Result<void> apply_add_to_group(const AddToGroup& a);
[[nodiscard]] os::Result<void> apply_create_home(const CreateHome& a);
[[nodiscard]] os::Result<void> apply_migrate_home(const MigrateHome& a);
[[nodiscard]] os::Result<void> apply_set_home_quota(const SetHomeQuota& a);
[[nodiscard]] os::Result<void> apply_convert_home(const ConvertHome& a);
[[nodiscard]] os::Result<void> apply_make_symlink(const MakeSymlink& a);
[[nodiscard]] os::Result<void> apply_remove_link(const RemoveLink& a);
[[nodiscard]] os::Result<void> apply_delete_account(const DeleteAccount& a);
[[nodiscard]] os::Result<void> apply_archive_home(const ArchiveHome& a);
[[nodiscard]] os::Result<void> apply_purge_home(const PurgeHome& a);
// The uid and primary gid of an account.
[[nodiscard]] os::Result<std::pair<uid_t, gid_t>> owner_of(const std::string& user);
// Runs an account tool by argv and turns a non-zero exit into an error with its stderr.
[[nodiscard]] os::Result<void> run_tool(const std::vector<std::string>& argv, const std::string& target);

}  // namespace aicactl::core::detail
