// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/setup/setup_plan.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <set>

#include "aicactl/core/plan/shared_acl.hpp"
#include "aicactl/os/accounts.hpp"
#include "aicactl/os/atomic_file.hpp"
#include "aicactl/os/btrfs.hpp"
#include "aicactl/os/passwd_db.hpp"
#include "aicactl/os/text.hpp"

namespace aicactl::core {
namespace {

// What inspect_path reads besides the lstat: a directory's ACLs, a regular file's content.
struct Want {
  bool acl = false;
  bool content = false;
};

// Whether `path`'s parent is on btrfs, and whether `path` is a subvolume already.
void inspect_subvolume(const std::string& path, ServerState& state) {
  auto parent = os::open_parent(path);
  if (!parent || !os::is_btrfs(parent->first.get()).value_or(false)) {
    return;
  }
  state.on_btrfs.insert(path);
  if (auto fd = os::open_dir(path); fd && os::is_subvolume(fd->get()).value_or(false)) {
    state.subvolumes.insert(path);
  }
}

PathState inspect_path(const std::string& path, Want want) {
  PathState st;
  auto info = os::lstat_path(path);
  if (!info) {
    st.error = info.error().message();
    return st;
  }
  st.info = *info;
  if (!st.info) {
    return st;
  }
  if (want.acl && st.info->is_dir()) {
    auto fd = os::open_dir(path);
    if (!fd) {
      st.error = fd.error().message();
      return st;
    }
    if (auto a = os::get_acl_at(fd->get(), "", os::AclKind::access, path)) {
      st.access = *a;
    }
    if (auto d = os::get_acl_at(fd->get(), "", os::AclKind::default_, path)) {
      st.default_acl = *d;
    }
  }
  if (want.content && st.info->is_regular()) {
    auto text = os::read_file(path);
    if (!text) {
      st.error = text.error().message();
    } else if (text->has_value()) {
      st.content = std::move(**text);
    }
  }
  return st;
}

void plan_dir(const DirSpec& dir, const ServerState& state, bool use_acl, std::vector<Action>& out) {
  const PathState& st = state.paths.at(dir.path);
  if (!st.error.empty()) {
    out.emplace_back(Conflict{dir.path, st.error});
    return;
  }
  if (!st.info) {
    out.emplace_back(CreateDirectory{dir.path, dir.group, dir.mode, state.on_btrfs.contains(dir.path)});
    if (dir.shared && use_acl) {
      out.emplace_back(SetSharedAcl{dir.path, dir.group, os::AclKind::access});
      out.emplace_back(SetSharedAcl{dir.path, dir.group, os::AclKind::default_});
    }
    return;
  }
  if (!st.info->is_dir()) {
    out.emplace_back(
        Conflict{dir.path, st.info->is_symlink() ? "is a symlink, not a directory" : "is not a directory"});
    return;
  }
  if (dir.policy == ModePolicy::create_only) {
    return;
  }
  const std::optional<gid_t> want_gid = dir.group == "root" ? std::optional<gid_t>{0} : state.group_gid;
  if (st.info->uid != 0 || (dir.policy == ModePolicy::exact && (!want_gid || st.info->gid != *want_gid))) {
    out.emplace_back(SetOwnership{dir.path, dir.policy == ModePolicy::exact ? dir.group : "root"});
  }
  const mode_t want_mode = dir.policy == ModePolicy::exact ? dir.mode : (st.info->perms() & ~mode_t{022});
  if (st.info->perms() != want_mode) {
    out.emplace_back(SetMode{dir.path, want_mode});
  }
  if (dir.shared && use_acl) {
    const gid_t gid = want_gid.value_or(0);
    const mode_t mode = (st.info->mode & ~mode_t{07777}) | want_mode;
    if (!want_gid || !st.access || want_access_acl(st.access, mode, gid) != *st.access) {
      out.emplace_back(SetSharedAcl{dir.path, dir.group, os::AclKind::access});
    }
    if (!want_gid || !st.default_acl || want_default_acl(st.default_acl, mode, gid) != *st.default_acl) {
      out.emplace_back(SetSharedAcl{dir.path, dir.group, os::AclKind::default_});
    }
  }
}

// `path` and its parents up to '/', the path first.
std::vector<std::string> chain_of(const std::string& path) {
  std::vector<std::string> chain;
  for (std::string p = path; !p.empty();) {
    chain.push_back(p);
    if (p == "/") {
      break;
    }
    const auto slash = p.find_last_of('/');
    p = slash == 0 ? "/" : p.substr(0, slash);
  }
  return chain;
}

// The problem of one link of a trusted chain as it is now ("" when none).
std::string current_trust_problem(const std::string& path, const PathState& st, bool leaf) {
  if (!st.error.empty()) {
    return st.error;
  }
  if (!st.info) {
    return os::quoted(path) + " does not exist";
  }
  if (st.info->is_symlink()) {
    return os::quoted(path) + " is a symlink";
  }
  if (!leaf && !st.info->is_dir()) {
    return os::quoted(path) + " is not a directory";
  }
  if (st.info->uid != 0) {
    return os::quoted(path) + " is not owned by root";
  }
  if ((st.info->perms() & 022U) != 0U) {
    return os::quoted(path) + " is writable by group/other";
  }
  return "";
}

// Whether setup leaves `path` (managed by the spec) root-owned and not writable by group/other.
// A symlink or a wrong type stays (plan_dir/plan_file report it as a conflict).
bool setup_secures(const ServerSpec& spec, const std::string& path, const PathState& st, bool leaf) {
  if (!st.error.empty() || (st.info && st.info->is_symlink())) {
    return false;
  }
  if (leaf) {
    auto file = std::find_if(spec.files.begin(), spec.files.end(), [&](const FileSpec& f) { return f.path == path; });
    return file != spec.files.end() && (!st.info || st.info->is_regular()) && file->uid == 0 &&
           (file->mode & 022U) == 0U;
  }
  auto dir = std::find_if(spec.dirs.begin(), spec.dirs.end(), [&](const DirSpec& d) { return d.path == path; });
  if (dir == spec.dirs.end() || (st.info && !st.info->is_dir())) {
    return false;
  }
  if (dir->policy == ModePolicy::strip_write) {
    return true;
  }
  const bool sets_mode = dir->policy == ModePolicy::exact || !st.info;  // create_only: only when missing
  return sets_mode && (dir->mode & 022U) == 0U;
}

void plan_file(const ServerSpec& spec, const FileSpec& file, const ServerState& state, std::vector<Action>& out) {
  const PathState& st = state.paths.at(file.path);
  if (!file.trusted_path.empty()) {
    if (auto why = trust_problem(spec, state, file.trusted_path, TrustView::after_setup); !why.empty()) {
      out.emplace_back(Conflict{file.path, "refusing to install a sudo rule for " + os::quoted(file.trusted_path) +
                                               ": " + why +
                                               " (whoever can write there could replace what sudo runs as root)"});
      return;
    }
  }
  if (!st.error.empty()) {
    out.emplace_back(Conflict{file.path, st.error});
    return;
  }
  if (st.info && !st.info->is_regular()) {
    out.emplace_back(Conflict{file.path, st.info->is_symlink() ? "is a symlink, not a file" : "is not a regular file"});
    return;
  }
  std::string want = desired_content(file, st.content.value_or(""));
  const bool same = st.info && st.content == want && st.info->perms() == file.mode && st.info->uid == file.uid &&
                    st.info->gid == file.gid;
  if (!same) {
    const bool edited = file.keep_old && st.info && st.content && *st.content != want;
    out.emplace_back(WriteFile{file.path, std::move(want), file.mode, st.info.has_value(), file.uid, file.gid, "",
                               file.check, edited ? file.path + kOldSuffix : ""});
  }
}

}  // namespace

ServerState inspect(const ServerSpec& spec) {
  ServerState state;
  if (auto g = os::find_group(spec.group)) {
    state.group_gid = g->gid;
    if (auto local = os::read_local_accounts("/etc")) {
      state.group_half_written =
          local->has_gshadow && local->group.contains(spec.group) && !local->gshadow.contains(spec.group);
    }
  }
  state.acl_supported =
      spec.acl_mode == AclMode::on || (spec.acl_mode == AclMode::automatic && acl_supported_at(spec.data_root));
  for (const auto& d : spec.dirs) {
    state.paths[d.path] = inspect_path(d.path, {.acl = d.shared});
    if (d.subvolume) {
      inspect_subvolume(d.path, state);
    }
  }
  for (const auto& f : spec.files) {
    state.paths[f.path] = inspect_path(f.path, {.content = true});
  }
  for (const auto& l : spec.links) {
    PathState st = inspect_path(l.path, {});
    if (st.info && st.info->is_symlink()) {
      st.link_target = os::read_link(l.path);
    }
    state.paths[l.path] = std::move(st);
  }
  std::set<std::string> dirs_written;
  for (const auto& f : spec.files) {
    dirs_written.insert(f.path.substr(0, std::max<std::size_t>(f.path.find_last_of('/'), 1)));
  }
  for (const auto& l : spec.links) {
    dirs_written.insert(l.path.substr(0, std::max<std::size_t>(l.path.find_last_of('/'), 1)));
  }
  for (const auto& dir : dirs_written) {
    for (auto& name : os::stale_temps(dir)) {
      state.leftovers.emplace_back(dir, std::move(name));
    }
  }
  for (const auto& f : spec.files) {
    if (!f.trusted_path.empty()) {
      for (const auto& p : chain_of(f.trusted_path)) {
        if (state.paths.contains(p)) {
          continue;
        }
        if (p == "/") {  // has no parent to lstat it in
          PathState root;
          if (auto info = os::stat_at(AT_FDCWD, "/")) {
            root.info = *info;
          } else {
            root.error = info.error().message();
          }
          state.paths[p] = std::move(root);
        } else {
          state.paths[p] = inspect_path(p, {});
        }
      }
    }
  }
  return state;
}

std::string trust_problem(const ServerSpec& spec, const ServerState& state, const std::string& path, TrustView view) {
  const auto chain = chain_of(path);
  for (const auto& p : chain) {
    const auto found = state.paths.find(p);
    if (found == state.paths.end()) {
      return os::quoted(p) + " was not inspected";
    }
    const bool leaf = p == chain.front();
    std::string why = current_trust_problem(p, found->second, leaf);
    if (!why.empty() && !(view == TrustView::after_setup && setup_secures(spec, p, found->second, leaf))) {
      return why;
    }
  }
  return "";
}

Plan plan_setup(const ServerSpec& spec, const ServerState& state) {
  Plan plan;
  plan.notes = spec.notes;
  const bool use_acl = spec.acl_mode != AclMode::off && state.acl_supported;
  if (!use_acl) {
    plan.notes.push_back(spec.acl_mode == AclMode::off
                             ? "ACLs are off in the configuration: sharing relies on setgid + group-writable modes"
                             : "'" + spec.data_root +
                                   "' does not support POSIX ACLs: falling back to setgid + group-writable modes "
                                   "(run 'aicactl cache repair' from cron)");
  }
  PlanItem group{"group '" + spec.group + "'", {}};
  if (!state.group_gid) {
    group.actions.emplace_back(CreateGroup{spec.group, std::nullopt});
  } else if (state.group_half_written) {
    // An interrupted groupadd: the group is there, its gshadow entry is not.
    group.actions.emplace_back(CompleteAccount{spec.group,
                                               {"gshadow entry of group '" + spec.group + "'"},
                                               os::AccountBatch{{os::NewGroup{spec.group, *state.group_gid}}, {}, {}}});
  }
  plan.items.push_back(std::move(group));
  for (const auto& d : spec.dirs) {
    if (d.subvolume && state.on_btrfs.contains(d.path) && !state.subvolumes.contains(d.path) &&
        state.paths.at(d.path).info) {
      plan.notes.push_back("'" + d.path +
                           "' is a plain directory on btrfs, not a subvolume: 'term close' archives homes with tar "
                           "instead of one snapshot, and quotas need it migrated");
    }
    PlanItem item{"directory '" + d.path + "'", {}};
    plan_dir(d, state, use_acl, item.actions);
    plan.items.push_back(std::move(item));
  }
  for (const auto& f : spec.files) {
    PlanItem item{"file '" + f.path + "'", {}};
    plan_file(spec, f, state, item.actions);
    plan.items.push_back(std::move(item));
  }
  for (const auto& [dir, name] : state.leftovers) {
    plan.items.push_back(PlanItem{"no temp file left in '" + dir + "' by an interrupted run ('" + name + "')",
                                  {RemoveLeftover{dir, name}}});
  }
  for (const auto& [what, why] : spec.problems) {
    plan.items.push_back(PlanItem{what, {Conflict{what, why}}});
  }
  for (const auto& l : spec.links) {
    PlanItem item{"link '" + l.path + "'", {}};
    const PathState& st = state.paths.at(l.path);
    if (!st.error.empty()) {
      item.actions.emplace_back(Conflict{l.path, st.error});
    } else if (!st.info || (st.info->is_symlink() && st.link_target != l.target)) {
      item.actions.emplace_back(MakeSymlink{l.path, l.target});
    } else if (!st.info->is_symlink()) {
      item.actions.emplace_back(Conflict{l.path, "exists and is not a symlink; remove it to have it linked"});
    }
    plan.items.push_back(std::move(item));
  }
  return plan;
}

}  // namespace aicactl::core
