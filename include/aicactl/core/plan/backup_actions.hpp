// SPDX-License-Identifier: Apache-2.0
// The actions of `term close` (core/lifecycle/term): a verified backup of homes (one read-only
// btrfs snapshot of the users subvolume, or one tar.zst archive per user with its sha256), then
// the purge (a home emptied by fd, a per-host path removed); those of `backup prune` (a term's
// backup deleted) and `backup restore` (a home copied back, verified, re-owned). Part of the plan
// engine: apply() in actions.cpp calls these.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "aicactl/os/error.hpp"
#include "aicactl/os/fd.hpp"

namespace aicactl::core {

// A read-only snapshot of the subvolume `users_dir` as <term_dir>/users (kept when it exists);
// a home that is a subvolume of its own is snapshotted as <term_dir>/<user>. Then each user's
// tree in the snapshot is compared with the live home (entries, types, modes, owners, sizes,
// content); any difference fails the action.
struct SnapshotHomes {
  std::string users_dir;  // /data/users
  std::string term_dir;   // /data/backup/2026-fall (made root 0700, its parent too)
  std::vector<std::string> users;
};
// <term_dir>/<user>.tar.zst by GNU tar (--acls --xattrs --numeric-owner --one-file-system,
// zstd), verified by listing it back (one entry per entry of the home), and its sha256 in
// <user>.tar.zst.sha256. Written under a temp name and renamed once verified.
struct ArchiveHomeTar {
  std::string users_dir;
  std::string term_dir;
  std::string user;
};
// Empties <users_dir>/<user> by fd (never following a link or crossing a mount), then removes it
// (a subvolume is deleted).
struct EmptyHome {
  std::string users_dir;
  std::string user;
};
// Removes `path` (a file, a link, or a directory with everything in it) by fd, never following
// a link on the way and never removing another mount.
struct RemovePath {
  std::string path;
};
// backup prune: deletes <backup_dir>/<term> by fd: each read-only snapshot (the `users` one, a
// home's own) made writable and destroyed as a subvolume, each USER.tar.zst and its .sha256 (and
// a killed run's .partial) unlinked, then the empty folder. Anything else inside (a file that is
// not ours, a link, a plain directory) fails the action before anything is deleted.
struct DeleteTermBackup {
  std::string backup_dir;  // /data/backup
  std::string term;
};
// Where backup restore copies a home from.
enum class RestoreSource {
  home_snapshot,   // <term>/<user>: the read-only snapshot of a home that was a subvolume
  users_snapshot,  // <term>/users/<user>: inside the read-only snapshot of the users subvolume
  tar,             // <term>/<user>.tar.zst (its sha256 checked when planned)
};
// backup restore: copies the backup of `user` into <users_dir>/.<user>.restore (a writable
// snapshot, `cp -a --reflink=auto`, or `tar -x` with ACLs, xattrs and numeric owners), verifies
// the copy (the snapshot's digest, or the archive's entry count), gives the entries owned by
// `from_uid`/`from_gid` to `to_uid`/`to_gid` when they differ, then renames it to
// <users_dir>/<user> (an empty directory there is replaced, anything else refused). The staging
// entry is removed on any failure.
struct RestoreHome {
  RestoreSource source = RestoreSource::tar;
  std::string from;       // the snapshot directory or the archive
  std::string users_dir;  // /data/users
  std::string user;
  uid_t from_uid = 0;
  gid_t from_gid = 0;
  uid_t to_uid = 0;
  gid_t to_gid = 0;
};

}  // namespace aicactl::core

namespace aicactl::core::detail {

[[nodiscard]] os::Result<void> apply_snapshot_homes(const SnapshotHomes& a);
[[nodiscard]] os::Result<void> apply_archive_home_tar(const ArchiveHomeTar& a);
[[nodiscard]] os::Result<void> apply_empty_home(const EmptyHome& a);
[[nodiscard]] os::Result<void> apply_remove_path(const RemovePath& a);
[[nodiscard]] os::Result<void> apply_delete_term_backup(const DeleteTermBackup& a);
[[nodiscard]] os::Result<void> apply_restore_home(const RestoreHome& a);
// "" when `name` is an entry term close makes in a term folder (users, USER.tar.zst[.sha256], a
// killed run's .USER.tar.zst.partial, a home's snapshot USER), else why not.
[[nodiscard]] std::string term_entry_problem(const std::string& name, bool is_regular, bool is_subvolume);
// Opens `dir` (made root 0700 when missing, its parent too: /data/backup/<term>).
[[nodiscard]] os::Result<os::UniqueFd> open_backup_dir(const std::string& dir);

}  // namespace aicactl::core::detail
