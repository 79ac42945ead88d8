// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/users/users.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "aicactl/core/plan/errors.hpp"
#include "aicactl/core/setup/merge.hpp"
#include "aicactl/core/users/account_batch.hpp"
#include "aicactl/os/atomic_file.hpp"
#include "aicactl/os/btrfs.hpp"
#include "aicactl/os/fs.hpp"
#include "aicactl/os/text.hpp"

namespace aicactl::core {
namespace {

constexpr mode_t kHomeMode = 0750;

// Lists only the top level (never the whole tree); a directory that cannot be listed counts
// as not empty, so it is migrated (and the migration reports why it cannot be).
bool dir_is_empty(const std::string& path) {
  auto fd = os::open_dir(path);
  if (!fd) {
    return false;
  }
  auto names = os::list_dir(fd->get(), path);
  return names && names->empty();
}

std::vector<std::string> all_group_names(const UserSpec& spec) {
  std::vector<std::string> names = {spec.record.primary.name};
  for (const auto& g : spec.record.groups) {
    names.push_back(g.name);
  }
  return names;
}

// Adds the owner and group of every entry in `dir` and, for subdirectories, of every entry
// directly inside them. By fd, never following a symlink or leaving the directory.
void collect_owners(const std::string& dir, ReservedIds& ids) {
  auto fd = os::open_dir(dir);
  if (!fd) {
    return;
  }
  auto names = os::list_dir(fd->get(), dir);
  if (!names) {
    return;
  }
  for (const auto& name : *names) {
    auto info = os::stat_at(fd->get(), name.c_str());
    if (!info) {
      continue;
    }
    ids.uids.insert(info->uid);
    ids.gids.insert(info->gid);
    if (!info->is_dir()) {
      continue;
    }
    const std::string path = os::join_path(dir, name);
    auto home = os::open_dir_at(fd->get(), name.c_str(), path);
    if (!home) {
      continue;
    }
    auto inner = os::list_dir(home->get(), path);
    for (const auto& entry : inner ? *inner : std::vector<std::string>{}) {
      if (auto e = os::stat_at(home->get(), entry.c_str())) {
        ids.uids.insert(e->uid);
        ids.gids.insert(e->gid);
      }
    }
  }
}

// A home directory on /data that belongs to someone else: not root's (an interrupted creation)
// and not the account's uid (or, before the account exists, the uid it will get). Someone
// else's files (a removed user's kept home, another account's) are never handed over.
bool foreign_home(const UserSpec& spec, const UserState& st) {
  if (!st.home.info || !st.home.info->is_dir() || st.home.info->uid == 0) {
    return false;
  }
  return st.account ? st.home.info->uid != st.account->uid : st.home.info->uid != spec.want_uid;
}

Action foreign_home_conflict(const UserSpec& spec, const UserState& st) {
  const auto& owner = st.home_owner;
  return Conflict{spec.data_home, "is owned by uid " + std::to_string(st.home.info->uid) +
                                      (owner ? " ('" + owner->name + "')" : " (no account)") + ", not " +
                                      spec.record.name +
                                      "; refusing to take it over (move it away, or, if it is the same "
                                      "person's, give the new account that uid with --uid)"};
}

// What the local account files lack for an account NSS knows, as one completion (nullopt: it is
// whole): its shadow entry, its primary group (unless `planned` creates it), the gshadow entries
// of its groups. An interrupted useradd leaves passwd written and the rest not.
std::optional<CompleteAccount> plan_completion(const UserSpec& spec, const UserState& st,
                                               const std::vector<Action>& planned) {
  if (!st.account || !st.local) {
    return std::nullopt;
  }
  const UserRecord& rec = spec.record;
  const os::LocalAccounts& local = *st.local;
  CompleteAccount c{rec.name, {}, {}};
  if (local.has_shadow && local.passwd.contains(rec.name) && !local.shadow.contains(rec.name)) {
    c.missing.emplace_back("shadow entry");
    c.batch.accounts.push_back(os::NewAccount{rec.name, st.account->uid, st.account->gid, st.account->home,
                                              st.account->shell, epoch_day(rec.expires)});
  }
  const bool primary_planned = std::any_of(planned.begin(), planned.end(), [&](const Action& a) {
    const auto* g = std::get_if<CreateGroup>(&a);
    return g != nullptr && g->gid == st.account->gid;
  });
  if (!st.primary_group && !primary_planned) {
    const std::string name = spec.policy == AccountPolicy::restore ? rec.primary.name : rec.name;
    c.missing.push_back("primary group '" + name + "' (gid " + std::to_string(st.account->gid) + ")");
    c.batch.groups.push_back(os::NewGroup{name, st.account->gid});
  }
  std::vector<os::GroupInfo> groups;
  if (st.primary_group) {
    groups.push_back(*st.primary_group);
  }
  for (const auto& g : st.groups_by_name) {
    if (g && std::none_of(groups.begin(), groups.end(), [&](const os::GroupInfo& x) { return x.name == g->name; })) {
      groups.push_back(*g);
    }
  }
  for (const auto& g : groups) {
    if (local.has_gshadow && local.group.contains(g.name) && !local.gshadow.contains(g.name)) {
      c.missing.push_back("gshadow entry of group '" + g.name + "'");
      c.batch.groups.push_back(os::NewGroup{g.name, g.gid});
    }
  }
  if (c.missing.empty()) {
    return std::nullopt;
  }
  return c;
}

// The skeleton files in `home` that its seeding created empty (see UserState::empty_skeleton).
std::vector<UserState::SkelFile> empty_skeleton_files(const std::string& home, const os::FileInfo& home_info) {
  constexpr std::int64_t kSeedingWindow = 600;   // seconds between the home's birth and its files'
  constexpr std::int64_t kFailedWriteSlack = 2;  // seconds between a file's birth and its mtime
  std::vector<UserState::SkelFile> out;
  auto skel = os::open_dir("/etc/skel");
  auto dir = os::open_dir(home);
  if (!skel || !dir || home_info.btime_sec == 0) {
    return out;
  }
  auto names = os::list_dir(skel->get(), "/etc/skel");
  if (!names) {
    return out;
  }
  for (const auto& name : *names) {
    auto want = os::stat_at(skel->get(), name.c_str());
    auto have = os::stat_at(dir->get(), name.c_str());
    // The write that failed may still have set the mtime, a moment after the birth.
    if (!want || !have || !want->is_regular() || want->size == 0 || !have->is_regular() || have->size != 0 ||
        have->nlink != 1 || have->mtime < have->btime_sec || have->mtime > have->btime_sec + kFailedWriteSlack ||
        have->btime_sec < home_info.btime_sec || have->btime_sec > home_info.btime_sec + kSeedingWindow) {
      continue;
    }
    if (auto text = os::read_file(os::join_path("/etc/skel", name)); text && text->has_value()) {
      out.push_back(UserState::SkelFile{name, **text, want->perms()});
    }
  }
  return out;
}

}  // namespace

ReservedIds reserved_ids(const Config& config, const Registry& registry) {
  ReservedIds ids;
  for (const auto& u : registry.users) {
    ids.uids.insert(u.uid);
    ids.gids.insert(u.primary.gid);
  }
  for (const auto& r : registry.removed) {
    ids.uids.insert(r.uid);
    ids.gids.insert(r.primary.gid);
  }
  collect_owners(config.under_root("users"), ids);
  collect_owners(config.under_root("archive"), ids);
  return ids;
}

std::optional<uid_t> pick_new_id(const ReservedIds& reserved, const std::function<bool(uid_t)>& uid_taken,
                                 const std::function<bool(gid_t)>& gid_taken) {
  for (uid_t id = kFirstRegularUid; id <= kLastRegularUid; ++id) {
    if (reserved.uids.count(id) == 0 && reserved.gids.count(id) == 0 && !uid_taken(id) && !gid_taken(id)) {
      return id;
    }
  }
  return std::nullopt;
}

std::string supplementary_group_problem(const std::string& name, const std::optional<os::GroupInfo>& info,
                                        bool will_exist, const std::vector<std::string>& allowed) {
  if (!info) {
    return will_exist ? "" : "group '" + name + "' does not exist";
  }
  if (std::find(allowed.begin(), allowed.end(), name) != allowed.end()) {
    return "";
  }
  if (info->gid < kFirstRegularUid || info->gid > kLastRegularUid) {
    return "group '" + name + "' is a system group (gid " + std::to_string(info->gid) + "); pass --allow-group " +
           name + " to allow it for this run";
  }
  return "";
}

std::vector<OrphanHome> orphaned_homes(const Config& config, const Registry& registry) {
  std::vector<OrphanHome> out;
  const std::string dir = config.under_root("users");
  auto fd = os::open_dir(dir);
  if (!fd) {
    return out;
  }
  auto names = os::list_dir(fd->get(), dir);
  if (!names) {
    return out;
  }
  std::sort(names->begin(), names->end());
  for (const auto& name : *names) {
    auto info = os::stat_at(fd->get(), name.c_str());
    if (!info || !info->is_dir() || registry.find(name) != nullptr || os::find_user(name)) {
      continue;
    }
    OrphanHome orphan{os::join_path(dir, name), info->uid, "", ""};
    if (auto owner = os::find_user(info->uid)) {
      orphan.owner = owner->name;
    }
    for (const auto& r : registry.removed) {
      if (r.name == name) {
        orphan.removed = "removed " + r.removed_at;
      }
    }
    out.push_back(std::move(orphan));
  }
  return out;
}

std::string describe(const OrphanHome& o) {
  return "Orphaned home '" + o.path + "' (owner uid " + std::to_string(o.uid) +
         (o.owner.empty() ? ", no account" : ", account '" + o.owner + "'") +
         (o.removed.empty() ? ", never registered" : ", " + o.removed) +
         "): no account uses it; its uid is never handed out again. Archive or delete it, or give it back with "
         "'user add NAME --uid " +
         std::to_string(o.uid) + "'";
}

bool is_expired(const UserRecord& record, std::string_view today) {
  return !record.expires.empty() && record.expires <= today;  // shadow: expired from that day on
}

std::string user_name_problem(std::string_view name) {
  if (auto why = name_problem(name); !why.empty()) {
    return why;
  }
  if (name.front() == '_') {
    return "must start with a lower-case letter (Debian's NAME_REGEX for login names, see adduser.conf(5))";
  }
  return "";
}

void validate_user_name(const std::string& name) {
  if (auto why = user_name_problem(name); !why.empty()) {
    std::string shown;
    for (char c : name) {
      shown += (c == '\n') ? std::string("\\n") : std::string(1, c);
    }
    throw Error(ExitCode::bad_data, "Invalid user name '" + shown + "': " + why);
  }
  if (name == "root") {
    throw Error(ExitCode::bad_data, "Refusing user 'root': a system account");
  }
  if (auto existing = os::find_user(name);
      existing && (existing->uid < kFirstRegularUid || existing->uid > kLastRegularUid)) {
    throw Error(ExitCode::bad_data, "Refusing user '" + name + "': a system account (uid " +
                                        std::to_string(existing->uid) + ", regular accounts are 1000-60000)");
  }
}

UserSpec user_spec(const Config& config, const UserRecord& record, AccountPolicy policy) {
  UserSpec spec;
  spec.record = record;
  spec.policy = policy;
  if (policy == AccountPolicy::restore || record.uid != 0) {
    spec.want_uid = record.uid;
  }
  spec.data_home = config.under_root("users/" + record.name);
  spec.link = "/home/" + record.name;
  spec.conda_pkgs = config.cache_path("conda");
  return spec;
}

std::string desired_condarc(const UserSpec& spec, std::string_view current) {
  std::string text(current);
  const std::string header = "# Created by aicactl: private conda envs in your home, packages from the shared cache.\n";
  text =
      merge_setting(text, Setting{FileFormat::yaml_list, "", {"envs_dirs"}, spec.data_home + "/.conda/envs"}, header);
  if (!spec.conda_pkgs.empty()) {
    text = merge_setting(text, Setting{FileFormat::yaml_list, "", {"pkgs_dirs"}, spec.conda_pkgs}, header);
  }
  return text;
}

std::optional<UserRecord> record_of_account(const std::string& name, const std::vector<std::string>& groups,
                                            const UserRecord* previous) {
  auto account = os::find_user(name);
  if (!account) {
    return std::nullopt;
  }
  UserRecord rec;
  rec.name = name;
  rec.uid = account->uid;
  auto primary = os::find_group(account->gid);
  rec.primary = GroupRef{primary ? primary->name : name, account->gid};
  for (const auto& g : groups) {
    if (auto info = os::find_group(g); info && g != rec.primary.name) {
      rec.groups.push_back(GroupRef{info->name, info->gid});
    }
  }
  std::sort(rec.groups.begin(), rec.groups.end(), [](const GroupRef& a, const GroupRef& b) { return a.name < b.name; });
  rec.groups.erase(std::unique(rec.groups.begin(), rec.groups.end()), rec.groups.end());
  rec.shell = account->shell;
  if (previous != nullptr) {
    rec.created_at = previous->created_at;
    rec.expires = previous->expires;
    rec.email = previous->email;
    rec.term = previous->term;
    rec.subid_start = previous->subid_start;
    rec.subid_count = previous->subid_count;
    rec.quota = previous->quota;
  }
  if (rec.created_at.empty()) {
    rec.created_at = utc_now();
  }
  return rec;
}

PlanItem plan_registry_write(const Config& config, const Registry& registry) {
  const std::string path = config.under_root(kRegistryFile);
  PlanItem item{"registry '" + path + "'", {}};
  const std::string want = render_registry(registry);
  auto current = os::read_file(path);
  const bool exists = current && current->has_value();
  if (!exists || **current != want) {
    item.actions.emplace_back(WriteFile{path, want, 0644, exists, 0, 0, ""});
  }
  return item;
}

UserState inspect_user(const UserSpec& spec) {
  UserState st;
  st.account = os::find_user(spec.record.name);
  if (spec.want_uid) {
    st.uid_owner = os::find_user(*spec.want_uid);
  }
  for (const auto& name : all_group_names(spec)) {
    st.groups_by_name.push_back(os::find_group(name));
  }
  st.groups_by_gid.push_back(os::find_group(spec.record.primary.gid));
  for (const auto& g : spec.record.groups) {
    st.groups_by_gid.push_back(os::find_group(g.gid));
  }
  if (st.account) {
    st.member_of = os::groups_of(*st.account);
    st.primary_group = os::find_group(st.account->gid);
  }
  if (auto local = os::read_local_accounts("/etc")) {
    st.local = std::move(*local);
  }
  const auto parent = spec.link.substr(0, spec.link.find_last_of('/'));
  for (const auto& [dir, target] : {std::pair{parent, "." + spec.record.name + ".aicactl-"},
                                    std::pair{spec.data_home, std::string(".condarc.aicactl-")}}) {
    for (auto& name : os::stale_temps(dir)) {
      if (name.starts_with(target)) {
        st.leftovers.emplace_back(dir, std::move(name));
      }
    }
  }

  if (auto users = os::open_dir(spec.data_home.substr(0, spec.data_home.find_last_of('/')))) {
    const auto sub = os::is_subvolume(users->get());
    st.users_subvolume = sub && *sub;
  }
  if (spec.record.quota != 0) {
    st.quota = inspect_home_quota(spec.data_home);
  }
  if (auto info = os::lstat_path(spec.data_home); info) {
    st.home.info = *info;
    if (*info) {
      st.home_owner = os::find_user((*info)->uid);
    }
  } else {
    st.home.error = info.error().message();
  }
  if (auto link = os::lstat_path(spec.link); link) {
    st.link = *link;
    if (st.link && st.link->is_symlink()) {
      st.link_target = os::read_link(spec.link);
    } else if (st.link && st.link->is_dir()) {
      st.home_is_empty = dir_is_empty(spec.link);
    }
  }
  if (st.home.info && st.home.info->is_dir()) {
    if (auto text = os::read_file(os::join_path(spec.data_home, ".condarc")); text && text->has_value()) {
      st.condarc = **text;
    }
    const bool ours = st.home.info->uid == 0 || (st.account && st.home.info->uid == st.account->uid);
    if (ours) {
      st.empty_skeleton = empty_skeleton_files(spec.data_home, *st.home.info);
    }
  }
  if (!st.condarc && st.link && st.link->is_dir() && !st.home_is_empty) {
    // A home about to be migrated: merge into the .condarc that moves over, never replace it.
    if (auto text = os::read_file(os::join_path(spec.link, ".condarc")); text && text->has_value()) {
      st.condarc = **text;
    }
  }
  return st;
}

namespace {

// The recorded limit on the home's qgroup: a home made now is a subvolume when the users dir is
// one; an existing home must be one already, or is converted (ConvertHome) when `user add
// --quota` asks for it.
PlanItem plan_quota(const UserSpec& spec, const UserState& st) {
  const UserRecord& rec = spec.record;
  PlanItem quota{"quota of '" + rec.name + "' is " + os::human_size(rec.quota), {}};
  if (!st.quota.problem.empty()) {
    quota.actions.emplace_back(Conflict{spec.data_home, st.quota.problem});
  } else if (st.quota.subvolume || (!st.quota.exists && st.users_subvolume)) {
    if (!st.quota.enabled || st.quota.limit != rec.quota) {
      quota.actions.emplace_back(SetHomeQuota{spec.data_home, rec.quota});
    }
  } else if (st.quota.exists && st.users_subvolume && spec.convert_home) {
    quota.actions.emplace_back(ConvertHome{spec.data_home});
    quota.actions.emplace_back(SetHomeQuota{spec.data_home, rec.quota});
  } else {
    quota.actions.emplace_back(Conflict{
        spec.data_home, st.quota.exists ? "is not a btrfs subvolume, so it cannot have a quota"
                                        : "cannot have a quota: the users directory is not a btrfs subvolume"});
  }
  return quota;
}

}  // namespace

std::vector<PlanItem> plan_user(const UserSpec& spec, const UserState& st) {
  std::vector<PlanItem> items;
  const UserRecord& rec = spec.record;
  const bool restore = spec.policy == AccountPolicy::restore;
  if (!st.account && foreign_home(spec, st)) {
    // Refused before a group or an account is made for it.
    items.push_back(PlanItem{"home '" + spec.data_home + "'", {foreign_home_conflict(spec, st)}});
    return items;
  }

  // Groups: by name; on restore with the recorded gid, refusing a gid that another name holds.
  PlanItem groups{"groups of '" + rec.name + "'", {}};
  const auto names = all_group_names(spec);
  bool group_conflict = false;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (st.groups_by_name[i]) {
      const gid_t want = i == 0 ? rec.primary.gid : rec.groups[i - 1].gid;
      if (restore && st.groups_by_name[i]->gid != want) {
        groups.actions.emplace_back(Conflict{names[i], "group exists with gid " +
                                                           std::to_string(st.groups_by_name[i]->gid) +
                                                           ", the registry says " + std::to_string(want)});
        group_conflict = true;
      }
      continue;
    }
    if (i == 0 && !restore) {
      continue;  // useradd -U makes the user's own group (gid == uid when that is free)
    }
    if (restore) {
      const auto& holder = st.groups_by_gid[i];
      const gid_t gid = i == 0 ? rec.primary.gid : rec.groups[i - 1].gid;
      if (holder && holder->name != names[i]) {
        groups.actions.emplace_back(
            Conflict{names[i], "gid " + std::to_string(gid) + " already belongs to group '" + holder->name + "'"});
        group_conflict = true;
        continue;
      }
      groups.actions.emplace_back(CreateGroup{names[i], gid});
    } else {
      groups.actions.emplace_back(Conflict{names[i], "group does not exist"});
      group_conflict = true;
    }
  }

  // The account: adopted when present; created (restore: with its recorded uid) when missing.
  PlanItem account{"account '" + rec.name + "'", {}};
  std::vector<std::string> supplementary;
  supplementary.reserve(rec.groups.size());
  for (const auto& g : rec.groups) {
    supplementary.push_back(g.name);
  }
  if (!st.account) {
    if (spec.want_uid && st.uid_owner) {
      account.actions.emplace_back(Conflict{
          rec.name, "uid " + std::to_string(*spec.want_uid) + " already belongs to '" + st.uid_owner->name + "'"});
    } else if (!group_conflict) {
      account.actions.emplace_back(CreateAccount{rec.name, spec.want_uid, restore ? rec.primary.name : "",
                                                 supplementary, rec.shell, rec.expires, spec.link});
    }
  } else {
    if (restore && st.account->uid != rec.uid) {
      account.actions.emplace_back(Conflict{rec.name, "account exists with uid " + std::to_string(st.account->uid) +
                                                          ", the registry says " + std::to_string(rec.uid)});
    } else if (auto complete = plan_completion(spec, st, groups.actions)) {
      account.actions.emplace_back(std::move(*complete));
    }
    for (std::size_t i = 0; i < rec.groups.size(); ++i) {
      const auto& g = st.groups_by_name[i + 1];
      const bool member = g && std::find(st.member_of.begin(), st.member_of.end(), g->gid) != st.member_of.end();
      if (!member) {
        account.actions.emplace_back(AddToGroup{rec.name, rec.groups[i].name});
      }
    }
  }
  const bool account_ok = std::none_of(account.actions.begin(), account.actions.end(),
                                       [](const Action& a) { return std::holds_alternative<Conflict>(a); });
  items.push_back(std::move(groups));
  items.push_back(std::move(account));
  if (!account_ok || group_conflict) {
    return items;  // nothing below is safe without the right account
  }

  // The home on /data: created when missing, never taken over from another owner.
  PlanItem home{"home '" + spec.data_home + "'", {}};
  const bool migrating = st.link && st.link->is_dir() && !st.link->is_symlink();
  if (!st.home.error.empty()) {
    home.actions.emplace_back(Conflict{spec.data_home, st.home.error});
  } else if (!st.home.info) {
    home.actions.emplace_back(
        CreateHome{spec.data_home, rec.name, kHomeMode, !migrating || st.home_is_empty, st.users_subvolume});
  } else if (!st.home.info->is_dir()) {
    home.actions.emplace_back(Conflict{spec.data_home, "is not a directory"});
  } else if (st.home.info->uid == 0) {
    // Only root can make a directory in the root-owned users dir: a home whose creation was
    // interrupted (it is handed over last). Finish it, without seeding over what is there.
    home.actions.emplace_back(CreateHome{spec.data_home, rec.name, kHomeMode, false, st.users_subvolume});
  } else if (foreign_home(spec, st)) {
    home.actions.emplace_back(foreign_home_conflict(spec, st));
  } else if (st.account && st.home.info->perms() != kHomeMode) {
    home.actions.emplace_back(SetMode{spec.data_home, kHomeMode});
  }
  const bool home_ok = home.actions.empty() || std::holds_alternative<CreateHome>(home.actions.front()) ||
                       std::holds_alternative<SetMode>(home.actions.front());
  if (home_ok && st.home.info) {
    // Skeleton files that a full /data left empty are filled now (owned by the user, as seeded).
    for (const auto& f : st.empty_skeleton) {
      home.actions.emplace_back(
          WriteFile{os::join_path(spec.data_home, f.name), f.content, f.mode, true, 0, 0, rec.name});
    }
  }
  items.push_back(std::move(home));
  if (!home_ok) {
    return items;
  }

  // /home/alice -> /data/users/alice; a real directory's content is moved over first.
  PlanItem link{"link '" + spec.link + "'", {}};
  if (!st.link) {
    link.actions.emplace_back(MakeSymlink{spec.link, spec.data_home});
  } else if (st.link->is_symlink()) {
    if (st.link_target != spec.data_home) {
      if (spec.force_link) {
        link.actions.emplace_back(MakeSymlink{spec.link, spec.data_home});
      } else {
        link.actions.emplace_back(
            Conflict{spec.link, "points to '" + st.link_target + "', not '" + spec.data_home + "' (use --force)"});
      }
    }
  } else if (st.link->is_dir()) {
    if (!st.home_is_empty) {
      link.actions.emplace_back(MigrateHome{spec.link, spec.data_home});
    }
    link.actions.emplace_back(MakeSymlink{spec.link, spec.data_home});
  } else {
    link.actions.emplace_back(Conflict{spec.link, "exists and is neither a directory nor a link"});
  }
  // Per-user conda settings, merged into the user's own ~/.condarc. While a home is migrated
  // they belong to the link's item: a migration that fails must leave /data untouched.
  const bool migrate = std::any_of(link.actions.begin(), link.actions.end(),
                                   [](const Action& a) { return std::holds_alternative<MigrateHome>(a); });
  PlanItem conda{"conda settings of '" + rec.name + "'", {}};
  const std::string want = desired_condarc(spec, st.condarc.value_or(""));
  if (st.condarc != want) {
    (migrate ? link : conda)
        .actions.emplace_back(
            WriteFile{os::join_path(spec.data_home, ".condarc"), want, 0644, st.condarc.has_value(), 0, 0, rec.name});
  }
  items.push_back(std::move(link));
  items.push_back(std::move(conda));
  PlanItem leftovers{"no temp file of '" + rec.name + "' left by an interrupted run", {}};
  for (const auto& [dir, name] : st.leftovers) {
    leftovers.actions.emplace_back(RemoveLeftover{dir, name});
  }
  items.push_back(std::move(leftovers));
  if (rec.quota != 0) {
    items.push_back(plan_quota(spec, st));
  }
  return items;
}

}  // namespace aicactl::core
