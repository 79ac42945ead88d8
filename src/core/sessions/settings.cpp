// SPDX-License-Identifier: Apache-2.0
#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>

#include "aicactl/core/plan/errors.hpp"
#include "aicactl/core/sessions/settings_toml.hpp"
#include "aicactl/core/setup/config.hpp"

namespace aicactl::core {
namespace {

constexpr std::int64_t kNanoPerCpu = 1'000'000'000;
constexpr double kMaxCpus = 1024;
constexpr std::int64_t kMinMemory = 6LL * 1024 * 1024;  // Docker's own minimum
constexpr std::int64_t kMaxPids = 4'194'304;
constexpr std::int64_t kMaxPerUser = 1000;

[[noreturn]] void bad(const std::string& origin, const std::string& key, const std::string& why) {
  throw Error(ExitCode::bad_data, "Invalid configuration in '" + origin + "': 'sessions." + key + "' " + why);
}

std::string string_at(const toml::value& v, const std::string& origin, const std::string& key) {
  if (!v.is_string()) {
    bad(origin, key, "must be a string");
  }
  return v.as_string().str;
}

bool clean_absolute(std::string_view p) {
  if (p.size() < 2 || p.front() != '/' || p.back() == '/') {
    return false;
  }
  const bool chars = std::ranges::all_of(p, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' || c == '.' ||
           c == '_' || c == '-' || c == '+' || c == '@';
  });
  return chars && p.find("//") == std::string_view::npos && p.find("/./") == std::string_view::npos &&
         p.find("/../") == std::string_view::npos && !p.ends_with("/..") && !p.ends_with("/.");
}

std::int64_t ttl_at(const toml::value& v, const std::string& origin, const std::string& key) {
  const std::string text = string_at(v, origin, key);
  try {
    return sessions::parse_ttl(text);
  } catch (const Error&) {
    bad(origin, key, "must be a duration like \"8h\", \"90m\" or \"2d\" (got '" + text + "')");
  }
}

bool host_name_ok(std::string_view h) {
  return !h.empty() && h.size() <= 253 && h.front() != '-' && std::ranges::all_of(h, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
           c == ':';
  });
}

}  // namespace

std::optional<std::int64_t> parse_memory_size(std::string_view text) {
  if (text.empty()) {
    return std::nullopt;
  }
  std::int64_t unit = 1;
  switch (text.back()) {
    case 'k':
    case 'K': unit = 1LL << 10; break;
    case 'm':
    case 'M': unit = 1LL << 20; break;
    case 'g':
    case 'G': unit = 1LL << 30; break;
    case 't':
    case 'T': unit = 1LL << 40; break;
    default: break;
  }
  const std::string_view digits = unit == 1 ? text : text.substr(0, text.size() - 1);
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  constexpr std::int64_t kMaxBytes = 1LL << 50;
  if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() || n <= 0 || n > kMaxBytes / unit) {
    return std::nullopt;
  }
  return n * unit;
}

std::optional<std::int64_t> parse_cpus(std::string_view text) {
  double v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || !(v > 0) || v > kMaxCpus) {
    return std::nullopt;
  }
  const auto nano = static_cast<std::int64_t>(std::llround(v * static_cast<double>(kNanoPerCpu)));
  return nano > 0 ? std::optional(nano) : std::nullopt;
}

std::string ttl_text(std::int64_t s) {
  constexpr std::int64_t kMinute = 60;
  constexpr std::int64_t kHour = 3600;
  constexpr std::int64_t kDay = 86400;
  if (s > 0 && s % kDay == 0) {
    return std::to_string(s / kDay) + "d";
  }
  if (s > 0 && s % kHour == 0) {
    return std::to_string(s / kHour) + "h";
  }
  if (s > 0 && s % kMinute == 0) {
    return std::to_string(s / kMinute) + "m";
  }
  return std::to_string(s) + "s";
}

void parse_sessions(const toml::table& table, const std::string& origin, SessionsConfig& out) {
  for (const auto& [name, v] : table) {
    if (name == "image") {
      out.image = string_at(v, origin, name);
      if (out.image.empty() || out.image.find_first_of(" \t\n?#%\\") != std::string::npos ||
          out.image.find("..") != std::string::npos || out.image.front() == '-') {
        bad(origin, name, "must be an image reference like \"aicactl/session:bookworm\"");
      }
    } else if (name == "engine" || name == "workspace_root") {
      const std::string p = string_at(v, origin, name);
      if (!clean_absolute(p) && !(p.empty() && name == "workspace_root")) {
        bad(origin, name, "must be a clean absolute path (got '" + p + "')");
      }
      (name == "engine" ? out.engine : out.workspace_root) = p;
    } else if (name == "ports") {
      const std::string text = string_at(v, origin, name);
      out.ports = sessions::parse_port_range(text, "'sessions.ports' in '" + origin + "'");
    } else if (name == "bind") {
      const std::string a = string_at(v, origin, name);
      unsigned char buf[16];
      if (::inet_pton(AF_INET, a.c_str(), buf) != 1 && ::inet_pton(AF_INET6, a.c_str(), buf) != 1) {
        bad(origin, name, "must be an IPv4 or IPv6 address (got '" + a + "')");
      }
      out.bind = a;
    } else if (name == "ssh_host") {
      const std::string h = string_at(v, origin, name);
      if (!h.empty() && !host_name_ok(h)) {
        bad(origin, name, "must be a host name or address (got '" + h + "')");
      }
      out.ssh_host = h;
    } else if (name == "cpus") {
      if (v.is_integer() && v.as_integer() == 0) {
        out.nano_cpus = 0;
      } else if (v.is_integer() || v.is_floating()) {
        const double d = v.is_integer() ? static_cast<double>(v.as_integer()) : v.as_floating();
        const auto nano = parse_cpus(std::to_string(d));
        if (!nano) {
          bad(origin, name, "must be a number of CPUs above 0 and at most 1024 (0: no limit)");
        }
        out.nano_cpus = *nano;
      } else {
        bad(origin, name, "must be a number of CPUs above 0 and at most 1024 (0: no limit)");
      }
    } else if (name == "memory") {
      const std::string text = string_at(v, origin, name);
      const auto bytes = text.empty() ? std::optional<std::int64_t>(0) : parse_memory_size(text);
      if (!bytes || (*bytes != 0 && *bytes < kMinMemory)) {
        bad(origin, name, "must be a size like \"16g\" or \"512m\", at least 6m (\"\": no limit; got '" + text + "')");
      }
      out.memory = *bytes;
    } else if (name == "pids_limit") {
      if (!v.is_integer() || v.as_integer() < 0 || v.as_integer() > kMaxPids) {
        bad(origin, name, "must be a whole number from 0 (no limit) to 4194304");
      }
      out.pids_limit = v.as_integer();
    } else if (name == "default_ttl") {
      out.default_ttl = ttl_at(v, origin, name);
    } else if (name == "max_ttl") {
      out.max_ttl = ttl_at(v, origin, name);
    } else if (name == "max_per_user") {
      if (!v.is_integer() || v.as_integer() < 0 || v.as_integer() > kMaxPerUser) {
        bad(origin, name, "must be a whole number from 0 (no limit) to 1000");
      }
      out.max_per_user = static_cast<unsigned>(v.as_integer());
    } else if (name == "gpu_mode") {
      const std::string m = string_at(v, origin, name);
      if (m == "device-requests") {
        out.gpu_mode = GpuMode::device_requests;
      } else if (m == "runtime") {
        out.gpu_mode = GpuMode::runtime;
      } else {
        bad(origin, name, "must be \"device-requests\" or \"runtime\" (got '" + m + "')");
      }
    } else if (name == "runtime") {
      const std::string r = string_at(v, origin, name);
      if (r.empty() || !name_problem(r).empty()) {
        bad(origin, name, "must be a runtime name like \"nvidia\" (got '" + r + "')");
      }
      out.runtime = r;
    } else {
      bad(origin, name, "is not a known key");
    }
  }
  if (out.default_ttl > out.max_ttl) {
    bad(origin, "default_ttl", "must not exceed sessions.max_ttl (" + ttl_text(out.max_ttl) + ")");
  }
}

std::string render_sessions(const SessionsConfig& c) {
  std::ostringstream out;
  out << "\n[sessions]\n"
      << "image = \"" << c.image << "\"\n"
      << "engine = \"" << c.engine << "\"\n"
      << "workspace_root = \"" << c.workspace_root << "\"\n"
      << "ports = \"" << c.ports.first << "-" << c.ports.last << "\"\n"
      << "bind = \"" << c.bind << "\"\n"
      << "ssh_host = \"" << c.ssh_host << "\"\n";
  if (c.nano_cpus % kNanoPerCpu == 0) {
    out << "cpus = " << c.nano_cpus / kNanoPerCpu << "\n";
  } else {
    out << "cpus = " << static_cast<double>(c.nano_cpus) / static_cast<double>(kNanoPerCpu) << "\n";
  }
  out << "memory = \"" << (c.memory == 0 ? std::string() : std::to_string(c.memory)) << "\"\n"
      << "pids_limit = " << c.pids_limit << "\n"
      << "default_ttl = \"" << ttl_text(c.default_ttl) << "\"\n"
      << "max_ttl = \"" << ttl_text(c.max_ttl) << "\"\n"
      << "max_per_user = " << c.max_per_user << "\n"
      << "gpu_mode = \"" << (c.gpu_mode == GpuMode::runtime ? "runtime" : "device-requests") << "\"\n"
      << "runtime = \"" << c.runtime << "\"\n";
  return out.str();
}

}  // namespace aicactl::core
