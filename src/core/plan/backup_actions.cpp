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

}  // namespace aicactl::core::detail
