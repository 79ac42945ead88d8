// SPDX-License-Identifier: Apache-2.0
// One `cache repair` pass over every shared tree of the config, shared by `cache repair` and
// `cache watch`'s fallback passes: the ACL mode of each tree (on, off, or automatic: ACLs where
// its file system has them) and the stamps of complete repairs (RepairStamps, in the lock dir)
// that let an incremental pass skip the entries unchanged since. Stamps are read and written only
// for a caller that holds the lock, and never by a dry run.
#pragma once

#include <string>
#include <vector>

#include "aicactl/core/cache/repair.hpp"
#include "aicactl/core/plan/plan.hpp"
#include "aicactl/core/setup/config.hpp"
#include "aicactl/os/walk.hpp"

namespace aicactl::core {

// The stamps' file in the config's lock dir.
inline constexpr const char* kRepairStampsFile = "cache-repair.stamps";

enum class RepairScope {
  incremental,  // entries unchanged since the last complete repair are not read again
  full,         // every entry is read (cache repair --full)
};
enum class Locked { no, yes };

struct RepairPassOptions {
  RepairScope scope = RepairScope::incremental;
  DryRun dry_run = DryRun::no;
  Locked locked = Locked::yes;           // the caller holds the lock: stamps are used
  os::WalkProgress* progress = nullptr;  // counted into for a terminal's display
};

struct RepairPassReport {
  std::vector<RepairResult> results;  // one per existing tree (an I/O error on its root included)
  std::vector<std::string> notes;     // missing trees, trees without ACLs, entries not read again
  std::vector<std::string> warnings;  // the stamps could not be saved
  [[nodiscard]] bool failed() const;  // some tree has errors
};

// Repairs every shared tree in turn. Throws Error(failure) when the sharing group does not exist.
[[nodiscard]] RepairPassReport repair_shared_trees(const Config& config, const RepairPassOptions& options);

}  // namespace aicactl::core
