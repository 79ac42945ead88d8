// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/users/registry.hpp"

#include <algorithm>
#include <array>
#include <ctime>
#include <sstream>
#include <toml.hpp>

#include "aicactl/core/plan/errors.hpp"
#include "aicactl/core/setup/config.hpp"
#include "aicactl/os/atomic_file.hpp"
#include "aicactl/os/fs.hpp"

namespace aicactl::core {
namespace {

[[noreturn]] void bad(const std::string& origin, const std::string& what) {
  throw Error(ExitCode::bad_data, "Invalid user registry '" + origin + "': " + what);
}

std::string toml_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  return out + "\"";
}

GroupRef parse_group_ref(const std::string& text, const std::string& origin, const std::string& user) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    bad(origin, "users." + user + ".groups: '" + text + "' is not NAME:GID");
  }
  GroupRef ref{text.substr(0, colon), 0};
  try {
    std::size_t used = 0;
    const unsigned long gid = std::stoul(text.substr(colon + 1), &used);
    if (used != text.size() - colon - 1 || gid > 0xfffffffeUL) {
      throw std::out_of_range("gid");
    }
    ref.gid = static_cast<gid_t>(gid);
  } catch (const std::exception&) {
    bad(origin, "users." + user + ".groups: '" + text + "' has no valid gid");
  }
  if (!name_problem(ref.name).empty()) {
    bad(origin, "users." + user + ".groups: '" + ref.name + "' is not a valid group name");
  }
  return ref;
}

std::uint32_t id_at(const toml::value& v, const std::string& origin, const std::string& key) {
  if (!v.is_integer() || v.as_integer() < 0 || v.as_integer() > 0xfffffffeLL) {
    bad(origin, key + " must be an id between 0 and 4294967294");
  }
  return static_cast<std::uint32_t>(v.as_integer());
}

std::string str_at(const toml::value& v, const std::string& origin, const std::string& key) {
  if (!v.is_string()) {
    bad(origin, key + " must be a string");
  }
  return v.as_string().str;
}

RemovedUser parse_removed(const toml::value& entry, const std::string& origin) {
  if (!entry.is_table()) {
    bad(origin, "removed: each entry must be a table");
  }
  RemovedUser r;
  bool have_uid = false;
  bool have_gid = false;
  for (const auto& [field, v] : entry.as_table()) {
    const std::string key = "removed." + field;
    if (field == "name") {
      r.name = str_at(v, origin, key);
    } else if (field == "uid") {
      r.uid = id_at(v, origin, key);
      have_uid = true;
    } else if (field == "gid") {
      r.primary.gid = id_at(v, origin, key);
      have_gid = true;
    } else if (field == "group") {
      r.primary.name = str_at(v, origin, key);
    } else if (field == "home") {
      r.home = str_at(v, origin, key);
    } else if (field == "home_path") {
      r.home_path = str_at(v, origin, key);
    } else if (field == "removed_at") {
      r.removed_at = str_at(v, origin, key);
    } else if (field == "term") {
      r.term = str_at(v, origin, key);
    } else {
      bad(origin, "'" + key + "' is not a known key");
    }
  }
  if (!name_problem(r.name).empty() || !have_uid || !have_gid) {
    bad(origin, "removed: each entry needs a valid name, uid and gid");
  }
  return r;
}

}  // namespace

const UserRecord* Registry::find(std::string_view name) const {
  auto it = std::find_if(users.begin(), users.end(), [&](const UserRecord& u) { return u.name == name; });
  return it == users.end() ? nullptr : &*it;
}

void Registry::put(UserRecord record) {
  std::sort(record.groups.begin(), record.groups.end(),
            [](const GroupRef& a, const GroupRef& b) { return a.name < b.name; });
  auto it = std::find_if(users.begin(), users.end(), [&](const UserRecord& u) { return u.name == record.name; });
  if (it != users.end()) {
    *it = std::move(record);
    return;
  }
  users.push_back(std::move(record));
  std::sort(users.begin(), users.end(), [](const UserRecord& a, const UserRecord& b) { return a.name < b.name; });
}

bool Registry::remove(std::string_view name) {
  auto it = std::find_if(users.begin(), users.end(), [&](const UserRecord& u) { return u.name == name; });
  if (it == users.end()) {
    return false;
  }
  users.erase(it);
  return true;
}

void Registry::retire(RemovedUser removed_user) {
  removed.push_back(std::move(removed_user));
}

std::string utc_now() {
  std::array<char, 32> buf{};
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  (void)std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf.data();
}

std::string utc_today() {
  return utc_now().substr(0, 10);
}

std::string date_problem(std::string_view d) {
  const bool shape = d.size() == 10 && d[4] == '-' && d[7] == '-' &&
                     std::all_of(d.begin(), d.end(), [](char c) { return (c >= '0' && c <= '9') || c == '-'; });
  if (!shape) {
    return "must be a date YYYY-MM-DD";
  }
  const int month = std::stoi(std::string(d.substr(5, 2)));
  const int day = std::stoi(std::string(d.substr(8, 2)));
  if (month < 1 || month > 12 || day < 1 || day > 31) {
    return "must be a date YYYY-MM-DD";
  }
  return "";
}

Registry parse_registry(std::string_view text, const std::string& origin) {
  toml::value root;
  try {
    std::istringstream in{std::string(text)};
    root = toml::parse(in, origin);
  } catch (const std::exception& e) {
    bad(origin, e.what());
  }
  Registry reg;
  for (const auto& [section, value] : root.as_table()) {
    if (section == "removed" && value.is_array()) {
      for (const auto& entry : value.as_array()) {
        reg.removed.push_back(parse_removed(entry, origin));
      }
      continue;
    }
    if (section != "users" || !value.is_table()) {
      bad(origin, "'" + section + "' is not a known section (expected [users.NAME] and [[removed]] tables)");
    }
    for (const auto& [name, entry] : value.as_table()) {
      const std::string key = "users." + name;
      if (!name_problem(name).empty()) {
        bad(origin, key + ": '" + name + "' is not a valid user name");
      }
      if (!entry.is_table()) {
        bad(origin, key + " must be a table");
      }
      UserRecord u;
      u.name = name;
      bool have_uid = false;
      bool have_gid = false;
      for (const auto& [field, v] : entry.as_table()) {
        const std::string fkey = key + "." + field;
        if (field == "uid") {
          u.uid = id_at(v, origin, fkey);
          have_uid = true;
        } else if (field == "gid") {
          u.primary.gid = id_at(v, origin, fkey);
          have_gid = true;
        } else if (field == "group") {
          u.primary.name = str_at(v, origin, fkey);
        } else if (field == "groups") {
          if (!v.is_array()) {
            bad(origin, fkey + " must be an array of \"NAME:GID\"");
          }
          for (const auto& g : v.as_array()) {
            u.groups.push_back(parse_group_ref(str_at(g, origin, fkey), origin, name));
          }
        } else if (field == "shell") {
          u.shell = str_at(v, origin, fkey);
        } else if (field == "expires") {
          u.expires = str_at(v, origin, fkey);
          if (!u.expires.empty() && !date_problem(u.expires).empty()) {
            bad(origin, fkey + " " + date_problem(u.expires));
          }
        } else if (field == "created_at") {
          u.created_at = str_at(v, origin, fkey);
        } else if (field == "email") {
          u.email = str_at(v, origin, fkey);
        } else if (field == "term") {
          u.term = str_at(v, origin, fkey);
        } else if (field == "subid_start") {
          u.subid_start = id_at(v, origin, fkey);
        } else if (field == "subid_count") {
          u.subid_count = id_at(v, origin, fkey);
        } else if (field == "quota") {
          if (!v.is_integer() || v.as_integer() <= 0) {
            bad(origin, fkey + " must be a positive number of bytes");
          }
          u.quota = static_cast<std::uint64_t>(v.as_integer());
        } else {
          bad(origin, "'" + fkey + "' is not a known key");
        }
      }
      if (!have_uid || !have_gid || u.primary.name.empty()) {
        bad(origin, key + " needs uid, group and gid");
      }
      if (!name_problem(u.primary.name).empty()) {
        bad(origin, key + ".group is not a valid group name");
      }
      std::sort(u.groups.begin(), u.groups.end(), [](const GroupRef& a, const GroupRef& b) { return a.name < b.name; });
      reg.users.push_back(std::move(u));  // sorted once below: put() per row is quadratic
    }
  }
  std::sort(reg.users.begin(), reg.users.end(),
            [](const UserRecord& a, const UserRecord& b) { return a.name < b.name; });
  return reg;
}

std::string render_registry(const Registry& reg) {
  std::ostringstream out;
  out << "# aicactl user registry: the accounts `aicactl recover` recreates after a re-image,\n"
         "# and the removed users whose uid and gid are never handed out again.\n"
         "# Managed by `aicactl user add/remove/import`; written atomically under the lock.\n";
  for (const auto& u : reg.users) {
    out << "\n[users." << toml_string(u.name) << "]\n"
        << "uid = " << u.uid << "\n"
        << "group = " << toml_string(u.primary.name) << "\n"
        << "gid = " << u.primary.gid << "\n"
        << "groups = [";
    for (std::size_t i = 0; i < u.groups.size(); ++i) {
      out << (i == 0 ? "" : ", ") << toml_string(u.groups[i].name + ":" + std::to_string(u.groups[i].gid));
    }
    out << "]\n"
        << "shell = " << toml_string(u.shell) << "\n"
        << "expires = " << toml_string(u.expires) << "\n"
        << "created_at = " << toml_string(u.created_at) << "\n";
    if (!u.email.empty()) {
      out << "email = " << toml_string(u.email) << "\n";
    }
    if (!u.term.empty()) {
      out << "term = " << toml_string(u.term) << "\n";
    }
    if (u.subid_count != 0) {
      out << "subid_start = " << u.subid_start << "\n"
          << "subid_count = " << u.subid_count << "\n";
    }
    if (u.quota != 0) {
      out << "quota = " << u.quota << "\n";
    }
  }
  for (const auto& r : reg.removed) {
    out << "\n[[removed]]\n"
        << "name = " << toml_string(r.name) << "\n"
        << "uid = " << r.uid << "\n"
        << "group = " << toml_string(r.primary.name) << "\n"
        << "gid = " << r.primary.gid << "\n"
        << "home = " << toml_string(r.home) << "\n"
        << "home_path = " << toml_string(r.home_path) << "\n"
        << "removed_at = " << toml_string(r.removed_at) << "\n";
    if (!r.term.empty()) {
      out << "term = " << toml_string(r.term) << "\n";
    }
  }
  return out.str();
}

Registry load_registry(const std::string& path) {
  auto text = os::read_file(path);
  if (!text) {
    throw Error(text.error());
  }
  if (!text->has_value()) {
    return Registry{};
  }
  return parse_registry(**text, path);
}

std::map<std::string, gid_t> Registry::groups() const {
  std::map<std::string, gid_t> wanted;
  for (const auto& u : users) {
    wanted.emplace(u.primary.name, u.primary.gid);
    for (const auto& g : u.groups) {
      wanted.emplace(g.name, g.gid);
    }
  }
  return wanted;
}

}  // namespace aicactl::core
