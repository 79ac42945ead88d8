// Users: the spec of one registered user (account, groups, home on /data, the /home link,
// per-user conda settings), the read-only inspection of it, and the pure planner that turns the
// difference into actions. `user add`, `user repair` and `recover` share them.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aicactl/core/actions.hpp"
#include "aicactl/core/config.hpp"
#include "aicactl/core/plan.hpp"
#include "aicactl/core/registry.hpp"
#include "aicactl/os/accounts.hpp"

namespace aicactl::core {

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
};

[[nodiscard]] UserSpec user_spec(const Config& config, const UserRecord& record, AccountPolicy policy);

struct UserState {
  std::optional<os::UserInfo> account;                       // by name
  std::optional<os::UserInfo> uid_owner;                     // who has the wanted uid, if anyone
  std::vector<std::optional<os::GroupInfo>> groups_by_name;  // for primary + supplementary
  std::vector<std::optional<os::GroupInfo>> groups_by_gid;   // for restore: who holds each gid
  std::vector<gid_t> member_of;                              // groups of the existing account
  PathState home;                                            // data_home
  std::optional<os::FileInfo> link;                          // lstat of /home/alice
  std::string link_target;                                   // readlink when it is a symlink
  std::optional<std::string> condarc;                        // content of data_home/.condarc
  bool home_is_empty = true;                                 // for an existing real /home/alice directory
};

[[nodiscard]] UserState inspect_user(const UserSpec& spec);

// The plan items for one user (account, groups, home, link, conda settings).
[[nodiscard]] std::vector<PlanItem> plan_user(const UserSpec& spec, const UserState& state);

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
