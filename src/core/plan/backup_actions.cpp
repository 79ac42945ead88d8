// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/plan/backup_actions.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#include "aicactl/os/atomic_file.hpp"
#include "aicactl/os/btrfs.hpp"
#include "aicactl/os/entry_ops.hpp"
#include "aicactl/os/expected.hpp"
#include "aicactl/os/fs.hpp"
#include "aicactl/os/process.hpp"
#include "aicactl/os/text.hpp"
#include "aicactl/os/tree_ops.hpp"

namespace aicactl::core::detail {
namespace {

// The first difference between a live home and its copy, "" when none.
std::string first_difference(const os::TreeDigest& live, const os::TreeDigest& copy) {
  if (live.size() != copy.size()) {
    return std::to_string(live.size()) + " entries in the home, " + std::to_string(copy.size()) + " in the snapshot";
  }
  for (const auto& [path, entry] : live) {
    const auto it = copy.find(path);
    if (it == copy.end()) {
      return "'" + path + "' is missing";
    }
    if (!(it->second == entry)) {
      return "'" + path + "' differs";
    }
  }
  return "";
}

os::Result<void> verify_copy(const std::string& live, const std::string& copy) {
  auto a = os::digest_tree(live);
  AICACTL_RETURN_IF_ERROR(a);
  auto b = os::digest_tree(copy);
  AICACTL_RETURN_IF_ERROR(b);
  if (auto why = first_difference(*a, *b); !why.empty()) {
    return os::fail("verify the snapshot (" + why + ")", copy, EIO);
  }
  return {};
}

os::Result<os::ProcessResult> run_checked(const std::vector<std::string>& argv, const std::string& target) {
  auto r = os::run_program(argv);
  if (r && r->exit_code != 0) {
    return os::fail(argv.front() + " (" + std::string(os::trim(r->err)) + ") for", target, 0);
  }
  return r;
}

}  // namespace

os::Result<os::UniqueFd> open_backup_dir(const std::string& dir) {
  const std::string parent_path = dir.substr(0, dir.find_last_of('/'));
  const std::string name = dir.substr(dir.find_last_of('/') + 1);
  auto grand = os::open_parent(parent_path);
  AICACTL_RETURN_IF_ERROR(grand);
  if (auto r = os::ensure_dir_at(grand->first.get(), grand->second.c_str(), 0700, parent_path); !r) {
    return std::unexpected(r.error());
  }
  auto top = os::open_dir_at(grand->first.get(), grand->second.c_str(), parent_path);
  AICACTL_RETURN_IF_ERROR(top);
  if (auto r = os::ensure_dir_at(top->get(), name.c_str(), 0700, dir); !r) {
    return std::unexpected(r.error());
  }
  return os::open_dir_at(top->get(), name.c_str(), dir);
}

os::Result<void> apply_snapshot_homes(const SnapshotHomes& a) {
  auto users = os::open_dir(a.users_dir);
  AICACTL_RETURN_IF_ERROR(users);
  auto term = open_backup_dir(a.term_dir);
  AICACTL_RETURN_IF_ERROR(term);
  const std::string snap = os::join_path(a.term_dir, "users");
  if (auto st = os::stat_at(term->get(), "users"); !st) {
    if (auto r = os::snapshot_subvolume(users->get(), term->get(), "users", os::SnapshotMode::read_only, snap); !r) {
      return r;
    }
  }
  for (const auto& user : a.users) {
    const std::string live = os::join_path(a.users_dir, user);
    std::string copy = os::join_path(snap, user);
    auto home = os::open_dir_at(users->get(), user.c_str(), live);
    AICACTL_RETURN_IF_ERROR(home);
    if (os::is_subvolume(home->get()).value_or(false)) {
      // A home with a quota is a subvolume of its own: the users snapshot holds only its mount point.
      copy = os::join_path(a.term_dir, user);
      if (auto st = os::stat_at(term->get(), user.c_str()); !st) {
        if (auto r = os::snapshot_subvolume(home->get(), term->get(), user, os::SnapshotMode::read_only, copy); !r) {
          return r;
        }
      }
    }
    if (auto r = verify_copy(live, copy); !r) {
      return r;
    }
  }
  return {};
}

os::Result<void> apply_archive_home_tar(const ArchiveHomeTar& a) {
  auto term = open_backup_dir(a.term_dir);
  AICACTL_RETURN_IF_ERROR(term);
  const std::string name = a.user + ".tar.zst";
  const std::string partial = "." + name + ".partial";
  const std::string archive = os::join_path(a.term_dir, name);
  const std::string temp = os::join_path(a.term_dir, partial);
  auto cleanup = [&] { (void)os::unlink_at(term->get(), partial.c_str(), temp); };
  auto made = run_checked({"tar", "--create", "--zstd", "--acls", "--xattrs", "--xattrs-include=*", "--numeric-owner",
                           "--one-file-system", "--file", temp, "--directory", a.users_dir, "--", a.user},
                          archive);
  if (!made) {
    cleanup();
    return std::unexpected(made.error());
  }
  auto listing = run_checked({"tar", "--list", "--zstd", "--file", temp}, archive);
  auto live = os::digest_tree(os::join_path(a.users_dir, a.user));
  if (!listing || !live) {
    cleanup();
    return std::unexpected(!listing ? listing.error() : live.error());
  }
  // One line per entry, the home's own directory included.
  const auto listed = static_cast<std::size_t>(std::ranges::count(listing->out, '\n'));
  if (listed != live->size() + 1) {
    cleanup();
    return os::fail("verify the archive (" + std::to_string(listed) + " entries listed, " +
                        std::to_string(live->size() + 1) + " in the home)",
                    archive, EIO);
  }
  auto sum = run_checked({"sha256sum", "--", temp}, archive);
  if (!sum || sum->out.size() < 64) {
    cleanup();
    return sum ? os::fail("read the sha256 of", archive, EIO) : std::unexpected(sum.error());
  }
  if (auto r = os::write_file_atomically(archive + ".sha256", sum->out.substr(0, 64) + "  " + name + "\n", 0600, 0, 0);
      !r) {
    cleanup();
    return r;
  }
  if (auto r = os::chmod_at(term->get(), partial.c_str(), 0600, temp); !r) {
    cleanup();
    return r;
  }
  if (auto r = os::sync_file_at(term->get(), partial.c_str(), temp); !r) {
    cleanup();
    return r;
  }
  return os::rename_at(term->get(), partial.c_str(), term->get(), name.c_str(), temp, archive);
}

os::Result<void> apply_empty_home(const EmptyHome& a) {
  const std::string shown = os::join_path(a.users_dir, a.user);
  auto users = os::open_dir(a.users_dir);
  AICACTL_RETURN_IF_ERROR(users);
  auto home = os::open_dir_at(users->get(), a.user.c_str(), shown);
  if (!home) {
    return home.error().code == ENOENT ? os::Result<void>{} : std::unexpected(home.error());
  }
  const os::EmptyTreeSummary summary = os::empty_tree_fd(home->get(), shown, os::EmptyTreeOptions{});
  if (!summary.errors.empty()) {
    return std::unexpected(summary.errors.front());
  }
  if (!summary.mounts_skipped.empty()) {
    return os::fail("empty (another mount inside: '" + summary.mounts_skipped.front() + "')", shown, EXDEV);
  }
  if (os::is_subvolume(home->get()).value_or(false)) {
    home->reset();
    return os::delete_subvolume(users->get(), a.user, shown);
  }
  return os::remove_empty_dir_at(users->get(), a.user.c_str(), shown);
}

os::Result<void> apply_remove_path(const RemovePath& a) {
  auto parent = os::open_parent(a.path);
  if (!parent) {
    return parent.error().code == ENOENT ? os::Result<void>{} : std::unexpected(parent.error());
  }
  auto here = os::stat_fd(parent->first.get());
  auto entry = os::stat_at(parent->first.get(), parent->second.c_str());
  if (!entry) {
    return entry.error().code == ENOENT ? os::Result<void>{} : std::unexpected(entry.error());
  }
  if (!here || (entry->is_dir() && !os::on_mount_of(*entry, here->dev, here->mnt_id))) {
    return os::fail("remove (it is another mount)", a.path, EXDEV);
  }
  return os::remove_tree_at(parent->first.get(), parent->second.c_str(), a.path);
}

std::string term_entry_problem(const std::string& name, bool is_regular, bool is_subvolume) {
  if (is_subvolume) {
    return name.front() == '.' ? "a snapshot term close does not make" : "";
  }
  if (!is_regular) {
    return "neither a regular file nor a snapshot";
  }
  const bool ours = name.front() == '.' ? name.ends_with(".tar.zst.partial")
                                        : name.ends_with(".tar.zst") || name.ends_with(".tar.zst.sha256");
  return ours ? "" : "a file term close does not make";
}

os::Result<void> apply_delete_term_backup(const DeleteTermBackup& a) {
  const std::string shown = os::join_path(a.backup_dir, a.term);
  auto top = os::open_dir(a.backup_dir);
  AICACTL_RETURN_IF_ERROR(top);
  auto term = os::open_dir_at(top->get(), a.term.c_str(), shown);
  if (!term) {
    return term.error().code == ENOENT ? os::Result<void>{} : std::unexpected(term.error());
  }
  auto names = os::list_dir(term->get(), shown);
  AICACTL_RETURN_IF_ERROR(names);
  // Everything is looked at before anything goes: a term holding something else stays whole.
  std::vector<std::pair<std::string, bool>> entries;  // (name, is a subvolume)
  for (const auto& name : *names) {
    const std::string path = os::join_path(shown, name);
    auto st = os::stat_at(term->get(), name.c_str());
    AICACTL_RETURN_IF_ERROR(st);
    bool subvolume = false;
    if (st->is_dir()) {
      auto sub = os::open_dir_at(term->get(), name.c_str(), path);
      AICACTL_RETURN_IF_ERROR(sub);
      subvolume = os::is_subvolume(sub->get()).value_or(false);
    }
    if (auto why = term_entry_problem(name, st->is_regular(), subvolume); !why.empty()) {
      return os::fail("prune (it holds '" + name + "', " + why + "; the term is left as it is)", shown, 0);
    }
    entries.emplace_back(name, subvolume);
  }
  for (const auto& [name, subvolume] : entries) {
    const std::string path = os::join_path(shown, name);
    if (!subvolume) {
      if (auto r = os::unlink_at(term->get(), name.c_str(), path); !r) {
        return r;
      }
      continue;
    }
    {
      auto sub = os::open_dir_at(term->get(), name.c_str(), path);
      AICACTL_RETURN_IF_ERROR(sub);
      if (auto r = os::set_subvolume_read_only(sub->get(), false, path); !r) {
        return r;
      }
    }
    if (auto r = os::delete_subvolume(term->get(), name, path); !r) {
      return r;
    }
  }
  term->reset();
  return os::remove_empty_dir_at(top->get(), a.term.c_str(), shown);
}

namespace {

// A staging entry of ours (a killed run's, or this run's after a failure) in the root-owned users dir.
os::Result<void> remove_staging(int users_fd, const std::string& name, const std::string& shown) {
  auto st = os::stat_at(users_fd, name.c_str());
  if (!st) {
    return st.error().code == ENOENT ? os::Result<void>{} : std::unexpected(st.error());
  }
  if (st->is_dir()) {
    auto fd = os::open_dir_at(users_fd, name.c_str(), shown);
    AICACTL_RETURN_IF_ERROR(fd);
    if (os::is_subvolume(fd->get()).value_or(false)) {
      fd->reset();
      return os::delete_subvolume(users_fd, name, shown);
    }
  }
  return os::remove_tree_at(users_fd, name.c_str(), shown);
}

// The copy into `staging` (made here), verified; returns the path of the home inside it.
os::Result<std::string> copy_backup(const RestoreHome& a, int users_fd, const std::string& staging,
                                    const std::string& staging_path) {
  if (a.source == RestoreSource::home_snapshot) {
    auto src = os::open_dir(a.from);
    AICACTL_RETURN_IF_ERROR(src);
    auto r = os::snapshot_subvolume(src->get(), users_fd, staging, os::SnapshotMode::writable, staging_path);
    AICACTL_RETURN_IF_ERROR(r);
    auto v = verify_copy(a.from, staging_path);
    AICACTL_RETURN_IF_ERROR(v);
    return staging_path;
  }
  if (a.source == RestoreSource::users_snapshot) {
    // cp -a keeps hard links, ACLs, xattrs and numeric owners, never follows a link; both ends
    // are root-only (the read-only snapshot, the staging name in the root-owned users dir).
    auto r =
        run_checked({"cp", "-a", "--reflink=auto", "--no-target-directory", "--", a.from, staging_path}, staging_path);
    AICACTL_RETURN_IF_ERROR(r);
    auto v = verify_copy(a.from, staging_path);
    AICACTL_RETURN_IF_ERROR(v);
    return staging_path;
  }
  auto dir = os::mkdir_at(users_fd, staging.c_str(), 0700, staging_path);
  AICACTL_RETURN_IF_ERROR(dir);
  auto made = run_checked({"tar", "--extract", "--zstd", "--acls", "--xattrs", "--xattrs-include=*", "--numeric-owner",
                           "--same-permissions", "--same-owner", "--file", a.from, "--directory", staging_path},
                          a.from);
  AICACTL_RETURN_IF_ERROR(made);
  auto listing = run_checked({"tar", "--list", "--zstd", "--file", a.from}, a.from);
  AICACTL_RETURN_IF_ERROR(listing);
  const std::string home = os::join_path(staging_path, a.user);
  auto copy = os::digest_tree(home);
  AICACTL_RETURN_IF_ERROR(copy);
  std::size_t listed = 0;
  for (std::size_t at = 0; at < listing->out.size(); ++listed) {
    const std::size_t end = std::min(listing->out.find('\n', at), listing->out.size());
    if (listing->out.compare(at, a.user.size() + 1, a.user + "/") != 0) {
      return os::fail("restore (an entry outside '" + a.user + "/' in the archive)", a.from, EIO);
    }
    at = end + 1;
  }
  // One line per entry, the home's own directory included.
  if (listed != copy->size() + 1) {
    return os::fail("verify the restored copy (" + std::to_string(listed) + " entries listed, " +
                        std::to_string(copy->size() + 1) + " extracted)",
                    home, EIO);
  }
  return home;
}

}  // namespace

os::Result<void> apply_restore_home(const RestoreHome& a) {
  const std::string staging = "." + a.user + ".restore";
  const std::string staging_path = os::join_path(a.users_dir, staging);
  const std::string home = os::join_path(a.users_dir, a.user);
  auto users = os::open_dir(a.users_dir);
  AICACTL_RETURN_IF_ERROR(users);
  auto old = remove_staging(users->get(), staging, staging_path);  // a killed run's
  AICACTL_RETURN_IF_ERROR(old);
  auto restored = copy_backup(a, users->get(), staging, staging_path);
  if (restored && (a.from_uid != a.to_uid || a.from_gid != a.to_gid)) {
    // The copy is fresh: each of its hard links lies inside it, so no file outside changes owner.
    if (auto r = os::reown_tree(*restored, a.from_uid, a.from_gid, a.to_uid, a.to_gid); !r) {
      restored = std::unexpected(r.error());
    }
  }
  if (restored) {
    // cp and tar do not fsync: the copy is on disk (syncfs) before its name says it is complete.
    if (auto r = run_checked({"sync", "--file-system", "--", *restored}, *restored); !r) {
      restored = std::unexpected(r.error());
    }
  }
  if (restored) {
    // rename(2) replaces only an empty directory: a home that gained files since is never overwritten.
    const bool nested = a.source == RestoreSource::tar;
    auto from = nested ? os::open_dir_at(users->get(), staging.c_str(), staging_path) : os::open_dir(a.users_dir);
    auto r = from ? os::rename_at(from->get(), nested ? a.user.c_str() : staging.c_str(), users->get(), a.user.c_str(),
                                  *restored, home)
                  : std::unexpected(from.error());
    if (r) {
      return nested ? os::remove_empty_dir_at(users->get(), staging.c_str(), staging_path) : r;
    }
    restored = std::unexpected(r.error());
  }
  (void)remove_staging(users->get(), staging, staging_path);
  return std::unexpected(restored.error());
}

}  // namespace aicactl::core::detail
