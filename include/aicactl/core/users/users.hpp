// SPDX-License-Identifier: Apache-2.0
// Users: the spec of one registered user (account, groups, home on /data, the /home link,
// per-user conda settings), the read-only inspection of it, and the pure planner that turns the
// difference into actions. `user add`, `user repair` and `recover` share them.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aicactl/core/plan/actions.hpp"
#include "aicactl/core/plan/plan.hpp"
#include "aicactl/core/setup/config.hpp"
#include "aicactl/core/users/quota.hpp"
#include "aicactl/core/users/registry.hpp"
#include "aicactl/os/accounts.hpp"
#include "aicactl/os/passwd_db.hpp"

namespace aicactl::core {

// The ids of regular accounts: login.defs UID_MIN / UID_MAX on Debian. Below: system accounts,
// which sessions, expiry and user add never act on.
inline constexpr uid_t kFirstRegularUid = 1000;
inline constexpr uid_t kLastRegularUid = 60000;

// Debian's defaults for a login name: adduser's NAME_REGEX ^[a-z][-a-z0-9_]*\$?$ (a lower-case
// letter, then lower-case letters, digits, '-' and '_', optionally a final '$') and useradd's limit
// of 32 characters; not all digits. Returns the problem, or "" when valid.
[[nodiscard]] std::string user_name_problem(std::string_view name);
// Throws Error(bad_data) naming the problem when `name` may not be an aicactl user (see
// user_name_problem; root and existing system accounts are refused too).
void validate_user_name(const std::string& name);

enum class AccountPolicy {
  create_new,  // user add: create with useradd when missing (a fresh uid unless given)
  restore,     // recover: recreate with the recorded uid/gid; refuse ids taken by other names
};

struct UserSpec {
  UserRecord record;  // for create_new: name, groups (names), shell, expires; uid/gid optional
  std::optional<uid_t> want_uid;
  AccountPolicy policy = AccountPolicy::create_new;
  std::string data_home;   // /data/users/alice
  std::string link;        // /home/alice
  std::string conda_pkgs;  // shared pkgs dir, "" when conda is not shared
  bool force_link = false;
  bool convert_home = false;  // --quota: a plain-directory home becomes a subvolume (ConvertHome)
};

[[nodiscard]] UserSpec user_spec(const Config& config, const UserRecord& record, AccountPolicy policy);

struct UserState {
  std::optional<os::UserInfo> account;                       // by name
  std::optional<os::UserInfo> uid_owner;                     // who has the wanted uid, if anyone
  std::vector<std::optional<os::GroupInfo>> groups_by_name;  // for primary + supplementary
  std::vector<std::optional<os::GroupInfo>> groups_by_gid;   // for restore: who holds each gid
  std::vector<gid_t> member_of;                              // groups of the existing account
  PathState home;                                            // data_home
  std::optional<os::UserInfo> home_owner;                    // the account owning data_home, if any
  std::optional<os::FileInfo> link;                          // lstat of /home/alice
  std::string link_target;                                   // readlink when it is a symlink
  std::optional<std::string> condarc;                        // content of data_home/.condarc
  bool home_is_empty = true;                                 // for an existing real /home/alice directory
  // The local account files, to see a half-written account that NSS shows whole (nullopt:
  // unreadable), and the group the account's primary gid names.
  std::optional<os::LocalAccounts> local;
  std::optional<os::GroupInfo> primary_group;
  // Files of /etc/skel that the seeding of this home created but could not fill (a full /data):
  // empty, never written since (mtime within 2 s of the birth: the failed write) and born with
  // the home. A user's own files never match. Each with the content and mode /etc/skel has.
  struct SkelFile {
    std::string name;
    std::string content;
    mode_t mode = 0644;
  };
  std::vector<SkelFile> empty_skeleton;
  // (dir, name): temps of a killed run for this user (the /home link's, ~/.condarc's).
  std::vector<std::pair<std::string, std::string>> leftovers;
  // The users dir is a btrfs subvolume: a new home becomes a subvolume of its own (quotas).
  bool users_subvolume = false;
  HomeQuota quota;  // read only when the record has a quota
};

[[nodiscard]] UserState inspect_user(const UserSpec& spec);

// The plan items for one user (account, groups, home, link, conda settings, quota).
[[nodiscard]] std::vector<PlanItem> plan_user(const UserSpec& spec, const UserState& state);

// The uids and gids that `user add` never hands out: those of every registry row (active or
// removed) and the owner and group of every entry in <data_root>/users and <data_root>/archive
// and of every entry directly inside those (a home's top level); nothing deeper is walked.
struct ReservedIds {
  std::set<uid_t> uids;
  std::set<gid_t> gids;
};
[[nodiscard]] ReservedIds reserved_ids(const Config& config, const Registry& registry);

// The lowest id in 1000..60000 that no account has as uid, no group has as gid (`uid_taken`,
// `gid_taken`), and that is reserved neither as uid nor as gid; nullopt when none is left.
// `useradd -U -u ID` then gives the user's own group the same id (shadow prefers gid == uid
// when it is free), in one step that a killed run cannot leave half done.
[[nodiscard]] std::optional<uid_t> pick_new_id(const ReservedIds& reserved, const std::function<bool(uid_t)>& uid_taken,
                                               const std::function<bool(gid_t)>& gid_taken);

// Why a user may not be put into supplementary group `name` ("" when they may): it must exist
// (`info`, or `will_exist`: made earlier in the same run) and be a regular group (gid
// 1000..60000, not root/sudo/adm/...) unless the admin named it in `allowed` for this run.
[[nodiscard]] std::string supplementary_group_problem(const std::string& name, const std::optional<os::GroupInfo>& info,
                                                      bool will_exist, const std::vector<std::string>& allowed);

// A directory in <data_root>/users that belongs to no registered user and no account of its
// name: a removed user's kept home, or one made by hand. Its files keep their owner's uid.
struct OrphanHome {
  std::string path;
  uid_t uid = 0;
  std::string owner;    // the account that has this uid now, "" when none
  std::string removed;  // "removed <when>" from the registry, "" when it never was registered
};
[[nodiscard]] std::vector<OrphanHome> orphaned_homes(const Config& config, const Registry& registry);
[[nodiscard]] std::string describe(const OrphanHome& orphan);

// Whether a registered user's account has expired: from its expiry date (YYYY-MM-DD) on, as shadow.
[[nodiscard]] bool is_expired(const UserRecord& record, std::string_view today);

// The registry record of an existing account: uid, primary group, and `groups` with their gids
// (groups that do not exist are left out). `created_at` is kept from `previous` when given.
[[nodiscard]] std::optional<UserRecord> record_of_account(const std::string& name,
                                                          const std::vector<std::string>& groups,
                                                          const UserRecord* previous);

// The plan item that writes the registry when `registry` differs from what is on disk.
[[nodiscard]] PlanItem plan_registry_write(const Config& config, const Registry& registry);

// The ~/.condarc settings for a user: private envs_dirs, shared pkgs_dirs.
[[nodiscard]] std::string desired_condarc(const UserSpec& spec, std::string_view current);

}  // namespace aicactl::core
