// SPDX-License-Identifier: Apache-2.0
// Whole-tree operations on user-writable trees, by fd: removal that never follows a symlink or
// leaves its mount, and a digest that tells whether a copy is complete and exact.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "aicactl/os/error.hpp"
#include "aicactl/os/fs.hpp"
#include "aicactl/os/walk.hpp"

namespace aicactl::os {

// Removes `name` below `dirfd` and everything beneath it. Symlinks are unlinked, never
// followed; a directory on another mount below it stops the removal with EXDEV.
[[nodiscard]] Result<void> remove_tree_at(int dirfd, const char* name, const std::string& shown);

// What empty_tree_fd does with what it selects: removes it, or only counts and reports it.
enum class RemoveMode { remove, count_only };

struct EmptyTreeOptions {
  RemoveMode mode = RemoveMode::remove;
  // When set, only non-directories whose atime and mtime are both before it (seconds since the
  // epoch) go; a directory goes when it is left empty and either lost an entry in this pass or
  // was itself last modified before it (so a fresh empty directory a tool just made stays).
  // Unset: everything goes.
  std::optional<std::int64_t> cutoff;
  // Names directly below the root that stay, with everything beneath them (e.g. a tool's lock).
  std::vector<std::string> keep;
  // Called once per removed (or, with count_only, removable) entry that is not inside a removed
  // directory: the topmost entries that go, each level after its own entries were handled.
  std::function<void(const std::string& path, bool is_dir)> on_removed;
  // Entries anywhere below the root that stay, with everything beneath them, when this returns
  // true for their name and stat (e.g. a download in progress); unset: none.
  std::function<bool(const std::string& name, const FileInfo& info)> keep_entry{};
  // Counted into when set (a terminal's display): every entry looked at, and the blocks of each
  // regular file as it goes.
  WalkProgress* progress = nullptr;
};

struct EmptyTreeSummary {
  std::uint64_t files = 0;        // non-directories removed
  std::uint64_t directories = 0;  // directories removed
  // st_blocks * 512 of the regular files whose last link went (a file still linked from
  // elsewhere, e.g. a conda environment, frees nothing and counts as a file only).
  std::uint64_t bytes = 0;
  std::vector<std::string> mounts_skipped;  // entries on another mount: neither entered nor removed
  std::vector<OsError> errors;              // entries that could not be listed, opened or removed
};

// Removes the content of the directory open as `root_fd` (shown as `shown`), never the
// directory itself, by fd: symlinks are unlinked, never followed; another mount is left alone
// and reported. Keeps going past a failure and reports each one.
[[nodiscard]] EmptyTreeSummary empty_tree_fd(int root_fd, const std::string& shown, const EmptyTreeOptions& options);

// What a tree holds, per relative path: type, mode, owner, size, link target, and a content
// hash for regular files. Two trees with equal digests hold the same data and metadata.
struct TreeEntry {
  std::uint32_t mode = 0;
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::uint64_t size = 0;
  std::uint64_t hash = 0;  // FNV-1a of the content, or of the symlink target
  bool operator==(const TreeEntry&) const = default;
};
using TreeDigest = std::map<std::string, TreeEntry>;

[[nodiscard]] Result<TreeDigest> digest_tree(const std::string& root);

// Gives every entry of the tree at `root` (the root too) owned by `from_uid` to `to_uid`, and
// every entry whose group is `from_gid` to `to_gid`, by fd: a symlink itself, never its target;
// other mounts are neither entered nor changed. Meant for a fresh copy whose hard links all lie
// inside it (a restored backup). Returns the number of entries changed; the first failure stops.
[[nodiscard]] Result<std::uint64_t> reown_tree(const std::string& root, uid_t from_uid, gid_t from_gid, uid_t to_uid,
                                               gid_t to_gid);

}  // namespace aicactl::os
