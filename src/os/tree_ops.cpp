// SPDX-License-Identifier: Apache-2.0
#include "aicactl/os/tree_ops.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "aicactl/os/expected.hpp"
#include "aicactl/os/fd.hpp"
#include "aicactl/os/fs.hpp"
#include "aicactl/os/walk.hpp"

namespace aicactl::os {
namespace {

constexpr std::uint64_t kFnvOffset = 1469598103934665603ULL;
constexpr std::uint64_t kFnvPrime = 1099511628211ULL;

std::uint64_t fnv(std::uint64_t h, const char* data, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    h ^= static_cast<unsigned char>(data[i]);
    h *= kFnvPrime;
  }
  return h;
}

Result<void> remove_children(int fd, const std::string& shown, dev_t dev) {
  auto names = list_dir(fd, shown);
  AICACTL_RETURN_IF_ERROR(names);
  for (const auto& n : *names) {
    const std::string path = join_path(shown, n);
    auto info = stat_at(fd, n.c_str());
    if (!info) {
      if (info.error().code == ENOENT) {
        continue;
      }
      return fail("stat", path, info.error().code);
    }
    if (!info->is_dir()) {
      if (::unlinkat(fd, n.c_str(), 0) != 0 && errno != ENOENT) {
        return fail("remove", path);
      }
      continue;
    }
    if (info->dev != dev) {
      return fail("remove (another file system is mounted there)", path, EXDEV);
    }
    auto sub = open_dir_at(fd, n.c_str(), path);
    AICACTL_RETURN_IF_ERROR(sub);
    if (auto r = remove_children(sub->get(), path, dev); !r) {
      return r;
    }
    if (::unlinkat(fd, n.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
      return fail("remove directory", path);
    }
  }
  return {};
}

// One pass of empty_tree_fd. Each directory reports to its parent what it still holds and what
// went from it, so the parent can decide whether the directory itself goes and, when it stays,
// report its removed entries (when it goes, the directory alone is reported).
class TreeEmptier {
 public:
  TreeEmptier(const EmptyTreeOptions& options, EmptyTreeSummary& summary, const FileInfo& root)
      : options_(options), summary_(summary), root_dev_(root.dev), root_mnt_id_(root.mnt_id) {}

  struct Level {
    std::uint64_t left = 0;                          // entries that stay
    std::vector<std::pair<std::string, bool>> gone;  // path, is_dir
  };

  Level empty_dir(int fd, const std::string& shown, bool is_root) {
    Level level;
    auto names = list_dir(fd, shown);
    if (!names) {
      summary_.errors.push_back(names.error());
      level.left = 1;
      return level;
    }
    for (const auto& n : *names) {
      const bool kept = is_root && std::ranges::find(options_.keep, n) != options_.keep.end();
      if (kept || !handle_entry(fd, n, join_path(shown, n), level)) {
        ++level.left;  // kept by name, or not removed
      }
    }
    return level;
  }

  void report(const Level& level) const {
    if (options_.on_removed) {
      for (const auto& [path, is_dir] : level.gone) {
        options_.on_removed(path, is_dir);
      }
    }
  }

 private:
  [[nodiscard]] bool on_root_mount(const FileInfo& info) const { return on_mount_of(info, root_dev_, root_mnt_id_); }

  [[nodiscard]] bool old_enough(std::int64_t time) const { return !options_.cutoff || time < *options_.cutoff; }

  [[nodiscard]] bool removing() const { return options_.mode == RemoveMode::remove; }

  // Counts the blocks of a regular file when its last link goes: at once when removing (the
  // link count drops as we go), after as many names as it had links when only counting.
  void count_freed(const FileInfo& info) {
    if (!info.is_regular()) {
      return;
    }
    bool last = info.nlink <= 1;
    if (!last && !removing()) {
      last = ++links_seen_[{info.dev, info.ino}] >= info.nlink;
    }
    if (last) {
      summary_.bytes += info.blocks * 512;
      if (options_.progress != nullptr) {
        options_.progress->bytes.fetch_add(info.blocks * 512, std::memory_order_relaxed);
      }
    }
  }

  // Removes one entry (or a directory's content and then the directory); true when it went.
  bool handle_entry(int fd, const std::string& name, const std::string& path, Level& level) {
    auto info = stat_at(fd, name.c_str());
    if (!info) {
      if (info.error().code != ENOENT) {
        summary_.errors.push_back(fail("stat", path, info.error().code).error());
        return false;
      }
      return true;
    }
    if (options_.progress != nullptr) {
      options_.progress->entries.fetch_add(1, std::memory_order_relaxed);
    }
    if (!on_root_mount(*info)) {
      summary_.mounts_skipped.push_back(path);
      return false;
    }
    if (options_.keep_entry && options_.keep_entry(name, *info)) {
      return false;
    }
    if (!info->is_dir()) {
      if (!old_enough(info->atime) || !old_enough(info->mtime)) {
        return false;
      }
      if (removing() && ::unlinkat(fd, name.c_str(), 0) != 0) {
        return gone_anyway("remove", path);
      }
      ++summary_.files;
      count_freed(*info);
      level.gone.emplace_back(path, false);
      return true;
    }
    auto sub = open_dir_at(fd, name.c_str(), path);
    if (!sub) {
      if (sub.error().code == ENOENT) {
        return true;
      }
      summary_.errors.push_back(sub.error());
      return false;
    }
    // What was stat'ed may have been swapped since: trust only the directory we hold.
    auto held = stat_fd(sub->get());
    if (!held || !on_root_mount(*held)) {
      if (held) {
        summary_.mounts_skipped.push_back(path);
      } else {
        summary_.errors.push_back(held.error());
      }
      return false;
    }
    const Level inner = empty_dir(sub->get(), path, false);
    sub->reset();
    const bool goes = inner.left == 0 && (!inner.gone.empty() || old_enough(held->mtime));
    if (!goes || (removing() && ::unlinkat(fd, name.c_str(), AT_REMOVEDIR) != 0)) {
      report(inner);
      return goes ? gone_anyway("remove directory", path) : false;
    }
    ++summary_.directories;
    level.gone.emplace_back(path, true);
    return true;
  }

  // After a failed unlink: ENOENT means someone else removed it; ENOTEMPTY that a tool wrote
  // into the directory meanwhile (not an error: it stays); anything else is reported.
  bool gone_anyway(const char* op, const std::string& path) {
    const int err = errno;
    if (err == ENOENT) {
      return true;
    }
    if (err != ENOTEMPTY && err != EEXIST) {
      summary_.errors.push_back(fail(op, path, err).error());
    }
    return false;
  }

  const EmptyTreeOptions& options_;
  EmptyTreeSummary& summary_;
  dev_t root_dev_;
  std::uint64_t root_mnt_id_;
  std::map<std::pair<dev_t, std::uint64_t>, std::uint64_t> links_seen_;
};

}  // namespace

EmptyTreeSummary empty_tree_fd(int root_fd, const std::string& shown, const EmptyTreeOptions& options) {
  EmptyTreeSummary summary;
  auto root = stat_fd(root_fd);
  if (!root) {
    summary.errors.push_back(root.error());
    return summary;
  }
  TreeEmptier emptier(options, summary, *root);
  emptier.report(emptier.empty_dir(root_fd, shown, true));
  return summary;
}

Result<void> remove_tree_at(int dirfd, const char* name, const std::string& shown) {
  auto info = stat_at(dirfd, name);
  if (!info) {
    return info.error().code == ENOENT ? Result<void>{} : fail("stat", shown, info.error().code);
  }
  if (!info->is_dir()) {
    if (::unlinkat(dirfd, name, 0) != 0) {
      return fail("remove", shown);
    }
    return {};
  }
  auto fd = open_dir_at(dirfd, name, shown);
  AICACTL_RETURN_IF_ERROR(fd);
  if (auto r = remove_children(fd->get(), shown, info->dev); !r) {
    return r;
  }
  if (::unlinkat(dirfd, name, AT_REMOVEDIR) != 0) {
    return fail("remove directory", shown);
  }
  return {};
}

Result<TreeDigest> digest_tree(const std::string& root) {
  TreeDigest digest;
  std::mutex mutex;
  std::string first_error;
  const std::string prefix = root.back() == '/' ? root : root + "/";
  auto summary = walk_tree(root, WalkOptions{1}, [&](const WalkEntry& e) {
    if (e.depth == 0) {
      return;
    }
    const FileInfo& info = *e.info;
    TreeEntry t{info.mode, info.uid, info.gid, info.is_dir() ? 0 : info.size, kFnvOffset};
    if (info.is_regular()) {
      UniqueFd fd(::openat(e.dirfd, e.name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY));
      std::array<char, 65536> buf{};
      ssize_t n = 0;
      while (fd && (n = ::read(fd.get(), buf.data(), buf.size())) > 0) {
        t.hash = fnv(t.hash, buf.data(), static_cast<std::size_t>(n));
      }
      if (!fd || n < 0) {
        std::lock_guard lock(mutex);
        first_error = first_error.empty() ? e.path() : first_error;
      }
    } else if (info.is_symlink()) {
      std::array<char, 4096> buf{};
      const ssize_t n = ::readlinkat(e.dirfd, e.name, buf.data(), buf.size());
      t.hash = n > 0 ? fnv(t.hash, buf.data(), static_cast<std::size_t>(n)) : 0;
    }
    std::string rel = e.path().substr(prefix.size());
    std::lock_guard lock(mutex);
    digest.emplace(std::move(rel), t);
  });
  AICACTL_RETURN_IF_ERROR(summary);
  if (!summary->errors.empty()) {
    return std::unexpected(summary->errors.front());
  }
  if (!first_error.empty()) {
    return fail("read", first_error, EIO);
  }
  return digest;
}

Result<std::uint64_t> reown_tree(const std::string& root, uid_t from_uid, gid_t from_gid, uid_t to_uid, gid_t to_gid) {
  std::mutex mutex;
  std::uint64_t changed = 0;
  std::optional<OsError> first_error;
  auto summary = walk_tree(root, WalkOptions{1}, [&](const WalkEntry& e) {
    const FileInfo& info = *e.info;
    const uid_t uid = info.uid == from_uid ? to_uid : static_cast<uid_t>(-1);
    const gid_t gid = info.gid == from_gid ? to_gid : static_cast<gid_t>(-1);
    if (uid == static_cast<uid_t>(-1) && gid == static_cast<gid_t>(-1)) {
      return;
    }
    // A directory by its own fd (its parent's fd may not be held); anything else relative to its
    // directory, the link itself.
    auto r = e.fd >= 0 ? chown_fd(e.fd, uid, gid, e.depth == 0 ? root : e.path())
                       : chown_at(e.dirfd, e.name, uid, gid, e.path());
    std::lock_guard lock(mutex);
    if (!r) {
      first_error = first_error ? first_error : std::optional<OsError>(r.error());
    } else {
      ++changed;
    }
  });
  AICACTL_RETURN_IF_ERROR(summary);
  if (!summary->errors.empty()) {
    return std::unexpected(summary->errors.front());
  }
  if (first_error) {
    return std::unexpected(*first_error);
  }
  if (!summary->mounts_skipped.empty()) {
    return fail("change owners (another mount inside: '" + summary->mounts_skipped.front() + "')", root, EXDEV);
  }
  return changed;
}

}  // namespace aicactl::os
