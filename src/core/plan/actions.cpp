// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/plan/actions.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <tuple>

#include "aicactl/core/plan/shared_acl.hpp"
#include "aicactl/core/plan/user_actions.hpp"
#include "aicactl/os/accounts.hpp"
#include "aicactl/os/atomic_file.hpp"
#include "aicactl/os/btrfs.hpp"
#include "aicactl/os/entry_ops.hpp"
#include "aicactl/os/expected.hpp"
#include "aicactl/os/fs.hpp"
#include "aicactl/os/process.hpp"
#include "aicactl/os/text.hpp"

namespace aicactl::core {
namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

std::string octal(mode_t mode) {
  char buf[16];
  (void)std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777U));
  return buf;
}

const char* verb(Tense t, const char* future, const char* past) {
  return t == Tense::future ? future : past;
}

os::Result<gid_t> gid_of(const std::string& group) {
  if (group == "root") {
    return gid_t{0};
  }
  auto g = os::find_group(group);
  if (!g) {
    return os::fail("find group", group, ENOENT);
  }
  return g->gid;
}

// A directory an action changes: opened without following links, with the gid its group has
// now and its current stat.
struct TargetDir {
  os::UniqueFd fd;
  gid_t gid = 0;
  os::FileInfo info;
};

os::Result<TargetDir> open_target(const std::string& path, const std::string& group) {
  auto gid = gid_of(group);
  AICACTL_RETURN_IF_ERROR(gid);
  auto fd = os::open_dir(path);
  AICACTL_RETURN_IF_ERROR(fd);
  auto info = os::stat_fd(fd->get());
  AICACTL_RETURN_IF_ERROR(info);
  return TargetDir{std::move(*fd), *gid, *info};
}

os::Result<void> apply_create_group(const CreateGroup& a) {
  if (os::find_group(a.name)) {
    return {};
  }
  if (a.gid) {
    return detail::run_tool({"groupadd", "-g", std::to_string(*a.gid), "--", a.name}, a.name);
  }
  return detail::run_tool({"groupadd", "--", a.name}, a.name);
}

os::Result<void> apply_complete_account(const CompleteAccount& a) {
  constexpr long kSecondsPerDay = 86400;
  auto out = os::apply_account_batch(a.batch, "/etc", static_cast<long>(std::time(nullptr) / kSecondsPerDay));
  AICACTL_RETURN_IF_ERROR(out);
  if (!out->refused.empty()) {
    return os::fail(
        "complete the account files (" + out->refused.front().first + ": " + out->refused.front().second + ") for",
        a.name, 0);
  }
  return {};
}

os::Result<void> apply_create_directory(const CreateDirectory& a) {
  auto gid = gid_of(a.group);
  AICACTL_RETURN_IF_ERROR(gid);
  auto parent = os::open_parent(a.path);
  AICACTL_RETURN_IF_ERROR(parent);
  const char* name = parent->second.c_str();
  // Created closed, then opened by fd and given its owner and mode: the umask never matters.
  bool made = true;
  if (a.subvolume) {
    // A fresh subvolume is 0755 root; the fd steps below give it its owner and mode.
    if (auto r = os::create_subvolume(parent->first.get(), parent->second, a.path); !r) {
      if (r.error().code != EEXIST) {
        return r;
      }
      made = false;
    }
  } else if (auto r = os::mkdir_at(parent->first.get(), name, 0700, a.path); !r) {
    if (r.error().code != EEXIST) {
      return r;
    }
    made = false;
  }
  auto fd = os::open_dir_at(parent->first.get(), name, a.path);
  AICACTL_RETURN_IF_ERROR(fd);
  auto r = os::chown_fd(fd->get(), 0, *gid, a.path);
  if (r) {
    r = os::chmod_fd(fd->get(), a.mode, a.path);
  }
  if (!r && made) {
    // A create-only dir (/etc/conda) that exists is never fixed later: left at 0700 by a failed
    // chown it would stay so. Removed (it is empty: just made), the next run makes it again.
    (void)os::remove_empty_dir_at(parent->first.get(), name, a.path);
  }
  return r;
}

os::Result<void> apply_ownership(const SetOwnership& a) {
  auto dir = open_target(a.path, a.group);
  AICACTL_RETURN_IF_ERROR(dir);
  if (auto r = os::chown_fd(dir->fd.get(), 0, dir->gid, a.path); !r) {
    return r;
  }
  // chown may clear the setgid bit; put the mode back as it was.
  return os::chmod_fd(dir->fd.get(), dir->info.perms(), a.path);
}

os::Result<void> apply_mode(const SetMode& a) {
  auto fd = os::open_dir(a.path);
  AICACTL_RETURN_IF_ERROR(fd);
  return os::chmod_fd(fd->get(), a.mode, a.path);
}

os::Result<void> apply_acl(const SetSharedAcl& a) {
  auto dir = open_target(a.path, a.group);
  AICACTL_RETURN_IF_ERROR(dir);
  auto current = os::get_acl_at(dir->fd.get(), "", a.kind, a.path);
  AICACTL_RETURN_IF_ERROR(current);
  const os::Acl want = a.kind == os::AclKind::access ? want_access_acl(*current, dir->info.mode, dir->gid)
                                                     : want_default_acl(*current, dir->info.mode, dir->gid);
  if (*current && **current == want) {
    return {};
  }
  return os::set_acl_at(dir->fd.get(), "", a.kind, want, a.path);
}

os::Result<void> remove_file(const std::string& path) {
  auto parent = os::open_parent(path);
  AICACTL_RETURN_IF_ERROR(parent);
  return os::unlink_at(parent->first.get(), parent->second.c_str(), path);
}

std::string first_line(const os::ProcessResult& r) {
  std::string text = r.err.empty() ? r.out : r.err;
  text = text.substr(0, text.find('\n'));
  return text.empty() ? "exit status " + std::to_string(r.exit_code) : text;
}

os::Result<void> keep_old_copy(const WriteFile& a) {
  if (a.keep_old.empty()) {
    return {};
  }
  auto current = os::read_file(a.path);
  AICACTL_RETURN_IF_ERROR(current);
  if (!current->has_value()) {
    return {};
  }
  return os::write_file_atomically(a.keep_old, **current, 0600, 0, 0);
}

os::Result<void> apply_write_file(const WriteFile& a) {
  if (auto kept = keep_old_copy(a); !kept) {
    return kept;
  }
  uid_t uid = a.uid;
  gid_t gid = a.gid;
  if (!a.owner.empty()) {
    auto owner = detail::owner_of(a.owner);
    AICACTL_RETURN_IF_ERROR(owner);
    std::tie(uid, gid) = *owner;
  }
  return os::write_file_atomically(a.path, a.content, a.mode, uid, gid);
}

// The sudoers drop-in: validated alone in its temp file (its name has a dot, which sudo's
// includedir skips), renamed into place, then the whole policy is validated; when that fails the
// previous file (or none) is put back, so sudo keeps working as it did.
os::Result<void> apply_sudoers_file(const WriteFile& a) {
  const std::string visudo = os::find_program("visudo");
  if (visudo.empty()) {
    return os::fail("find visudo (is sudo installed?) to validate", a.path, ENOENT);
  }
  auto before = os::lstat_path(a.path);
  AICACTL_RETURN_IF_ERROR(before);
  std::optional<std::string> previous;
  if (*before) {
    if (!(*before)->is_regular()) {
      return os::fail("replace (not a regular file)", a.path, 0);
    }
    auto text = os::read_file(a.path);
    AICACTL_RETURN_IF_ERROR(text);
    previous = text->value_or("");
  }
  auto file = os::AtomicFile::create(a.path, a.mode, a.uid, a.gid);
  AICACTL_RETURN_IF_ERROR(file);
  if (auto w = file->write(a.content); !w) {
    return w;
  }
  auto alone = os::run_program({visudo, "-c", "-f", file->temp_path()});
  AICACTL_RETURN_IF_ERROR(alone);
  if (alone->exit_code != 0) {
    return os::fail("validate the new sudo rule (visudo -cf: " + first_line(*alone) + "), left unchanged:", a.path, 0);
  }
  if (auto kept = keep_old_copy(a); !kept) {
    return kept;
  }
  if (auto c = file->commit(); !c) {
    return c;
  }
  auto whole = os::run_program({visudo, "-c"});
  if (whole && whole->exit_code == 0) {
    return {};
  }
  const std::string why = whole ? "visudo -c: " + first_line(*whole) : whole.error().message();
  auto put_back = previous
                      ? os::write_file_atomically(a.path, *previous, (*before)->perms(), (*before)->uid, (*before)->gid)
                      : remove_file(a.path);
  if (!put_back) {
    return os::fail("validate the sudo policy (" + why + ") and put back the previous", a.path, 0);
  }
  if (!a.keep_old.empty()) {
    (void)remove_file(a.keep_old);  // the previous rule is back in place: nothing was replaced
  }
  return os::fail("validate the sudo policy with the new rule (" + why + "), put back the previous", a.path, 0);
}

}  // namespace

std::string describe(const Action& action, Tense t) {
  return std::visit(
      Overloaded{
          [&](const CreateGroup& a) {
            return std::string(verb(t, "Would create", "Created")) + " group " + os::quoted(a.name);
          },
          [&](const CreateDirectory& a) {
            return std::string(verb(t, "Would create", "Created")) +
                   (a.subvolume ? " btrfs subvolume " : " directory ") + os::quoted(a.path) + " (root:" + a.group +
                   " " + octal(a.mode) + ")";
          },
          [&](const SetOwnership& a) {
            return std::string(verb(t, "Would change", "Changed")) + " owner of " + os::quoted(a.path) +
                   " to root:" + a.group;
          },
          [&](const SetMode& a) {
            return std::string(verb(t, "Would change", "Changed")) + " mode of " + os::quoted(a.path) + " to " +
                   octal(a.mode);
          },
          [&](const SetSharedAcl& a) {
            return std::string(verb(t, "Would set", "Set")) +
                   (a.kind == os::AclKind::access ? " access ACL group:" : " default ACL group:") + a.group +
                   ":rwx on " + os::quoted(a.path);
          },
          [&](const WriteFile& a) {
            return std::string(a.replace ? verb(t, "Would update", "Updated") : verb(t, "Would write", "Wrote")) + " " +
                   os::quoted(a.path) + " (" + octal(a.mode) + ")" +
                   (a.keep_old.empty() ? std::string()
                                       : std::string(verb(t, ", keeping", ", kept")) + " the edited file as " +
                                             os::quoted(a.keep_old));
          },
          [&](const Conflict& a) { return "Cannot manage " + os::quoted(a.path) + ": " + a.reason; },
          [&](const CreateAccount& a) {
            return std::string(verb(t, "Would create", "Created")) + " account " + os::quoted(a.name) +
                   (a.uid ? " (uid " + std::to_string(*a.uid) + ")" : std::string());
          },
          [&](const AddToGroup& a) {
            return std::string(verb(t, "Would add", "Added")) + " " + os::quoted(a.user) + " to group " +
                   os::quoted(a.group);
          },
          [&](const CreateHome& a) {
            return std::string(verb(t, "Would create", "Created")) + " home " + os::quoted(a.path) + " (" + a.user +
                   " " + octal(a.mode) + (a.subvolume ? ", a btrfs subvolume" : "") +
                   (a.seed ? ", from /etc/skel)" : ")");
          },
          [&](const ConvertHome& a) {
            return std::string(verb(t, "Would make", "Made")) + " " + os::quoted(a.path) +
                   " a btrfs subvolume of its own (copied with reflinks and verified)";
          },
          [&](const SetHomeQuota& a) {
            return a.bytes == 0 ? std::string(verb(t, "Would lift", "Lifted")) + " the quota of " + os::quoted(a.path)
                                : std::string(verb(t, "Would limit", "Limited")) + " " + os::quoted(a.path) + " to " +
                                      os::human_size(a.bytes) + " (btrfs qgroup)";
          },
          [&](const MigrateHome& a) {
            return std::string(verb(t, "Would move", "Moved")) + " the content of " + os::quoted(a.from) + " into " +
                   os::quoted(a.to);
          },
          [&](const MakeSymlink& a) {
            return std::string(verb(t, "Would link", "Linked")) + " " + os::quoted(a.link) + " -> " +
                   os::quoted(a.target);
          },
          [&](const CompleteAccount& a) {
            std::string missing;
            for (const auto& m : a.missing) {
              missing += (missing.empty() ? "" : ", ") + m;
            }
            return std::string(verb(t, "Would complete", "Completed")) + " the half-written " + os::quoted(a.name) +
                   " (missing: " + missing + ")";
          },
          [&](const RemoveLeftover& a) {
            return std::string(verb(t, "Would remove", "Removed")) + " " + os::quoted(os::join_path(a.dir, a.name)) +
                   ", left by an interrupted run";
          },
          [&](const RemoveLink& a) {
            return std::string(verb(t, "Would remove", "Removed")) + " link " + os::quoted(a.link);
          },
          [&](const DeleteAccount& a) {
            return t == Tense::future ? "Would delete account " + os::quoted(a.name) + " (userdel, data kept)"
                                      : "Deleted account " + os::quoted(a.name) + " (data kept)";
          },
          [&](const ArchiveHome& a) {
            return std::string(verb(t, "Would move", "Moved")) + " " + os::quoted(os::join_path(a.root, a.from)) +
                   " to " + os::quoted(os::join_path(a.root, a.to));
          },
          [&](const PurgeHome& a) {
            return std::string(verb(t, "Would delete", "Deleted")) + " " + os::quoted(os::join_path(a.dir, a.name)) +
                   " and everything in it";
          },
          [&](const SnapshotHomes& a) {
            return std::string(verb(t, "Would snapshot", "Snapshotted")) + " " + os::quoted(a.users_dir) +
                   " read-only to " + os::quoted(os::join_path(a.term_dir, "users")) + " and verify " +
                   std::to_string(a.users.size()) + " home(s)";
          },
          [&](const ArchiveHomeTar& a) {
            return std::string(verb(t, "Would archive", "Archived")) + " " +
                   os::quoted(os::join_path(a.users_dir, a.user)) + " to " +
                   os::quoted(os::join_path(a.term_dir, a.user + ".tar.zst")) + " (verified, sha256)";
          },
          [&](const EmptyHome& a) {
            return std::string(verb(t, "Would empty and remove", "Emptied and removed")) + " " +
                   os::quoted(os::join_path(a.users_dir, a.user));
          },
          [&](const RemovePath& a) {
            return std::string(verb(t, "Would remove", "Removed")) + " " + os::quoted(a.path);
          },
          [&](const DeleteTermBackup& a) {
            return std::string(verb(t, "Would delete", "Deleted")) + " the term backup " +
                   os::quoted(os::join_path(a.backup_dir, a.term));
          },
          [&](const RestoreHome& a) {
            std::string owner;
            if (a.from_uid != a.to_uid || a.from_gid != a.to_gid) {
              owner = ", owner " + std::to_string(a.from_uid) + ":" + std::to_string(a.from_gid) + " -> " +
                      std::to_string(a.to_uid) + ":" + std::to_string(a.to_gid);
            }
            return std::string(verb(t, "Would restore", "Restored")) + " " +
                   os::quoted(os::join_path(a.users_dir, a.user)) + " from " + os::quoted(a.from) + " (verified" +
                   owner + ")";
          },
      },
      action);
}

std::string kind_of(const Action& action) {
  return std::visit(
      Overloaded{
          [](const CreateGroup&) { return "create-group"; },
          [](const CreateDirectory&) { return "create-directory"; },
          [](const SetOwnership&) { return "set-owner"; },
          [](const SetMode&) { return "set-mode"; },
          [](const SetSharedAcl& a) { return a.kind == os::AclKind::access ? "set-acl" : "set-default-acl"; },
          [](const WriteFile&) { return "write-file"; },
          [](const Conflict&) { return "conflict"; },
          [](const CreateAccount&) { return "create-account"; },
          [](const AddToGroup&) { return "add-to-group"; },
          [](const CreateHome&) { return "create-home"; },
          [](const MigrateHome&) { return "migrate-home"; },
          [](const MakeSymlink&) { return "link"; },
          [](const CompleteAccount&) { return "complete-account"; },
          [](const RemoveLeftover&) { return "remove-leftover"; },
          [](const RemoveLink&) { return "unlink"; },
          [](const DeleteAccount&) { return "delete-account"; },
          [](const ArchiveHome&) { return "archive"; },
          [](const PurgeHome&) { return "purge"; },
          [](const SnapshotHomes&) { return "snapshot"; },
          [](const ArchiveHomeTar&) { return "archive-tar"; },
          [](const EmptyHome&) { return "empty-home"; },
          [](const RemovePath&) { return "remove-path"; },
          [](const DeleteTermBackup&) { return "delete-term-backup"; },
          [](const RestoreHome&) { return "restore-home"; },
          [](const SetHomeQuota&) { return "set-quota"; },
          [](const ConvertHome&) { return "convert-home"; },
      },
      action);
}

std::string target_of(const Action& action) {
  return std::visit(Overloaded{
                        [](const CreateGroup& a) { return a.name; },
                        [](const CreateAccount& a) { return a.name; },
                        [](const AddToGroup& a) { return a.user; },
                        [](const MigrateHome& a) { return a.from; },
                        [](const MakeSymlink& a) { return a.link; },
                        [](const CompleteAccount& a) { return a.name; },
                        [](const RemoveLeftover& a) { return os::join_path(a.dir, a.name); },
                        [](const RemoveLink& a) { return a.link; },
                        [](const DeleteAccount& a) { return a.name; },
                        [](const ArchiveHome& a) { return os::join_path(a.root, a.from); },
                        [](const PurgeHome& a) { return os::join_path(a.dir, a.name); },
                        [](const SnapshotHomes& a) { return a.users_dir; },
                        [](const ArchiveHomeTar& a) { return os::join_path(a.users_dir, a.user); },
                        [](const EmptyHome& a) { return os::join_path(a.users_dir, a.user); },
                        [](const DeleteTermBackup& a) { return os::join_path(a.backup_dir, a.term); },
                        [](const RestoreHome& a) { return os::join_path(a.users_dir, a.user); },
                        [](const auto& a) { return a.path; },
                    },
                    action);
}

os::Result<void> apply(const Action& action) {
  return std::visit(
      Overloaded{
          [](const CreateGroup& a) { return apply_create_group(a); },
          [](const CreateDirectory& a) { return apply_create_directory(a); },
          [](const SetOwnership& a) { return apply_ownership(a); },
          [](const SetMode& a) { return apply_mode(a); },
          [](const SetSharedAcl& a) { return apply_acl(a); },
          [](const WriteFile& a) {
            return a.check == FileCheck::sudoers ? apply_sudoers_file(a) : apply_write_file(a);
          },
          [](const Conflict& a) -> os::Result<void> { return os::fail("manage (" + a.reason + ")", a.path, 0); },
          [](const CreateAccount& a) { return detail::apply_create_account(a); },
          [](const AddToGroup& a) { return detail::apply_add_to_group(a); },
          [](const CreateHome& a) { return detail::apply_create_home(a); },
          [](const MigrateHome& a) { return detail::apply_migrate_home(a); },
          [](const MakeSymlink& a) { return detail::apply_make_symlink(a); },
          [](const CompleteAccount& a) { return apply_complete_account(a); },
          [](const RemoveLeftover& a) { return os::remove_stale_temp(a.dir, a.name); },
          [](const RemoveLink& a) { return detail::apply_remove_link(a); },
          [](const DeleteAccount& a) { return detail::apply_delete_account(a); },
          [](const ArchiveHome& a) { return detail::apply_archive_home(a); },
          [](const PurgeHome& a) { return detail::apply_purge_home(a); },
          [](const SnapshotHomes& a) { return detail::apply_snapshot_homes(a); },
          [](const ArchiveHomeTar& a) { return detail::apply_archive_home_tar(a); },
          [](const EmptyHome& a) { return detail::apply_empty_home(a); },
          [](const RemovePath& a) { return detail::apply_remove_path(a); },
          [](const DeleteTermBackup& a) { return detail::apply_delete_term_backup(a); },
          [](const RestoreHome& a) { return detail::apply_restore_home(a); },
          [](const SetHomeQuota& a) { return detail::apply_set_home_quota(a); },
          [](const ConvertHome& a) { return detail::apply_convert_home(a); },
      },
      action);
}

}  // namespace aicactl::core
