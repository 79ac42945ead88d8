// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/plan/user_actions.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <random>
#include <ranges>
#include <thread>

#include "aicactl/os/accounts.hpp"
#include "aicactl/os/atomic_file.hpp"
#include "aicactl/os/btrfs.hpp"
#include "aicactl/os/entry_ops.hpp"
#include "aicactl/os/expected.hpp"
#include "aicactl/os/fs.hpp"
#include "aicactl/os/process.hpp"
#include "aicactl/os/text.hpp"
#include "aicactl/os/tree_ops.hpp"
#include "aicactl/os/walk.hpp"

namespace aicactl::core {
namespace {
std::atomic<os::WalkProgress*> home_copy_progress{nullptr};
}  // namespace

HomeCopyProgress::HomeCopyProgress(os::WalkProgress* progress) {
  home_copy_progress.store(progress);
}
HomeCopyProgress::~HomeCopyProgress() {
  home_copy_progress.store(nullptr);
}

namespace detail {
namespace {

// Counts a running copy into the display's progress from the growth of the target file
// system's used inodes and blocks (see HomeCopyProgress), every 100 ms until it is destroyed.
class CopySampler {
 public:
  CopySampler(int target_fd, os::WalkProgress* progress) : fd_(target_fd), progress_(progress) {
    if (progress_ == nullptr || !sample(start_)) {
      return;
    }
    thread_ = std::jthread([this](const std::stop_token& stop) {
      while (!stop.stop_requested()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        count();
      }
    });
  }
  CopySampler(const CopySampler&) = delete;
  CopySampler& operator=(const CopySampler&) = delete;
  CopySampler(CopySampler&&) = delete;
  CopySampler& operator=(CopySampler&&) = delete;
  ~CopySampler() {
    if (thread_.joinable()) {
      thread_.request_stop();
      thread_.join();
      count();  // the whole copy, however short
    }
  }

 private:
  void count() const {
    Usage now;
    if (sample(now)) {
      progress_->entries.store(now.inodes > start_.inodes ? now.inodes - start_.inodes : 0);
      progress_->bytes.store(now.bytes > start_.bytes ? now.bytes - start_.bytes : 0);
    }
  }

  struct Usage {
    std::uint64_t inodes = 0;
    std::uint64_t bytes = 0;
  };
  bool sample(Usage& u) const {
    struct statfs st {};
    if (::fstatfs(fd_, &st) != 0) {
      return false;
    }
    u.inodes = st.f_files >= st.f_ffree ? st.f_files - st.f_ffree : 0;
    u.bytes = (st.f_blocks >= st.f_bfree ? st.f_blocks - st.f_bfree : 0) * static_cast<std::uint64_t>(st.f_frsize);
    return true;
  }

  int fd_;
  os::WalkProgress* progress_;
  Usage start_;
  std::jthread thread_;  // last: joined before the members it reads go
};

std::string random_suffix() {
  std::random_device rd;
  return std::to_string(rd());
}

// Gives every entry below `root` (a fresh, still root-only tree) to uid:gid, by fd.
os::Result<void> chown_tree(const std::string& root, uid_t uid, gid_t gid) {
  std::string first_error;
  auto summary = os::walk_tree(root, os::WalkOptions{1}, [&](const os::WalkEntry& e) {
    if (e.depth == 0) {
      return;
    }
    const auto r = e.fd >= 0 ? os::chown_fd(e.fd, uid, gid, "") : os::chown_at(e.dirfd, e.name, uid, gid, "");
    if (!r && first_error.empty()) {
      first_error = e.path();
    }
  });
  AICACTL_RETURN_IF_ERROR(summary);
  if (!first_error.empty()) {
    return os::fail("change owner of", first_error, EPERM);
  }
  return {};
}

// Copies `from` into a stage dir below `to_fd` with cp -a, verifies the copy against the
// original by digest, then renames each top-level entry into place. The original is untouched
// until the caller removes it; on failure the stage is removed.
os::Result<void> copy_verified(const std::string& from, int to_fd, const std::string& to,
                               const std::vector<std::string>& names) {
  const std::string stage_name = ".aicactl-migrate-" + random_suffix();
  const std::string stage = os::join_path(to, stage_name);
  if (auto made = os::mkdir_at(to_fd, stage_name.c_str(), 0700, stage); !made) {
    return made;
  }
  auto cleanup = [&] { (void)os::remove_tree_at(to_fd, stage_name.c_str(), stage); };
  {
    const CopySampler sampler(to_fd, home_copy_progress.load());
    if (auto r = run_tool({"cp", "-a", "--", from + "/.", stage + "/"}, from); !r) {
      cleanup();
      return r;
    }
  }
  auto original = os::digest_tree(from);
  auto copy = os::digest_tree(stage);
  if (!original || !copy || *original != *copy) {
    cleanup();
    return os::fail("verify the copy of", from, EIO);
  }
  auto stage_fd = os::open_dir_at(to_fd, stage_name.c_str(), stage);
  if (!stage_fd) {
    cleanup();
    return std::unexpected(stage_fd.error());
  }
  std::vector<std::string> placed;
  for (const auto& n : names) {
    if (auto r = os::rename_at(stage_fd->get(), n.c_str(), to_fd, n.c_str(), n, n); !r) {
      const int err = r.error().code;
      for (const auto& p : placed) {  // back into the stage: the target is left as it was
        (void)os::rename_at(to_fd, p.c_str(), stage_fd->get(), p.c_str(), p, p);
      }
      cleanup();
      return os::fail("move into place", os::join_path(to, n), err);
    }
    placed.push_back(n);
  }
  cleanup();
  return {};
}

// Renames every entry of `from_fd` into `to_fd`: true when all moved, false when a rename failed
// with EXDEV (what had moved is put back: the caller copies instead). Any failure puts back what
// had moved, so a home is never left half in each place.
os::Result<bool> move_all(int from_fd, const std::string& from, int to_fd, const std::string& to,
                          const std::vector<std::string>& names) {
  std::vector<std::string> moved;
  for (const auto& n : names) {
    auto r = os::rename_at(from_fd, n.c_str(), to_fd, n.c_str(), n, n);
    if (r) {
      moved.push_back(n);
      continue;
    }
    const int err = r.error().code;
    std::string stuck;
    for (const auto& name : std::views::reverse(moved)) {
      if (!os::rename_at(to_fd, name.c_str(), from_fd, name.c_str(), name, name)) {
        stuck += (stuck.empty() ? "" : ", ") + name;
      }
    }
    if (!stuck.empty()) {
      return os::fail("move into '" + to + "' (and to move back " + stuck + ", now in '" + to + "')",
                      os::join_path(from, n), err);
    }
    if (err == EXDEV) {
      return false;
    }
    return os::fail("move into '" + to + "' (nothing was moved)", os::join_path(from, n), err);
  }
  return true;
}

}  // namespace

os::Result<void> apply_create_account(const CreateAccount& a) {
  if (os::find_user(a.name)) {
    return {};
  }
  std::vector<std::string> argv = {"useradd", "-M", "-d", a.home};
  if (a.uid) {
    argv.insert(argv.end(), {"-u", std::to_string(*a.uid)});
  }
  if (a.primary_group.empty()) {
    argv.emplace_back("-U");
  } else {
    argv.insert(argv.end(), {"-g", a.primary_group});
  }
  if (!a.groups.empty()) {
    argv.insert(argv.end(), {"-G", os::join(a.groups, ",")});
  }
  if (!a.shell.empty()) {
    argv.insert(argv.end(), {"-s", a.shell});
  }
  if (!a.expires.empty()) {
    argv.insert(argv.end(), {"-e", a.expires});
  }
  argv.emplace_back("--");
  argv.push_back(a.name);
  return run_tool(argv, a.name);
}

os::Result<void> apply_add_to_group(const AddToGroup& a) {
  // gpasswd edits /etc/group directly, so it also works for users that come from LDAP/SSSD.
  return run_tool({"gpasswd", "-a", a.user, a.group}, a.user);
}

os::Result<void> apply_create_home(const CreateHome& a) {
  auto owner = owner_of(a.user);
  AICACTL_RETURN_IF_ERROR(owner);
  auto parent = os::open_parent(a.path);
  AICACTL_RETURN_IF_ERROR(parent);
  const char* name = parent->second.c_str();
  // Root-only while it is being filled, handed over last: the user cannot race the seeding.
  bool resumed = false;
  auto made = a.subvolume ? os::create_subvolume(parent->first.get(), parent->second, a.path)
                          : os::mkdir_at(parent->first.get(), name, 0700, a.path);
  if (!made) {
    if (made.error().code != EEXIST) {
      return made;
    }
    resumed = true;  // an interrupted creation: still root's, so everything in it is ours
  }
  auto fd = os::open_dir_at(parent->first.get(), name, a.path);
  AICACTL_RETURN_IF_ERROR(fd);
  if (a.subvolume && !resumed) {  // a fresh subvolume is 0755: root-only too while it is filled
    auto closed = os::chmod_fd(fd->get(), 0700, a.path);
    AICACTL_RETURN_IF_ERROR(closed);
  }
  if (resumed) {
    auto info = os::stat_fd(fd->get());
    if (!info || info->uid != 0) {
      return os::fail("finish home (it is not root's any more)", a.path, EEXIST);
    }
    if (auto r = chown_tree(a.path, owner->first, owner->second); !r) {
      return r;
    }
  }
  if (a.seed && ::access("/etc/skel", F_OK) == 0) {
    if (auto r = run_tool({"cp", "-a", "--no-preserve=ownership", "--", "/etc/skel/.", a.path + "/"}, a.path); !r) {
      return r;
    }
    if (auto r = chown_tree(a.path, owner->first, owner->second); !r) {
      return r;
    }
  }
  if (auto r = os::chown_fd(fd->get(), owner->first, owner->second, a.path); !r) {
    return r;
  }
  return os::chmod_fd(fd->get(), a.mode, a.path);
}

os::Result<void> apply_migrate_home(const MigrateHome& a) {
  auto from_parent = os::open_parent(a.from);
  AICACTL_RETURN_IF_ERROR(from_parent);
  auto from_fd = os::open_dir_at(from_parent->first.get(), from_parent->second.c_str(), a.from);
  auto to_fd = os::open_dir(a.to);
  if (!from_fd || !to_fd) {
    return std::unexpected(!from_fd ? from_fd.error() : to_fd.error());
  }
  auto listed = os::list_dir(from_fd->get(), a.from);
  if (!listed) {
    return std::unexpected(listed.error());  // never go on to remove what could not be listed
  }
  const std::vector<std::string>& names = *listed;
  std::string conflicts;
  for (const auto& n : names) {
    if (os::stat_at(to_fd->get(), n.c_str())) {
      conflicts += (conflicts.empty() ? "" : ", ") + n;
    }
  }
  if (!conflicts.empty()) {
    return os::fail("move '" + a.from + "' (already in the target, nothing was moved: " + conflicts + ") into", a.to,
                    EEXIST);
  }
  // Renamed when the kernel lets us, copied and verified when it says EXDEV: two mounts of one
  // file system have the same st_dev, yet rename between them fails, so only trying tells.
  auto moved = move_all(from_fd->get(), a.from, to_fd->get(), a.to, names);
  AICACTL_RETURN_IF_ERROR(moved);
  if (!*moved && !names.empty()) {
    if (auto r = copy_verified(a.from, to_fd->get(), a.to, names); !r) {
      return r;
    }
  }
  // Everything is safe on /data now: the original goes (by fd, never following a link).
  from_fd->reset();
  return os::remove_tree_at(from_parent->first.get(), from_parent->second.c_str(), a.from);
}

os::Result<void> apply_set_home_quota(const SetHomeQuota& a) {
  auto fd = os::open_dir(a.path);
  AICACTL_RETURN_IF_ERROR(fd);
  auto sub = os::is_subvolume(fd->get());
  AICACTL_RETURN_IF_ERROR(sub);
  if (!*sub) {
    return os::fail("set the quota of (not a btrfs subvolume)", a.path, EINVAL);
  }
  auto id = os::subvolume_id(fd->get());
  AICACTL_RETURN_IF_ERROR(id);
  if (a.bytes != 0) {
    auto enabled = os::enable_quota(fd->get(), a.path);
    AICACTL_RETURN_IF_ERROR(enabled);
  } else if (auto now = os::qgroup_usage(fd->get(), *id); !now && now.error().code == ENOENT) {
    return {};  // quotas are off: there is no limit to lift
  }
  return os::limit_qgroup(fd->get(), *id, a.bytes, a.path);
}

os::Result<void> apply_convert_home(const ConvertHome& a) {
  auto parent = os::open_parent(a.path);
  AICACTL_RETURN_IF_ERROR(parent);
  const int pfd = parent->first.get();
  const std::string& name = parent->second;
  const std::string dir = a.path.substr(0, a.path.size() - name.size());
  const std::string stage = "." + name + ".quota";
  const std::string old = "." + name + ".quota-old";
  const std::string stage_path = dir + stage;
  const std::string old_path = dir + old;
  auto home = os::open_dir_at(pfd, name.c_str(), a.path);
  AICACTL_RETURN_IF_ERROR(home);
  auto done = os::is_subvolume(home->get());
  AICACTL_RETURN_IF_ERROR(done);
  if (*done) {  // swapped in by an interrupted run: only the old tree may be left
    if (os::stat_at(pfd, old.c_str())) {
      return os::remove_tree_at(pfd, old.c_str(), old_path);
    }
    return {};
  }
  auto info = os::stat_fd(home->get());
  AICACTL_RETURN_IF_ERROR(info);
  if (os::stat_at(pfd, stage.c_str())) {  // a copy an interrupted run left: ours, made again
    auto gone = os::delete_subvolume(pfd, stage, stage_path);
    AICACTL_RETURN_IF_ERROR(gone);
  }
  auto made = os::create_subvolume(pfd, stage, stage_path);
  AICACTL_RETURN_IF_ERROR(made);
  auto discard = [&] { (void)os::delete_subvolume(pfd, stage, stage_path); };
  auto stage_fd = os::open_dir_at(pfd, stage.c_str(), stage_path);
  if (!stage_fd || !os::chmod_fd(stage_fd->get(), 0700, stage_path)) {
    discard();
    return os::fail("prepare", stage_path, EIO);
  }
  auto copied =
      run_tool({"cp", "-a", "--one-file-system", "--reflink=always", "--", a.path + "/.", stage_path + "/"}, a.path);
  if (!copied) {
    discard();
    return copied;
  }
  auto owned = os::chown_fd(stage_fd->get(), info->uid, info->gid, stage_path);
  auto moded = owned ? os::chmod_fd(stage_fd->get(), info->perms(), stage_path) : owned;
  auto original = os::digest_tree(a.path);
  auto copy = os::digest_tree(stage_path);
  if (!moded || !original || !copy || *original != *copy) {
    discard();
    return os::fail("verify the copy of", a.path, EIO);
  }
  stage_fd->reset();
  home->reset();
  auto aside = os::rename_at(pfd, name.c_str(), pfd, old.c_str(), a.path, old_path);
  if (!aside) {
    discard();
    return aside;
  }
  if (auto in = os::rename_at(pfd, stage.c_str(), pfd, name.c_str(), stage_path, a.path); !in) {
    (void)os::rename_at(pfd, old.c_str(), pfd, name.c_str(), old_path, a.path);
    discard();
    return in;
  }
  return os::remove_tree_at(pfd, old.c_str(), old_path);
}

os::Result<void> apply_make_symlink(const MakeSymlink& a) {
  auto parent = os::open_parent(a.link);
  AICACTL_RETURN_IF_ERROR(parent);
  const int pfd = parent->first.get();
  const char* name = parent->second.c_str();
  if (auto info = os::stat_at(pfd, name); info && info->is_dir()) {
    if (auto r = os::remove_empty_dir_at(pfd, name, a.link); !r) {  // only an empty directory goes
      return os::fail("replace directory with a link", a.link, r.error().code);
    }
  } else if (info && !info->is_symlink()) {  // a file that appeared since the plan stays
    return os::fail("replace (exists and is not a symlink)", a.link, EEXIST);
  }
  const std::string temp = "." + parent->second + ".aicactl-" + random_suffix();
  if (auto r = os::symlink_at(a.target.c_str(), pfd, temp.c_str(), a.link); !r) {
    return r;
  }
  if (auto r = os::rename_at(pfd, temp.c_str(), pfd, name, temp, a.link); !r) {
    (void)os::unlink_at(pfd, temp.c_str(), temp);
    return os::fail("create link", a.link, r.error().code);
  }
  return {};
}

os::Result<void> apply_remove_link(const RemoveLink& a) {
  auto parent = os::open_parent(a.link);
  AICACTL_RETURN_IF_ERROR(parent);
  if (os::read_link(a.link) != a.target) {  // replaced since the plan: not ours to remove
    return os::fail("remove link (it no longer points to '" + a.target + "')", a.link, 0);
  }
  return os::unlink_at(parent->first.get(), parent->second.c_str(), a.link);
}

os::Result<void> apply_delete_account(const DeleteAccount& a) {
  auto r = os::run_program({"userdel", "--", a.name});
  AICACTL_RETURN_IF_ERROR(r);
  if (r->exit_code != 0) {
    return os::fail("delete account (userdel: " + r->err + ")", a.name, 0);
  }
  return {};
}

os::Result<void> apply_archive_home(const ArchiveHome& a) {
  auto root = os::open_dir(a.root);
  AICACTL_RETURN_IF_ERROR(root);
  if (auto made = os::ensure_dir_at(root->get(), "archive", 0700, os::join_path(a.root, "archive")); !made) {
    return made;
  }
  return os::rename_at(root->get(), a.from.c_str(), root->get(), a.to.c_str(), os::join_path(a.root, a.from),
                       os::join_path(a.root, a.to));
}

os::Result<void> apply_purge_home(const PurgeHome& a) {
  auto dir = os::open_dir(a.dir);
  AICACTL_RETURN_IF_ERROR(dir);
  return os::remove_tree_at(dir->get(), a.name.c_str(), os::join_path(a.dir, a.name));
}

os::Result<std::pair<uid_t, gid_t>> owner_of(const std::string& user) {
  auto u = os::find_user(user);
  if (!u) {
    return os::fail("find user", user, ENOENT);
  }
  return std::pair{u->uid, u->gid};
}

os::Result<void> run_tool(const std::vector<std::string>& argv, const std::string& target) {
  auto r = os::run_program(argv);
  AICACTL_RETURN_IF_ERROR(r);
  if (r->exit_code != 0) {
    return os::fail(argv.front() + " (" + std::string(os::trim(r->err)) + ") for", target, 0);
  }
  return {};
}

}  // namespace detail
}  // namespace aicactl::core
