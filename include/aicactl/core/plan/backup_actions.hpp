// SPDX-License-Identifier: Apache-2.0
// The actions of `term close` (core/lifecycle/term): a verified backup of homes (one read-only
// btrfs snapshot of the users subvolume, or one tar.zst archive per user with its sha256), then
// the purge (a home emptied by fd, a per-host path removed). Part of the plan engine: apply() in
// actions.cpp calls these.
#pragma once

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

}  // namespace aicactl::core

namespace aicactl::core::detail {

[[nodiscard]] os::Result<void> apply_snapshot_homes(const SnapshotHomes& a);
[[nodiscard]] os::Result<void> apply_archive_home_tar(const ArchiveHomeTar& a);
[[nodiscard]] os::Result<void> apply_empty_home(const EmptyHome& a);
[[nodiscard]] os::Result<void> apply_remove_path(const RemovePath& a);
// Opens `dir` (made root 0700 when missing, its parent too: /data/backup/<term>).
[[nodiscard]] os::Result<os::UniqueFd> open_backup_dir(const std::string& dir);

}  // namespace aicactl::core::detail
