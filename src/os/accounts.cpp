// SPDX-License-Identifier: Apache-2.0
#include "aicactl/os/accounts.hpp"

#include <grp.h>
#include <pwd.h>

#include <cerrno>

namespace aicactl::os {
namespace {

constexpr std::size_t kInitialBuffer = 4096;
constexpr std::size_t kMaxBuffer = 1U << 22U;

UserInfo to_user(const passwd& pw) {
  return UserInfo{pw.pw_name, pw.pw_uid, pw.pw_gid, pw.pw_dir != nullptr ? pw.pw_dir : "",
                  pw.pw_shell != nullptr ? pw.pw_shell : ""};
}

GroupInfo to_group(const group& gr) {
  GroupInfo info{gr.gr_name, gr.gr_gid, {}};
  for (char** m = gr.gr_mem; m != nullptr && *m != nullptr; ++m) {
    info.members.emplace_back(*m);
  }
  return info;
}

template <class Entry, class Lookup, class Convert>
auto lookup(Lookup&& call, Convert&& convert) -> std::optional<decltype(convert(std::declval<Entry&>()))> {
  std::string buf(kInitialBuffer, '\0');
  for (;;) {
    Entry entry{};
    Entry* result = nullptr;
    const int rc = call(&entry, buf.data(), buf.size(), &result);
    if (rc == ERANGE && buf.size() < kMaxBuffer) {
      buf.resize(buf.size() * 2);
      continue;
    }
    if (rc != 0 || result == nullptr) {
      return std::nullopt;
    }
    return convert(entry);
  }
}

}  // namespace

std::optional<UserInfo> find_user(std::string_view name) {
  const std::string n(name);
  return lookup<passwd>(
      [&](passwd* e, char* b, std::size_t s, passwd** r) { return getpwnam_r(n.c_str(), e, b, s, r); }, to_user);
}

std::optional<UserInfo> find_user(uid_t uid) {
  return lookup<passwd>([&](passwd* e, char* b, std::size_t s, passwd** r) { return getpwuid_r(uid, e, b, s, r); },
                        to_user);
}

std::optional<GroupInfo> find_group(std::string_view name) {
  const std::string n(name);
  return lookup<group>([&](group* e, char* b, std::size_t s, group** r) { return getgrnam_r(n.c_str(), e, b, s, r); },
                       to_group);
}

std::optional<GroupInfo> find_group(gid_t gid) {
  return lookup<group>([&](group* e, char* b, std::size_t s, group** r) { return getgrgid_r(gid, e, b, s, r); },
                       to_group);
}

std::vector<gid_t> groups_of(const UserInfo& user) {
  int count = 32;
  std::vector<gid_t> groups(static_cast<std::size_t>(count));
  while (getgrouplist(user.name.c_str(), user.gid, groups.data(), &count) < 0) {
    groups.resize(static_cast<std::size_t>(count));
  }
  groups.resize(static_cast<std::size_t>(count));
  return groups;
}

}  // namespace aicactl::os
