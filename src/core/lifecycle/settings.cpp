// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <sstream>

#include "aicactl/core/lifecycle/settings_toml.hpp"
#include "aicactl/core/plan/errors.hpp"
#include "aicactl/core/setup/config.hpp"

namespace aicactl::core {
namespace {

[[noreturn]] void bad(const std::string& origin, const std::string& key, const std::string& why) {
  throw Error(ExitCode::bad_data, "Invalid configuration in '" + origin + "': 'lifecycle." + key + "' " + why);
}

std::vector<std::string> names_at(const toml::value& v, const std::string& origin, const std::string& key) {
  if (!v.is_array()) {
    bad(origin, key, "must be an array of names");
  }
  std::vector<std::string> out;
  for (const auto& e : v.as_array()) {
    if (!e.is_string() || !name_problem(e.as_string().str).empty()) {
      bad(origin, key, "must be an array of valid user or group names");
    }
    out.push_back(e.as_string().str);
  }
  return out;
}

std::string quoted_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    out += (i == 0 ? "\"" : ", \"") + items[i] + "\"";
  }
  return out + "]";
}

}  // namespace

void parse_lifecycle(const toml::table& table, const std::string& origin, LifecycleConfig& out) {
  constexpr int kMaxNoticeDays = 365;
  constexpr int kMaxGrace = 300;
  for (const auto& [name, v] : table) {
    if (name == "notice_days") {
      if (!v.is_array()) {
        bad(origin, name, "must be an array of days, e.g. [14, 7, 1]");
      }
      out.notice_days.clear();
      for (const auto& e : v.as_array()) {
        if (!e.is_integer() || e.as_integer() < 1 || e.as_integer() > kMaxNoticeDays) {
          bad(origin, name, "must hold days between 1 and 365");
        }
        out.notice_days.push_back(static_cast<int>(e.as_integer()));
      }
      std::ranges::sort(out.notice_days, std::greater<>());
      out.notice_days.erase(std::unique(out.notice_days.begin(), out.notice_days.end()), out.notice_days.end());
    } else if (name == "mail_domain") {
      if (!v.is_string() || v.as_string().str.find_first_of(" \t\n@<>,;\"'") != std::string::npos) {
        bad(origin, name, "must be a domain name");
      }
      out.mail_domain = v.as_string().str;
    } else if (name == "revoke_groups") {
      out.revoke_groups = names_at(v, origin, name);
    } else if (name == "keep") {
      out.keep = names_at(v, origin, name);
    } else if (name == "grace_seconds") {
      if (!v.is_integer() || v.as_integer() < 0 || v.as_integer() > kMaxGrace) {
        bad(origin, name, "must be between 0 and 300");
      }
      out.grace_seconds = static_cast<int>(v.as_integer());
    } else if (name == "purge_paths") {
      if (!v.is_array()) {
        bad(origin, name, "must be an array of absolute paths containing {user}");
      }
      out.purge_paths.clear();
      for (const auto& e : v.as_array()) {
        const std::string p = e.is_string() ? e.as_string().str : "";
        if (p.size() < 2 || p.front() != '/' || p.find("{user}") == std::string::npos ||
            p.find("/../") != std::string::npos || p.find("/./") != std::string::npos) {
          bad(origin, name, "must be an array of absolute paths containing {user}");
        }
        out.purge_paths.push_back(p);
      }
    } else if (name == "backup_dir") {
      const std::string p = v.is_string() ? v.as_string().str : "";
      if (p.empty() || p.front() == '/' || p.find("..") != std::string::npos) {
        bad(origin, name, "must be a path relative to layout.data_root");
      }
      out.backup_dir = p;
    } else {
      bad(origin, name, "is not a known key");
    }
  }
}

std::string render_lifecycle(const LifecycleConfig& c) {
  std::ostringstream out;
  out << "\n[lifecycle]\nnotice_days = [";
  for (std::size_t i = 0; i < c.notice_days.size(); ++i) {
    out << (i == 0 ? "" : ", ") << c.notice_days[i];
  }
  out << "]\n"
      << "mail_domain = \"" << c.mail_domain << "\"\n"
      << "revoke_groups = " << quoted_list(c.revoke_groups) << "\n"
      << "keep = " << quoted_list(c.keep) << "\n"
      << "grace_seconds = " << c.grace_seconds << "\n"
      << "purge_paths = " << quoted_list(c.purge_paths) << "\n"
      << "backup_dir = \"" << c.backup_dir << "\"\n";
  return out.str();
}

}  // namespace aicactl::core
