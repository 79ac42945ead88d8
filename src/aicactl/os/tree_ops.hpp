// Whole-tree operations on user-writable trees, by fd: removal that never follows a symlink or
// leaves its mount, and a digest that tells whether a copy is complete and exact.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "aicactl/os/error.hpp"

namespace aicactl::os {

// Removes `name` below `dirfd` and everything beneath it. Symlinks are unlinked, never
// followed; a directory on another mount below it stops the removal with EXDEV.
[[nodiscard]] Result<void> remove_tree_at(int dirfd, const char* name, const std::string& shown);

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

}  // namespace aicactl::os
