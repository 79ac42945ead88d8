// SPDX-License-Identifier: Apache-2.0
// /etc/subuid and /etc/subgid (subuid(5)): "OWNER:START:COUNT" per line, OWNER a login name or a
// numeric uid. Owners are matched whole (never as a substring: uid 1000 is not the owner of
// "alice:231000:65536"). Editing keeps every other line (other tools' ranges, comments) verbatim.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aicactl::os {

struct SubIdRange {
  std::string owner;  // a name or a numeric uid, as written
  std::uint32_t start = 0;
  std::uint32_t count = 0;
  bool operator==(const SubIdRange&) const = default;
  [[nodiscard]] std::uint64_t end() const { return std::uint64_t{start} + count; }  // one past the last id
};

// The well-formed lines of `text`; comments, blank and malformed lines are left out.
[[nodiscard]] std::vector<SubIdRange> parse_subid(std::string_view text);

// The range that holds sub id `id`, if any (the first such line).
[[nodiscard]] std::optional<SubIdRange> owner_of(const std::vector<SubIdRange>& ranges, std::uint64_t id);

// Whether a line belongs to the user `name` with uid `uid`: its owner field equals the name or
// the decimal uid exactly.
[[nodiscard]] bool owned_by(const SubIdRange& range, std::string_view name, uid_t uid);
[[nodiscard]] std::vector<SubIdRange> ranges_of(const std::vector<SubIdRange>& ranges, std::string_view name,
                                                uid_t uid);

[[nodiscard]] bool overlaps(const SubIdRange& a, const SubIdRange& b);

// The lowest multiple of `count` at or above `first` whose `count` ids overlap no range (and
// stay below 2^32 - 1); nullopt when none is left.
[[nodiscard]] std::optional<std::uint32_t> free_start(const std::vector<SubIdRange>& ranges, std::uint32_t count,
                                                      std::uint32_t first = 100000);

// `text` with `range` appended as one line (a final newline added when missing).
[[nodiscard]] std::string with_range(std::string_view text, const SubIdRange& range);
// `text` without the lines owned by `name`/`uid`; every other line is kept as it is.
[[nodiscard]] std::string without_owner(std::string_view text, std::string_view name, uid_t uid);

}  // namespace aicactl::os
