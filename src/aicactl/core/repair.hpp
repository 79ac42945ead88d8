// cache repair: re-applies the sharing group, setgid, group-rw(X) modes and the shared ACLs
// below a tree, by fd (never following a symlink, never leaving the mount). Owners are kept.
// A regular file with several hard links whose owner is not a member (root included) is
// skipped and reported: that is what a link planted to an outside file looks like.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "aicactl/core/plan/plan.hpp"
#include "aicactl/os/walk.hpp"

namespace aicactl::core {

struct RepairPolicy {
  gid_t gid = 0;
  std::string group;
  bool use_acl = true;
  unsigned threads = 2;
  // Entries whose ctime (seconds) is earlier than this are taken as correct and not read or
  // changed: nothing can change an inode's owner, mode or ACL, nor move it into the tree,
  // without setting its ctime. 0 checks every entry. See RepairStamps.
  std::int64_t unchanged_before = 0;
  os::WalkProgress* progress = nullptr;  // counted into for a terminal's display
};

struct RepairResult {
  std::string root;
  std::uint64_t entries = 0;
  std::uint64_t changed = 0;                // entries changed (or that would change)
  std::uint64_t unchanged = 0;              // entries not read: ctime before unchanged_before
  std::vector<std::string> skipped;         // hardlinked files of non-members
  std::vector<std::string> mounts_skipped;  // other file systems below the root, not entered
  std::vector<std::string> special;         // home repair: devices, sockets, FIFOs left alone
  std::vector<std::string> errors;
};

// Repairs one tree. With DryRun::yes only counts what would change.
[[nodiscard]] RepairResult repair_tree(const std::string& root, const RepairPolicy& policy, DryRun dry_run);

// The rules of repair_tree applied to one entry at a time, for `cache watch`: the caller has
// opened the entry's directory (and the entry itself when it is a directory) without following
// links, checked that it is on the tree's mount and stat'ed it, and fills a WalkEntry as the
// walker would. Membership answers are cached for the object's lifetime.
class EntryRepairer {
 public:
  explicit EntryRepairer(const RepairPolicy& policy);
  EntryRepairer(const EntryRepairer&) = delete;
  EntryRepairer& operator=(const EntryRepairer&) = delete;
  ~EntryRepairer();
  // entries = 1, changed = 1 when it changed; skipped and errors as in repair_tree.
  [[nodiscard]] RepairResult repair(const os::WalkEntry& entry);
  [[nodiscard]] const RepairPolicy& policy() const { return policy_; }

 private:
  struct Impl;
  RepairPolicy policy_;
  std::unique_ptr<Impl> impl_;
};

// When each tree was last repaired completely and without errors, kept in a root-only file in
// the lock directory (/run/aicactl: it does not survive a reboot, so the first repair after a
// boot checks everything). A stamp counts only for the same tree (path, device, inode), group
// id and ACL mode, is backdated by a margin for the kernel's coarse ctime clock, and expires
// after `max_age_s` (a full check at least that often) or when the clock went backwards.
class RepairStamps {
 public:
  static constexpr std::int64_t kMarginSeconds = 2;
  static constexpr std::int64_t kDefaultMaxAge = std::int64_t{24} * 3600;

  // Missing or unreadable files give no stamps.
  [[nodiscard]] static RepairStamps load(const std::string& file);
  [[nodiscard]] static std::string key(const std::string& tree, dev_t dev, std::uint64_t ino, gid_t gid, bool acl);

  // The unchanged_before to use for `key` at time `now`, 0 when there is no valid stamp.
  [[nodiscard]] std::int64_t unchanged_before(const std::string& key, std::int64_t now,
                                              std::int64_t max_age_s = kDefaultMaxAge) const;
  // Records a complete, error-free repair of `key` that started at `started` (seconds).
  void record(const std::string& key, std::int64_t started);
  // Writes the stamps atomically (0600 root).
  [[nodiscard]] bool save(const std::string& file) const;

 private:
  std::map<std::string, std::int64_t> stamps_;
};

// user repair: gives the user back the entries of their home that belong to root or to a uid
// that no account has (e.g. left from before a re-image), by fd. Only directories, regular
// files and symlinks (the link itself) change: root's entries only when a directory or a
// single-link regular file, an unknown uid's symlinks too. Devices, sockets and FIFOs are never
// changed (reported in `special`, unless a socket or FIFO of the user), non-directories with
// several links the user does not own are reported in `skipped`, entries of other existing users
// and other mounts are left alone. Set-id bits are cleared on the user's regular files.
[[nodiscard]] RepairResult repair_home_tree(const std::string& root, uid_t uid, gid_t gid, DryRun dry_run);

}  // namespace aicactl::core
