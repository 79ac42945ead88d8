// SPDX-License-Identifier: Apache-2.0
// Setup's planner: inspect() reads the current state of everything the server spec names
// (read-only), plan_setup() turns spec + state into the plan's items. doctor reads the same plan
// as checks, so setup and doctor can never disagree.
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "aicactl/core/plan/plan.hpp"
#include "aicactl/core/setup/spec.hpp"

namespace aicactl::core {

struct ServerState {
  std::optional<gid_t> group_gid;   // nullopt: the group does not exist yet
  bool group_half_written = false;  // in /etc/group without its /etc/gshadow entry
  bool acl_supported = true;
  std::map<std::string, PathState> paths;
  std::vector<std::pair<std::string, std::string>> leftovers;  // (dir, name): temps of killed runs
  std::set<std::string> on_btrfs;                              // directories with `subvolume` whose parent is on btrfs
  std::set<std::string> subvolumes;                            // those of them that exist and are subvolumes
};

// Reads everything plan_setup looks at; changes nothing.
[[nodiscard]] ServerState inspect(const ServerSpec& spec);

[[nodiscard]] Plan plan_setup(const ServerSpec& spec, const ServerState& state);

enum class TrustView {
  current,      // as the paths are now (doctor)
  after_setup,  // as setup leaves them: paths it creates or fixes count as fixed (setup)
};

// "" when `path` and every directory above it up to '/' are root-owned, not symlinks and not
// writable by group/other in `view`, else the first problem. `state` holds every one of them
// (inspect() reads the chain of each file's trusted_path).
[[nodiscard]] std::string trust_problem(const ServerSpec& spec, const ServerState& state, const std::string& path,
                                        TrustView view);

}  // namespace aicactl::core
