// SPDX-License-Identifier: Apache-2.0
// Accounts and groups through NSS (getpwnam_r & co.), so LDAP/SSSD users resolve too.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aicactl::os {

struct UserInfo {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string home;
  std::string shell;
};

struct GroupInfo {
  std::string name;
  gid_t gid = 0;
  std::vector<std::string> members;
};

[[nodiscard]] std::optional<UserInfo> find_user(std::string_view name);
[[nodiscard]] std::optional<UserInfo> find_user(uid_t uid);
[[nodiscard]] std::optional<GroupInfo> find_group(std::string_view name);
[[nodiscard]] std::optional<GroupInfo> find_group(gid_t gid);
// All groups of a user, primary included (getgrouplist).
[[nodiscard]] std::vector<gid_t> groups_of(const UserInfo& user);

}  // namespace aicactl::os
