// SPDX-License-Identifier: Apache-2.0
// The user registry on the persistent disk (/data/system/config/users.toml): everything needed
// to recreate an account after the root disk was wiped, with its original uid and gids.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aicactl/core/setup/config.hpp"

namespace aicactl::core {

struct GroupRef {
  std::string name;
  gid_t gid = 0;
  bool operator==(const GroupRef&) const = default;
};

struct UserRecord {
  std::string name;
  uid_t uid = 0;
  GroupRef primary;
  std::vector<GroupRef> groups;  // supplementary, sorted by name
  std::string shell = "/bin/bash";
  std::string expires;     // YYYY-MM-DD or ""
  std::string created_at;  // ISO 8601 UTC
  // Life cycle (core/lifecycle): written only when set, so older registry files read the same.
  std::string email;              // notices go here ("" = USER@[lifecycle] mail_domain)
  std::string term;               // the term the account belongs to ("" = none)
  std::uint32_t subid_start = 0;  // the rootless-Docker range in /etc/subuid and /etc/subgid
  std::uint32_t subid_count = 0;  // 0 = no range
  std::uint64_t quota = 0;        // the home's limit in bytes (core/users/quota), 0 = none
  bool operator==(const UserRecord&) const = default;
};

// A user that `user remove` took away. Kept for good, so that `user add` never hands their uid
// or gid to someone else while their files may still exist (in the kept or archived home, or
// anywhere they could write).
struct RemovedUser {
  std::string name;
  uid_t uid = 0;
  GroupRef primary;
  std::string home;        // what happened to the home: "kept", "archived", "purged" or "none"
  std::string home_path;   // where it is now ("" when purged or none)
  std::string removed_at;  // ISO 8601 UTC
  std::string term{};      // term close: the term whose backup holds the home ("" otherwise)
  bool operator==(const RemovedUser&) const = default;
};

struct Registry {
  std::vector<UserRecord> users;     // sorted by name
  std::vector<RemovedUser> removed;  // in the order of removal; never shrinks

  [[nodiscard]] const UserRecord* find(std::string_view name) const;
  // Adds or replaces the record with the same name.
  void put(UserRecord record);
  bool remove(std::string_view name);
  // Records a removal (the user need not be registered: an unregistered account's ids count too).
  void retire(RemovedUser removed_user);
  // Every group the records name (primary and supplementary) with its recorded gid; the
  // first record naming a group wins.
  [[nodiscard]] std::map<std::string, gid_t> groups() const;
};

// The current time as ISO 8601 UTC (YYYY-MM-DDTHH:MM:SSZ).
[[nodiscard]] std::string utc_now();
// Today as YYYY-MM-DD (UTC).
[[nodiscard]] std::string utc_today();

// Parses the registry; a malformed file is an Error (bad_data) naming the entry.
[[nodiscard]] Registry parse_registry(std::string_view text, const std::string& origin);
[[nodiscard]] std::string render_registry(const Registry& registry);
// Reads `path`; an absent file is an empty registry.
[[nodiscard]] Registry load_registry(const std::string& path);

// Validates YYYY-MM-DD; returns the problem or "".
[[nodiscard]] std::string date_problem(std::string_view date);

}  // namespace aicactl::core
