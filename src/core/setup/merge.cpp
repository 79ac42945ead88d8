// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/setup/merge.hpp"

#include <algorithm>
#include <sstream>

namespace aicactl::core {
namespace {

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> lines;
  std::string line;
  std::istringstream in{std::string(text)};
  while (std::getline(in, line)) {
    lines.push_back(line);
  }
  return lines;
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) {
    out += l;
    out += '\n';
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Whether `line` assigns one of `keys` with `sep` (e.g. '=' or ':').
bool assigns(std::string_view line, const std::vector<std::string>& keys, char sep) {
  const auto t = trim(line);
  const auto pos = t.find(sep);
  if (pos == std::string_view::npos || t.starts_with('#') || t.starts_with(';')) {
    return false;
  }
  const auto key = trim(t.substr(0, pos));
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

bool is_section(std::string_view line) {
  const auto t = trim(line);
  return t.starts_with('[');
}

std::string merge_ini(std::vector<std::string> lines, const Setting& s) {
  const std::string wanted = s.keys.front() + " = " + s.value;
  const std::string header = "[" + s.section + "]";
  auto sec = std::find_if(lines.begin(), lines.end(), [&](const std::string& l) { return trim(l) == header; });
  if (sec == lines.end()) {
    if (!lines.empty() && !trim(lines.back()).empty()) {
      lines.emplace_back("");
    }
    lines.push_back(header);
    lines.push_back(wanted);
    return join_lines(lines);
  }
  auto end = std::find_if(sec + 1, lines.end(), [](const std::string& l) { return is_section(l); });
  bool placed = false;
  for (auto it = sec + 1; it != end;) {
    if (assigns(*it, s.keys, '=')) {
      if (placed) {
        it = lines.erase(it);
        --end;
        continue;
      }
      *it = wanted;
      placed = true;
    }
    ++it;
  }
  if (!placed) {
    lines.insert(sec + 1, wanted);
  }
  return join_lines(lines);
}

std::string merge_keyvalue(std::vector<std::string> lines, const Setting& s, const std::string& wanted, bool top_only) {
  bool placed = false;
  auto limit = top_only ? std::find_if(lines.begin(), lines.end(), [](const std::string& l) { return is_section(l); })
                        : lines.end();
  for (auto it = lines.begin(); it != limit;) {
    if (assigns(*it, s.keys, '=')) {
      if (placed) {
        it = lines.erase(it);
        --limit;
        continue;
      }
      *it = wanted;
      placed = true;
    }
    ++it;
  }
  if (!placed) {
    if (top_only) {
      // Top-level TOML keys must come before the first table: after the leading comments.
      auto pos = std::find_if(lines.begin(), lines.end(), [](const std::string& l) {
        const auto t = trim(l);
        return !t.empty() && !t.starts_with('#');
      });
      lines.insert(pos, wanted);
    } else {
      lines.push_back(wanted);
    }
  }
  return join_lines(lines);
}

std::string merge_yaml_list(std::vector<std::string> lines, const Setting& s) {
  const std::string key = s.keys.front();
  std::vector<std::string> block = {key + ":", "  - " + s.value};
  auto it = std::find_if(lines.begin(), lines.end(), [&](const std::string& l) {
    return l.starts_with(key) && trim(std::string_view(l).substr(key.size())).starts_with(':');
  });
  if (it == lines.end()) {
    lines.insert(lines.end(), block.begin(), block.end());
    return join_lines(lines);
  }
  auto end = it + 1;
  while (end != lines.end() && (end->starts_with(' ') || end->starts_with('\t') || end->starts_with('-'))) {
    ++end;
  }
  it = lines.erase(it, end);
  lines.insert(it, block.begin(), block.end());
  return join_lines(lines);
}

}  // namespace

std::string merge_setting(std::string_view current, const Setting& s, std::string_view header) {
  if (s.format == FileFormat::whole) {
    return s.value;
  }
  std::vector<std::string> lines = split_lines(current.empty() ? header : current);
  switch (s.format) {
    case FileFormat::ini: return merge_ini(std::move(lines), s);
    case FileFormat::keyvalue: return merge_keyvalue(std::move(lines), s, s.keys.front() + "=" + s.value, false);
    case FileFormat::toml_top:
      return merge_keyvalue(std::move(lines), s, s.keys.front() + " = \"" + s.value + "\"", true);
    case FileFormat::yaml_list: return merge_yaml_list(std::move(lines), s);
    case FileFormat::whole: break;
  }
  return s.value;
}

}  // namespace aicactl::core
