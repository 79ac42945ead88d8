// cache repair: re-applies the sharing group, setgid, group-rw(X) modes and the shared ACLs
// below a tree, by fd (never following a symlink, never leaving the mount). Owners are kept.
// A regular file with several hard links whose owner is not a member (root included) is
// skipped and reported: that is what a link planted to an outside file looks like.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "aicactl/core/plan.hpp"

namespace aicactl::core {

struct RepairPolicy {
  gid_t gid = 0;
  std::string group;
  bool use_acl = true;
  unsigned threads = 2;
};

struct RepairResult {
  std::string root;
  std::uint64_t entries = 0;
  std::uint64_t changed = 0;                // entries changed (or that would change)
  std::vector<std::string> skipped;         // hardlinked files of non-members
  std::vector<std::string> mounts_skipped;  // other file systems below the root, not entered
  std::vector<std::string> errors;
};

// Repairs one tree. With DryRun::yes only counts what would change.
[[nodiscard]] RepairResult repair_tree(const std::string& root, const RepairPolicy& policy, DryRun dry_run);

// user repair: gives the user back the entries of their home that belong to root or to a uid
// that no account has (e.g. left from before a re-image), by fd. Entries of other existing
// users, symlinks, other mounts and hard-linked files the user does not own are left alone
// (the latter reported in `skipped`).
[[nodiscard]] RepairResult repair_home_tree(const std::string& root, uid_t uid, gid_t gid, DryRun dry_run);

}  // namespace aicactl::core
