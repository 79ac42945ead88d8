// SPDX-License-Identifier: Apache-2.0
// btrfs by ioctl on held fds (what `btrfs subvolume create|snapshot|delete` and `btrfs qgroup
// limit` do): the file system type of an fd, subvolumes, read-only snapshots, quota groups.
// Names are single path components relative to a held parent fd; nothing is resolved by path.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "aicactl/os/error.hpp"

namespace aicactl::os {

// The file system's name for messages ("btrfs", "ext4", "tmpfs", "xfs", else its magic in hex).
[[nodiscard]] Result<std::string> fs_type_name(int fd);
[[nodiscard]] Result<bool> is_btrfs(int fd);
// The directory open as `fd` is the root of a btrfs subvolume (inode 256 on btrfs).
[[nodiscard]] Result<bool> is_subvolume(int fd);
// A new, empty subvolume `name` in the directory `parent_fd` (mode 0755, root-owned).
[[nodiscard]] Result<void> create_subvolume(int parent_fd, const std::string& name, std::string_view shown);
enum class SnapshotMode { read_only, writable };
// A snapshot of the subvolume open as `source_fd`, made as `name` in `parent_fd`.
[[nodiscard]] Result<void> snapshot_subvolume(int source_fd, int parent_fd, const std::string& name, SnapshotMode mode,
                                              std::string_view shown);
// Clears (or sets) the read-only flag of the subvolume open as `fd`.
[[nodiscard]] Result<void> set_subvolume_read_only(int fd, bool read_only, std::string_view shown);
// Deletes the subvolume `name` in `parent_fd` with everything in it (BTRFS_IOC_SNAP_DESTROY).
[[nodiscard]] Result<void> delete_subvolume(int parent_fd, const std::string& name, std::string_view shown);
// The subvolume id of the subvolume holding `fd` (its qgroup is 0/<id>).
[[nodiscard]] Result<std::uint64_t> subvolume_id(int fd);
// Turns quotas on for the file system of `fd` (no-op when already on).
[[nodiscard]] Result<void> enable_quota(int fd, std::string_view shown);
// Limits the referenced bytes of qgroup 0/<subvol_id> (0: no limit).
[[nodiscard]] Result<void> limit_qgroup(int fd, std::uint64_t subvol_id, std::uint64_t max_bytes,
                                        std::string_view shown);

struct QgroupUsage {
  std::uint64_t referenced = 0;
  std::uint64_t limit = 0;  // 0: none
};
// Usage and limit of qgroup 0/<subvol_id>, read from the quota tree; ENOENT when quotas are off.
[[nodiscard]] Result<QgroupUsage> qgroup_usage(int fd, std::uint64_t subvol_id);

}  // namespace aicactl::os
