#include "aicactl/core/cache/repair.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>

#include "aicactl/core/plan/shared_acl.hpp"
#include "aicactl/os/accounts.hpp"
#include "aicactl/os/atomic_file.hpp"
#include "aicactl/os/fs.hpp"
#include "aicactl/os/walk.hpp"

namespace aicactl::core {
namespace {

// Membership answers are cached: a cache may hold millions of files of a few dozen owners.
class Membership {
 public:
  explicit Membership(gid_t gid) : gid_(gid) {}
  bool is_member(uid_t uid) {
    if (uid == 0) {
      return false;
    }
    std::lock_guard lock(mutex_);
    auto it = cache_.find(uid);
    if (it != cache_.end()) {
      return it->second;
    }
    bool member = false;
    if (auto user = os::find_user(uid)) {
      const auto groups = os::groups_of(*user);
      member = std::find(groups.begin(), groups.end(), gid_) != groups.end();
    }
    cache_.emplace(uid, member);
    return member;
  }

 private:
  gid_t gid_;
  std::mutex mutex_;
  std::map<uid_t, bool> cache_;
};

class Repairer {
 public:
  Repairer(const RepairPolicy& policy, DryRun dry_run)
      : policy_(policy), dry_run_(dry_run), members_(policy.gid), counts_(policy.threads == 0 ? 1 : policy.threads) {}

  // Returns whether the entry changed (or would).
  bool visit(const os::WalkEntry& e) {
    Counts& counts = counts_[e.worker];
    ++counts.entries;
    const os::FileInfo& info = *e.info;
    if (policy_.unchanged_before > 0 && info.ctime_sec < policy_.unchanged_before) {
      // Unchanged since a complete repair: only the planted-link report (stat only) is redone.
      if (info.is_regular() && info.nlink > 1 && !members_.is_member(info.uid)) {
        std::lock_guard lock(mutex_);
        skipped_.push_back(e.path());
      }
      ++counts.unchanged;
      return false;
    }
    bool changed = false;
    if (info.is_dir()) {
      changed = repair_dir(e, info);
    } else if (info.is_regular()) {
      changed = repair_file(e, info);
    }
    // Symlinks, fifos, sockets and devices are left exactly as they are.
    if (changed) {
      ++counts.changed;
    }
    return changed;
  }

  // Moves the counts and lists gathered so far into `out` (and starts again from zero).
  void fill(RepairResult& out) {
    for (auto& c : counts_) {
      out.entries += c.entries;
      out.changed += c.changed;
      out.unchanged += c.unchanged;
      c = Counts{};
    }
    std::lock_guard lock(mutex_);
    out.skipped = std::move(skipped_);
    skipped_.clear();
    out.errors.insert(out.errors.end(), errors_.begin(), errors_.end());
    errors_.clear();
  }

 private:
  // Calls below pass only the entry's name as the path to show: the full path is built when
  // an error is reported, not for each of the hundreds of thousands of entries that succeed.
  bool ok(const os::Result<void>& r, const os::WalkEntry& e) {
    if (r) {
      return true;
    }
    report(r.error(), e);
    return false;
  }

  void report(os::OsError err, const os::WalkEntry& e) {
    err.path = e.path();
    std::lock_guard lock(mutex_);
    errors_.push_back(err.message());
  }

  bool repair_dir(const os::WalkEntry& e, const os::FileInfo& info) {
    const int fd = e.fd;
    bool changed = false;
    mode_t mode = info.perms();
    if (info.gid != policy_.gid) {
      changed = true;
      if (dry_run_ == DryRun::no && !ok(os::chown_fd(fd, static_cast<uid_t>(-1), policy_.gid, e.name), e)) {
        return false;  // failed: reported as an error, not counted as changed
      }
    }
    const mode_t want = (mode | S_ISGID | S_IRWXG) & ~mode_t{S_ISUID};
    if (want != mode || changed) {
      changed = changed || want != mode;
      if (dry_run_ == DryRun::no && !ok(os::chmod_fd(fd, want, e.name), e)) {
        return false;  // failed: reported as an error, not counted as changed
      }
      mode = want;
    }
    if (policy_.use_acl) {
      const mode_t full = S_IFDIR | mode;
      changed = set_acl(fd, "", os::AclKind::access, full, e) || changed;
      changed = set_acl(fd, "", os::AclKind::default_, full, e) || changed;
    }
    return changed;
  }

  bool repair_file(const os::WalkEntry& e, const os::FileInfo& info) {
    if (info.nlink > 1 && !members_.is_member(info.uid)) {
      std::lock_guard lock(mutex_);
      skipped_.push_back(e.path());
      return false;
    }
    bool changed = false;
    mode_t mode = info.perms();
    if (info.gid != policy_.gid) {
      changed = true;
      if (dry_run_ == DryRun::no &&
          !ok(os::chown_at(e.dirfd, e.name, static_cast<uid_t>(-1), policy_.gid, e.name), e)) {
        return false;  // failed: reported as an error, not counted as changed
      }
      mode &= ~mode_t{S_ISUID | S_ISGID};  // chown clears them on files; never put them back
    }
    const mode_t group_bits = static_cast<mode_t>(shared_perm(info.mode)) << 3U;
    const mode_t want = (mode | group_bits) & ~mode_t{S_ISUID | S_ISGID};
    if (!policy_.use_acl && want != info.perms()) {
      changed = true;
      if (dry_run_ == DryRun::no && !ok(os::chmod_at(e.dirfd, e.name, want, e.name), e)) {
        return false;  // failed: reported as an error, not counted as changed
      }
    }
    if (policy_.use_acl) {
      if ((mode & (S_ISUID | S_ISGID)) != 0U) {
        changed = true;
        if (dry_run_ == DryRun::no &&
            !ok(os::chmod_at(e.dirfd, e.name, mode & ~mode_t{S_ISUID | S_ISGID}, e.name), e)) {
          return false;  // failed: reported as an error, not counted as changed
        }
      }
      changed = set_acl(e.dirfd, e.name, os::AclKind::access, S_IFREG | mode, e) || changed;
    }
    return changed;
  }

  // Returns whether the ACL differed (and was set unless dry-run).
  bool set_acl(int dirfd, const char* name, os::AclKind kind, mode_t mode, const os::WalkEntry& e) {
    auto current = os::get_acl_at(dirfd, name, kind, e.name);
    if (!current) {
      report(current.error(), e);
      return false;
    }
    const os::Acl want = kind == os::AclKind::access ? want_access_acl(*current, mode, policy_.gid)
                                                     : want_default_acl(*current, mode, policy_.gid);
    if (*current && **current == want) {
      return false;
    }
    if (dry_run_ == DryRun::no) {
      ok(os::set_acl_at(dirfd, name, kind, want, e.name), e);
    }
    return true;
  }

  // One cache line per walker thread: counters shared by both threads would bounce on every entry.
  struct alignas(64) Counts {
    std::uint64_t entries = 0;
    std::uint64_t changed = 0;
    std::uint64_t unchanged = 0;
  };

  const RepairPolicy& policy_;
  DryRun dry_run_;
  Membership members_;
  std::vector<Counts> counts_;
  std::mutex mutex_;
  std::vector<std::string> skipped_;
  std::vector<std::string> errors_;
};

}  // namespace

RepairResult repair_tree(const std::string& root, const RepairPolicy& policy, DryRun dry_run) {
  RepairResult result;
  result.root = root;
  Repairer repairer(policy, dry_run);
  auto summary = os::walk_tree(root, os::WalkOptions{policy.threads, policy.progress},
                               [&](const os::WalkEntry& e) { repairer.visit(e); });
  if (!summary) {
    result.errors.push_back(summary.error().message());
    return result;
  }
  repairer.fill(result);
  result.mounts_skipped = summary->mounts_skipped;
  for (const auto& err : summary->errors) {
    result.errors.push_back(err.message());
  }
  std::sort(result.skipped.begin(), result.skipped.end());
  return result;
}

struct EntryRepairer::Impl {
  explicit Impl(const RepairPolicy& policy) : repairer(policy, DryRun::no) {}
  Repairer repairer;
};

EntryRepairer::EntryRepairer(const RepairPolicy& policy) : policy_(policy) {
  policy_.threads = 1;
  policy_.unchanged_before = 0;
  policy_.progress = nullptr;
  impl_ = std::make_unique<Impl>(policy_);
}

EntryRepairer::~EntryRepairer() = default;

RepairResult EntryRepairer::repair(const os::WalkEntry& entry) {
  os::WalkEntry e = entry;
  e.worker = 0;
  impl_->repairer.visit(e);
  RepairResult out;
  impl_->repairer.fill(out);
  return out;
}

RepairStamps RepairStamps::load(const std::string& file) {
  RepairStamps stamps;
  auto text = os::read_file(file);
  if (!text || !text->has_value()) {
    return stamps;
  }
  std::istringstream in(**text);
  std::string line;
  while (std::getline(in, line)) {
    const auto space = line.find(' ');
    if (space == std::string::npos) {
      continue;
    }
    try {
      stamps.stamps_[line.substr(space + 1)] = std::stoll(line.substr(0, space));
    } catch (const std::exception&) {
      continue;  // a damaged line only costs a full check
    }
  }
  return stamps;
}

std::string RepairStamps::key(const std::string& tree, dev_t dev, std::uint64_t ino, gid_t gid, bool acl) {
  return std::to_string(dev) + ":" + std::to_string(ino) + ":" + std::to_string(gid) + ":" + (acl ? "acl" : "modes") +
         ":" + tree;
}

std::int64_t RepairStamps::unchanged_before(const std::string& key, std::int64_t now, std::int64_t max_age_s) const {
  auto it = stamps_.find(key);
  if (it == stamps_.end() || it->second > now || now - it->second > max_age_s) {
    return 0;
  }
  return it->second;
}

void RepairStamps::record(const std::string& key, std::int64_t started) {
  stamps_[key] = started - kMarginSeconds;
}

bool RepairStamps::save(const std::string& file) const {
  std::string text;
  for (const auto& [key, stamp] : stamps_) {
    if (key.find('\n') == std::string::npos) {
      text += std::to_string(stamp) + " " + key + "\n";
    }
  }
  return os::write_file_atomically(file, text, 0600, ::geteuid(), ::getegid()).has_value();
}

RepairResult repair_home_tree(const std::string& root, uid_t uid, gid_t gid, DryRun dry_run) {
  RepairResult result;
  result.root = root;
  std::mutex mutex;
  std::map<uid_t, bool> known;  // uid -> an account has it
  std::atomic<std::uint64_t> entries{0};
  std::atomic<std::uint64_t> changed{0};
  auto is_other_user = [&](uid_t owner) {
    std::lock_guard lock(mutex);
    auto it = known.find(owner);
    if (it == known.end()) {
      it = known.emplace(owner, owner != 0 && os::find_user(owner).has_value()).first;
    }
    return it->second;
  };
  auto note = [&](std::vector<std::string>& list, const os::WalkEntry& e) {
    std::lock_guard lock(mutex);
    list.push_back(e.path());
  };
  auto apply = [&](const os::Result<void>& r) {
    if (!r) {
      std::lock_guard lock(mutex);
      result.errors.push_back(r.error().message());
    }
    return r.has_value();
  };
  auto summary = os::walk_tree(root, os::WalkOptions{2}, [&](const os::WalkEntry& e) {
    ++entries;
    const os::FileInfo& info = *e.info;
    if (e.depth == 0) {
      return;
    }
    const mode_t type = info.mode & S_IFMT;
    const mode_t set_id = info.perms() & mode_t{S_ISUID | S_ISGID};
    if (type != S_IFDIR && type != S_IFREG && type != S_IFLNK) {
      // Devices, sockets and FIFOs are never given away nor changed: a root-made block device
      // handed to the user is raw disk access. Any device, and the others unless the user's own
      // (sockets and FIFOs of running programs), are reported.
      if (type == S_IFBLK || type == S_IFCHR || info.uid != uid) {
        note(result.special, e);
      }
      return;
    }
    if (info.uid == uid) {
      // A set-id bit on the user's own file lets anyone run it as the user: cleared, as in caches.
      if (type == S_IFREG && set_id != 0U) {
        ++changed;
        if (dry_run == DryRun::no) {
          (void)apply(os::chmod_at(e.dirfd, e.name, info.perms() & ~set_id, e.path()));
        }
      }
      return;
    }
    if (is_other_user(info.uid)) {
      return;
    }
    // Root's entries only when a directory or a single-link regular file; a uid no account has
    // also gives its symlinks (the link itself). Several links: someone else's inode, reported.
    if (type == S_IFLNK && info.uid == 0) {
      return;
    }
    if (type != S_IFDIR && info.nlink > 1) {
      note(result.skipped, e);
      return;
    }
    ++changed;
    if (dry_run == DryRun::yes) {
      return;
    }
    if (type == S_IFDIR) {
      (void)apply(os::chown_fd(e.fd, uid, gid, e.path()));
      return;
    }
    if (apply(os::chown_at(e.dirfd, e.name, uid, gid, e.path())) && type == S_IFREG && set_id != 0U) {
      (void)apply(os::chmod_at(e.dirfd, e.name, info.perms() & ~set_id, e.path()));
    }
  });
  if (!summary) {
    result.errors.push_back(summary.error().message());
    return result;
  }
  result.entries = entries.load();
  result.changed = changed.load();
  result.mounts_skipped = summary->mounts_skipped;
  for (const auto& err : summary->errors) {
    result.errors.push_back(err.message());
  }
  std::sort(result.skipped.begin(), result.skipped.end());
  std::sort(result.special.begin(), result.special.end());
  return result;
}

}  // namespace aicactl::core
