// SPDX-License-Identifier: Apache-2.0
// A tree walker for trees that users can write: lists with getdents64, stats with statx and
// AT_SYMLINK_NOFOLLOW, opens directories with O_NOFOLLOW|O_DIRECTORY relative to their parent's
// fd, never follows a symlink and never enters another mount. Optionally runs on several threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "aicactl/os/error.hpp"
#include "aicactl/os/fs.hpp"

namespace aicactl::os {

struct WalkEntry {
  int dirfd = -1;                         // the directory holding the entry (-1 for a directory that
                                          // was re-opened from the root: use `fd`)
  const char* name = nullptr;             // the entry's name in `dirfd`
  int fd = -1;                            // for directories: an fd on the directory itself, else -1
  const FileInfo* info = nullptr;         // statx of the entry (for directories: of `fd`)
  const std::string* dir_path = nullptr;  // path of the directory holding the entry
  unsigned depth = 0;                     // 0 for the root
  unsigned worker = 0;                    // index of the calling thread, < WalkOptions::threads

  [[nodiscard]] std::string path() const { return join_path(*dir_path, name); }
};

// A walk's progress for a display: entries visited and their allocated bytes, read by another
// thread while the walk runs.
struct WalkProgress {
  std::atomic<std::uint64_t> entries{0};
  std::atomic<std::uint64_t> bytes{0};
};

struct WalkOptions {
  unsigned threads = 2;
  WalkProgress* progress = nullptr;  // counted into when set (a terminal's display)
};

struct WalkSummary {
  std::uint64_t directories = 0;
  std::uint64_t others = 0;                 // files, symlinks, fifos, sockets, devices
  std::vector<std::string> mounts_skipped;  // mount points (directories or bind-mounted files): not
                                            // entered, not visited
  std::vector<OsError> errors;              // entries that could not be listed or opened
};

// The visitor sees the root first, every directory before its children, and is called from
// up to `threads` threads at once. Entries that vanish while walking are ignored.
using WalkVisitor = std::function<void(const WalkEntry&)>;

// Fails only when the root itself cannot be opened as a directory (a symlink root fails with
// ELOOP); every later problem is collected in WalkSummary::errors.
[[nodiscard]] Result<WalkSummary> walk_tree(std::string_view root, const WalkOptions& options,
                                            const WalkVisitor& visit);

}  // namespace aicactl::os
