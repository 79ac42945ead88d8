// SPDX-License-Identifier: Apache-2.0
// Rootless-Docker sub-id ranges: each registered user's range (UserRecord::subid_start/count) in
// /etc/subuid and /etc/subgid. The planner completes the files from the registry (recover, user
// repair, doctor) keeping every other line; `docker enable` picks a range that overlaps no line.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "aicactl/core/ops/doctor.hpp"
#include "aicactl/core/plan/plan.hpp"
#include "aicactl/core/users/registry.hpp"
#include "aicactl/os/subid.hpp"

namespace aicactl::core {

inline constexpr std::uint32_t kSubIdCount = 65536;
inline constexpr std::array<const char*, 2> kSubIdFiles = {"subuid", "subgid"};

// The ranges of every registered user that holds one.
[[nodiscard]] std::vector<os::SubIdRange> registry_ranges(const Registry& registry);

// One item per file (`etc_dir`/subuid, /subgid): the registered ranges that are missing are
// appended (other lines kept as they are); a registered range that overlaps another owner's
// line is a conflict, never written. `only`: just this user's range ("" = every user).
[[nodiscard]] std::vector<PlanItem> plan_subids(const Registry& registry, const std::string& etc_dir = "/etc",
                                                const std::string& only = "");

// Every pair of lines (of different owners) in `text` whose ranges overlap, described.
[[nodiscard]] std::vector<std::string> subid_overlaps(const std::string& text);

// The range `docker enable` gives `record`: its recorded one, else its existing line in both files
// when they agree and overlap nothing else, else a free aligned range. Throws Error(bad_data) when
// an existing line of the user overlaps another owner's, or no range is left.
[[nodiscard]] os::SubIdRange choose_subid_range(const Registry& registry, const UserRecord& record, uid_t uid,
                                                const std::string& etc_dir = "/etc");

// `docker disable`: both files without the user's lines (by name or uid).
[[nodiscard]] std::vector<PlanItem> plan_subid_removal(const std::string& name, uid_t uid,
                                                       const std::string& etc_dir = "/etc");

// doctor: per file, no two owners' lines overlap, and every registered range is there.
[[nodiscard]] std::vector<Check> subid_checks(const Registry& registry, const std::string& etc_dir = "/etc");

}  // namespace aicactl::core
