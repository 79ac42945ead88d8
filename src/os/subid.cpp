// SPDX-License-Identifier: Apache-2.0
#include "aicactl/os/subid.hpp"

#include <charconv>
#include <limits>

namespace aicactl::os {
namespace {

std::optional<SubIdRange> parse_line(std::string_view line) {
  if (!line.empty() && line.back() == '\r') {
    line.remove_suffix(1);
  }
  const auto c1 = line.find(':');
  if (c1 == std::string_view::npos || c1 == 0 || line.front() == '#') {
    return std::nullopt;
  }
  const auto c2 = line.find(':', c1 + 1);
  if (c2 == std::string_view::npos) {
    return std::nullopt;
  }
  SubIdRange r{std::string(line.substr(0, c1)), 0, 0};
  const std::string_view start = line.substr(c1 + 1, c2 - c1 - 1);
  const std::string_view count = line.substr(c2 + 1);
  auto s = std::from_chars(start.data(), start.data() + start.size(), r.start);
  auto c = std::from_chars(count.data(), count.data() + count.size(), r.count);
  if (start.empty() || count.empty() || s.ec != std::errc{} || s.ptr != start.data() + start.size() ||
      c.ec != std::errc{} || c.ptr != count.data() + count.size() || r.count == 0) {
    return std::nullopt;
  }
  return r;
}

template <class F>
void for_each_line(std::string_view text, F&& f) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    const std::size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    f(text.substr(pos, end - pos));
    pos = end;
  }
}

}  // namespace

std::vector<SubIdRange> parse_subid(std::string_view text) {
  std::vector<SubIdRange> out;
  for_each_line(text, [&](std::string_view line) {
    if (!line.empty() && line.back() == '\n') {
      line.remove_suffix(1);
    }
    if (auto r = parse_line(line)) {
      out.push_back(std::move(*r));
    }
  });
  return out;
}

std::optional<SubIdRange> owner_of(const std::vector<SubIdRange>& ranges, std::uint64_t id) {
  for (const auto& r : ranges) {
    if (id >= r.start && id < r.end()) {
      return r;
    }
  }
  return std::nullopt;
}

bool owned_by(const SubIdRange& range, std::string_view name, uid_t uid) {
  return range.owner == name || range.owner == std::to_string(uid);
}

std::vector<SubIdRange> ranges_of(const std::vector<SubIdRange>& ranges, std::string_view name, uid_t uid) {
  std::vector<SubIdRange> out;
  for (const auto& r : ranges) {
    if (owned_by(r, name, uid)) {
      out.push_back(r);
    }
  }
  return out;
}

bool overlaps(const SubIdRange& a, const SubIdRange& b) {
  return a.start < b.end() && b.start < a.end();
}

std::optional<std::uint32_t> free_start(const std::vector<SubIdRange>& ranges, std::uint32_t count,
                                        std::uint32_t first) {
  if (count == 0) {
    return std::nullopt;
  }
  constexpr std::uint64_t kLimit = std::numeric_limits<std::uint32_t>::max();
  std::uint64_t start = (std::uint64_t{first} + count - 1) / count * count;
  while (start + count <= kLimit) {
    const SubIdRange candidate{"", static_cast<std::uint32_t>(start), count};
    std::uint64_t next = 0;
    for (const auto& r : ranges) {
      if (overlaps(candidate, r) && r.end() > next) {
        next = r.end();
      }
    }
    if (next == 0) {
      return static_cast<std::uint32_t>(start);
    }
    start = (next + count - 1) / count * count;
  }
  return std::nullopt;
}

std::string with_range(std::string_view text, const SubIdRange& range) {
  std::string out(text);
  if (!out.empty() && out.back() != '\n') {
    out += '\n';
  }
  out += range.owner + ":" + std::to_string(range.start) + ":" + std::to_string(range.count) + "\n";
  return out;
}

std::string without_owner(std::string_view text, std::string_view name, uid_t uid) {
  std::string out;
  for_each_line(text, [&](std::string_view line) {
    std::string_view bare = line;
    if (!bare.empty() && bare.back() == '\n') {
      bare.remove_suffix(1);
    }
    auto r = parse_line(bare);
    if (!r || !owned_by(*r, name, uid)) {
      out += line;
    }
  });
  return out;
}

}  // namespace aicactl::os
