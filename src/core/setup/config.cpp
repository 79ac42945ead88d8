// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/setup/config.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <toml.hpp>

#include "aicactl/core/lifecycle/settings_toml.hpp"
#include "aicactl/core/plan/errors.hpp"
#include "aicactl/core/sessions/settings_toml.hpp"
#include "aicactl/os/accounts.hpp"
#include "aicactl/os/fs.hpp"

namespace aicactl::core {
namespace {

constexpr std::size_t kMaxNameLength = 32;

[[noreturn]] void bad(const std::string& origin, const std::string& key, const std::string& why) {
  throw Error(ExitCode::bad_data, "Invalid configuration in '" + origin + "': '" + key + "' " + why);
}

bool safe_path_chars(std::string_view p) {
  return std::all_of(p.begin(), p.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' || c == '.' ||
           c == '_' || c == '-' || c == '+' || c == '@';
  });
}

// "" when `p` is a clean relative path (no '.', '..', empty components, absolute start).
std::string relative_problem(std::string_view p) {
  if (p.empty()) {
    return "";
  }
  if (p.front() == '/') {
    return "must be relative to layout.data_root";
  }
  if (!safe_path_chars(p)) {
    return "may only contain letters, digits and . _ - + @ /";
  }
  std::stringstream ss{std::string(p)};
  std::string comp;
  while (std::getline(ss, comp, '/')) {
    if (comp.empty() || comp == "." || comp == "..") {
      return "must not contain empty, '.' or '..' components";
    }
  }
  if (p.back() == '/') {
    return "must not end with '/'";
  }
  return "";
}

std::string absolute_problem(std::string_view p) {
  if (p.empty() || p.front() != '/') {
    return "must be an absolute path";
  }
  if (p == "/") {
    return "must not be '/'";
  }
  return relative_problem(p.substr(1));
}

std::string string_at(const toml::value& v, const std::string& origin, const std::string& key) {
  if (!v.is_string()) {
    bad(origin, key, "must be a string");
  }
  return v.as_string().str;
}

const toml::table& table_at(const toml::value& v, const std::string& origin, const std::string& key) {
  if (!v.is_table()) {
    bad(origin, key, "must be a table");
  }
  return v.as_table();
}

void check_absolute(const std::string& origin, const std::string& key, const std::string& value) {
  if (auto why = absolute_problem(value); !why.empty()) {
    bad(origin, key, why + " (got '" + value + "')");
  }
}

// The sharing group gets write access to every shared tree and runs the sudo rule: never a
// system group (gid below 1000 or above 60000) or an administrators' group.
void check_sharing_group(const std::string& origin, const std::string& group) {
  constexpr gid_t kFirstRegularGid = 1000;  // login.defs GID_MIN / GID_MAX on Debian
  constexpr gid_t kLastRegularGid = 60000;
  static const std::set<std::string> kAdminGroups = {"root", "sudo",   "admin", "wheel", "adm",   "staff",  "shadow",
                                                     "disk", "docker", "lxd",   "kvm",   "users", "nogroup"};
  if (kAdminGroups.count(group) != 0) {
    bad(origin, "layout.group", "may not be '" + group + "', a system or administrators' group");
  }
  if (auto info = os::find_group(group); info && (info->gid < kFirstRegularGid || info->gid > kLastRegularGid)) {
    bad(origin, "layout.group",
        "may not be '" + group + "': a system group (gid " + std::to_string(info->gid) +
            ", regular groups are 1000-60000)");
  }
}

void parse_named(const toml::table& table, const std::string& origin, const std::string& section,
                 std::vector<NamedPath>& into, bool open_names) {
  for (const auto& [name, value] : table) {
    const std::string key = section + "." + name;
    auto it = std::find_if(into.begin(), into.end(), [&](const NamedPath& n) { return n.name == name; });
    if (it == into.end()) {
      if (!open_names) {
        bad(origin, key, "is not a known cache (known: conda, pip, uv, npm, yarn)");
      }
      if (!name_problem(name).empty()) {
        bad(origin, key, "is not a valid name (lower-case letters, digits, '_' and '-')");
      }
      into.push_back(NamedPath{name, ""});
      it = std::prev(into.end());
    }
    const std::string rel = string_at(value, origin, key);
    if (auto why = relative_problem(rel); !why.empty()) {
      bad(origin, key, why + " (got '" + rel + "')");
    }
    it->relative = rel;
  }
}

int int_in_range(const toml::value& v, const std::string& origin, const std::string& key, int lo, int hi) {
  if (!v.is_integer() || v.as_integer() < lo || v.as_integer() > hi) {
    bad(origin, key, "must be a whole number from " + std::to_string(lo) + " to " + std::to_string(hi));
  }
  return static_cast<int>(v.as_integer());
}

// Recipients for sendmail -t: addresses or local names separated by commas; no white space or
// line breaks (they would end the header and start another).
std::string mail_problem(std::string_view to) {
  const bool ok = std::all_of(to.begin(), to.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '@' || c == '.' ||
           c == '_' || c == '-' || c == '+' || c == ',';
  });
  if (!ok) {
    return "may only contain letters, digits, commas and @ . _ - +";
  }
  if (!to.empty() && (to.front() == '-' || to.front() == ',')) {
    return "must start with an address";
  }
  return "";
}

void parse_disk(const toml::table& table, const std::string& origin, DiskConfig& d) {
  for (const auto& [name, v] : table) {
    const std::string key = "disk." + name;
    if (name == "threshold") {
      d.threshold = int_in_range(v, origin, key, 1, 100);
    } else if (name == "inode_threshold") {
      d.inode_threshold = int_in_range(v, origin, key, 1, 100);
    } else if (name == "top") {
      d.top = int_in_range(v, origin, key, 1, 1000);
    } else if (name == "paths") {
      if (!v.is_array()) {
        bad(origin, key, "must be an array of absolute paths");
      }
      d.paths.clear();
      for (const auto& item : v.as_array()) {
        const std::string p = string_at(item, origin, key);
        if (p != "/") {
          check_absolute(origin, key, p);
        }
        d.paths.push_back(p);
      }
    } else if (name == "alert_log") {
      d.alert_log = string_at(v, origin, key);
      check_absolute(origin, key, d.alert_log);
    } else if (name == "textfile") {
      d.textfile = string_at(v, origin, key);
      if (!d.textfile.empty()) {
        check_absolute(origin, key, d.textfile);
      }
    } else if (name == "mail_to") {
      d.mail_to = string_at(v, origin, key);
      if (auto why = mail_problem(d.mail_to); !why.empty()) {
        bad(origin, key, why + " (got '" + d.mail_to + "')");
      }
    } else if (name == "wall") {
      if (!v.is_boolean()) {
        bad(origin, key, "must be true or false");
      }
      d.wall = v.as_boolean();
    } else {
      bad(origin, key, "is not a known key");
    }
  }
}

}  // namespace

std::string name_problem(std::string_view name) {
  if (name.empty()) {
    return "is empty";
  }
  if (name.size() > kMaxNameLength) {
    return "is longer than 32 characters";
  }
  const char first = name.front();
  if (!((first >= 'a' && first <= 'z') || first == '_')) {
    return "must start with a lower-case letter or '_'";
  }
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || (c == '$' && i + 1 == name.size());
    if (!ok) {
      return "may only contain lower-case letters, digits, '_' and '-'";
    }
  }
  return "";
}

std::string Config::under_root(std::string_view relative) const {
  return os::join_path(data_root, relative);
}

std::vector<std::string> Config::shared_trees() const {
  std::vector<std::string> out;
  for (const auto* list : {&caches, &models}) {
    for (const auto& n : *list) {
      if (!n.relative.empty()) {
        out.push_back(under_root(n.relative));
      }
    }
  }
  return out;
}

std::string Config::cache_path(std::string_view name) const {
  for (const auto& n : caches) {
    if (n.name == name && !n.relative.empty()) {
      return under_root(n.relative);
    }
  }
  return "";
}

std::string Config::model_path(std::string_view name) const {
  for (const auto& n : models) {
    if (n.name == name && !n.relative.empty()) {
      return under_root(n.relative);
    }
  }
  return "";
}

Config default_config() {
  Config c;
  c.caches = {{"conda", "cache/conda/pkgs"},
              {"pip", "cache/pip"},
              {"uv", "cache/uv"},
              {"npm", "cache/npm"},
              {"yarn", "cache/yarn"}};
  c.models = {{"huggingface", "models/huggingface"}, {"torch", "models/torch"}};
  return c;
}

Config parse_config(std::string_view text, const std::string& origin) {
  Config c = default_config();
  toml::value root;
  try {
    std::istringstream in{std::string(text)};
    root = toml::parse(in, origin);
  } catch (const std::exception& e) {
    throw Error(ExitCode::bad_data, "Failed to parse configuration '" + origin + "': " + e.what());
  }
  const std::set<std::string> sections = {"layout", "caches", "models", "acl",       "system",  "recover",
                                          "disk",   "apps",   "clean",  "lifecycle", "sessions"};
  for (const auto& [section, value] : root.as_table()) {
    if (sections.count(section) == 0) {
      bad(origin, section,
          "is not a known section (known: layout, caches, models, acl, system, recover, disk, apps, clean, "
          "lifecycle, sessions)");
    }
    const auto& table = table_at(value, origin, section);
    if (section == "caches") {
      parse_named(table, origin, section, c.caches, false);
      continue;
    }
    if (section == "models") {
      parse_named(table, origin, section, c.models, true);
      continue;
    }
    if (section == "disk") {
      parse_disk(table, origin, c.disk);
      continue;
    }
    if (section == "lifecycle") {
      parse_lifecycle(table, origin, c.lifecycle);
      continue;
    }
    if (section == "sessions") {
      parse_sessions(table, origin, c.sessions);
      continue;
    }
    for (const auto& [name, v] : table) {
      const std::string key = section + "." + name;
      if (section == "layout" && name == "data_root") {
        c.data_root = string_at(v, origin, key);
        check_absolute(origin, key, c.data_root);
      } else if (section == "layout" && name == "group") {
        c.group = string_at(v, origin, key);
        if (auto why = name_problem(c.group); !why.empty()) {
          bad(origin, key, why + " (got '" + c.group + "')");
        }
      } else if (section == "acl" && name == "mode") {
        const auto mode = string_at(v, origin, key);
        if (mode == "auto") {
          c.acl_mode = AclMode::automatic;
        } else if (mode == "on") {
          c.acl_mode = AclMode::on;
        } else if (mode == "off") {
          c.acl_mode = AclMode::off;
        } else {
          bad(origin, key, "must be one of auto, on, off (got '" + mode + "')");
        }
      } else if (section == "system" && name == "lock_dir") {
        c.lock_dir = string_at(v, origin, key);
        check_absolute(origin, key, c.lock_dir);
      } else if (section == "recover" && name == "require_mount") {
        if (!v.is_boolean()) {
          bad(origin, key, "must be true or false");
        }
        c.require_data_mount = v.as_boolean();
      } else if (section == "system" && name == "log_file") {
        c.log_file = string_at(v, origin, key);
        check_absolute(origin, key, c.log_file);
      } else if (section == "apps" && (name == "conda_prefix" || name == "uv_dir")) {
        std::string rel = string_at(v, origin, key);
        if (rel.empty()) {
          bad(origin, key, "must not be empty");
        }
        if (auto why = relative_problem(rel); !why.empty()) {
          bad(origin, key, why + " (got '" + rel + "')");
        }
        (name == "conda_prefix" ? c.conda_prefix : c.uv_dir) = std::move(rel);
      } else if (section == "clean" && name == "incomplete_min_age_hours") {
        constexpr int kHoursPerYear = 8760;
        c.clean_incomplete_hours = int_in_range(v, origin, key, 0, kHoursPerYear);
      } else {
        bad(origin, key, "is not a known key");
      }
    }
  }
  std::sort(c.models.begin() + 2, c.models.end(),
            [](const NamedPath& a, const NamedPath& b) { return a.name < b.name; });
  std::map<std::string, std::string> seen;
  for (const auto* list : {&c.caches, &c.models}) {
    for (const auto& n : *list) {
      if (n.relative.empty()) {
        continue;
      }
      if (auto [it, fresh] = seen.emplace(n.relative, n.name); !fresh) {
        bad(origin, n.name, "uses the same directory as '" + it->second + "' (" + n.relative + ")");
      }
    }
  }
  // A shared tree is made group-writable: it lies strictly below its root (cache/ or models/),
  // which keeps it out of users/, system/ and apps/, and neither holds nor lies in another tree.
  for (const auto& [list, base] :
       {std::pair{&c.caches, std::string("cache/")}, std::pair{&c.models, std::string("models/")}}) {
    for (const auto& n : *list) {
      if (!n.relative.empty() && (!n.relative.starts_with(base) || n.relative.size() == base.size())) {
        bad(origin, (list == &c.caches ? "caches." : "models.") + n.name,
            "must lie below '" + base + "' (a shared, group-writable tree; got '" + n.relative + "')");
      }
    }
  }
  for (const auto* outer : {&c.caches, &c.models}) {
    for (const auto& a : *outer) {
      for (const auto* inner : {&c.caches, &c.models}) {
        for (const auto& b : *inner) {
          if (!a.relative.empty() && !b.relative.empty() && b.relative.starts_with(a.relative + "/")) {
            bad(origin, b.name, "lies inside '" + a.name + "' (" + a.relative + "); shared trees must not nest");
          }
        }
      }
    }
  }
  check_sharing_group(origin, c.group);
  // Root-run tools must not live in (or contain) a tree that users can write.
  for (const auto& [key, app] :
       {std::pair{"apps.conda_prefix", &c.conda_prefix}, std::pair{"apps.uv_dir", &c.uv_dir}}) {
    std::vector<std::string> writable = {"users", "dataset", "code"};
    for (const auto* list : {&c.caches, &c.models}) {
      for (const auto& n : *list) {
        if (!n.relative.empty()) {
          writable.push_back(n.relative);
        }
      }
    }
    for (const auto& w : writable) {
      if (*app == w || app->starts_with(w + "/") || w.starts_with(*app + "/")) {
        bad(origin, key, "must not overlap '" + w + "', which users can write (got '" + *app + "')");
      }
    }
  }
  return c;
}

Config load_config(const std::string& path, bool must_exist) {
  auto text = os::read_file(path);
  if (!text) {
    throw Error(must_exist ? ExitCode::bad_data : ExitCode::failure,
                os::OsError{text.error().code, "read configuration", path}.message());
  }
  if (!text->has_value()) {
    if (must_exist) {
      throw Error(ExitCode::bad_data, os::OsError{ENOENT, "read configuration", path}.message());
    }
    return default_config();
  }
  Config c = parse_config(**text, path);
  c.source = path;
  return c;
}

std::string_view to_string(AclMode mode) {
  switch (mode) {
    case AclMode::on: return "on";
    case AclMode::off: return "off";
    case AclMode::automatic: break;
  }
  return "auto";
}

std::string render_config(const Config& c) {
  std::ostringstream out;
  out << "[layout]\n"
      << "data_root = \"" << c.data_root << "\"\n"
      << "group = \"" << c.group << "\"\n\n[caches]\n";
  for (const auto& n : c.caches) {
    out << n.name << " = \"" << n.relative << "\"\n";
  }
  out << "\n[models]\n";
  for (const auto& n : c.models) {
    out << n.name << " = \"" << n.relative << "\"\n";
  }
  out << "\n[acl]\nmode = \"" << to_string(c.acl_mode) << "\"\n\n[system]\n"
      << "lock_dir = \"" << c.lock_dir << "\"\n"
      << "log_file = \"" << c.log_file << "\"\n\n[recover]\n"
      << "require_mount = " << (c.require_data_mount ? "true" : "false") << "\n";
  out << "\n[apps]\n"
      << "conda_prefix = \"" << c.conda_prefix << "\"\n"
      << "uv_dir = \"" << c.uv_dir << "\"\n";
  out << "\n[disk]\n"
      << "threshold = " << c.disk.threshold << "\n"
      << "inode_threshold = " << c.disk.inode_threshold << "\n"
      << "paths = [";
  for (std::size_t i = 0; i < c.disk.paths.size(); ++i) {
    out << (i == 0 ? "" : ", ") << "\"" << c.disk.paths[i] << "\"";
  }
  out << "]\n"
      << "alert_log = \"" << c.disk.alert_log << "\"\n"
      << "wall = " << (c.disk.wall ? "true" : "false") << "\n"
      << "mail_to = \"" << c.disk.mail_to << "\"\n"
      << "textfile = \"" << c.disk.textfile << "\"\n"
      << "top = " << c.disk.top << "\n";
  out << "\n[clean]\n"
      << "incomplete_min_age_hours = " << c.clean_incomplete_hours << "\n";
  out << render_lifecycle(c.lifecycle);
  out << render_sessions(c.sessions);
  return out.str();
}

}  // namespace aicactl::core
