// SPDX-License-Identifier: Apache-2.0
// Disk usage of a tree, counted by fd (os::walk_tree: no symlink followed, no mount crossed),
// and the space and inode figures of a mounted file system (fstatvfs on a directory opened
// without following symlinks).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aicactl/os/error.hpp"

namespace aicactl::os {

struct UsageTotals {
  std::uint64_t disk_bytes = 0;      // allocated: st_blocks * 512, as du counts
  std::uint64_t apparent_bytes = 0;  // st_size, as du --apparent-size counts
  std::uint64_t entries = 0;         // directories, files, symlinks, ... (the root included)
};

struct WalkProgress;  // walk.hpp

struct UsageOptions {
  unsigned threads = 2;
  std::optional<uid_t> only_uid;  // count only entries owned by this uid (all are walked)
  WalkProgress* progress = nullptr;
};

struct UsageScan {
  UsageTotals totals;
  std::vector<std::string> mounts_skipped;  // directories on another mount, not entered
  std::vector<OsError> errors;              // entries that could not be listed or opened
};

// Sums the tree below `root`. A file with several hard links inside the tree is counted once
// (by device and inode). Fails only when `root` cannot be opened as a directory (a symlink root
// fails with ELOOP); later problems are in UsageScan::errors and make the totals lower bounds.
[[nodiscard]] Result<UsageScan> scan_usage(std::string_view root, const UsageOptions& options);

struct FsStats {
  std::uint64_t block_size = 0;  // f_frsize
  std::uint64_t blocks = 0;      // f_blocks
  std::uint64_t blocks_free = 0;
  std::uint64_t blocks_avail = 0;  // free to unprivileged users
  std::uint64_t inodes = 0;        // 0 where the file system has no fixed inode count
  std::uint64_t inodes_free = 0;
  std::uint64_t inodes_avail = 0;
};

// fstatvfs of the directory at the absolute `path` (opened with O_NOFOLLOW on every component).
[[nodiscard]] Result<FsStats> fs_stats(std::string_view path);

}  // namespace aicactl::os
