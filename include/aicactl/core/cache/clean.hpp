// SPDX-License-Identifier: Apache-2.0
// cache clean: empties the selected shared caches (or only their entries unused for N days),
// by fd, never following a symlink or leaving the mount. Each cache root (and each HF/torch
// subtree root) stays with its owner, mode and ACLs; only what is below it goes.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aicactl/core/plan/plan.hpp"
#include "aicactl/core/setup/config.hpp"
#include "aicactl/os/walk.hpp"

namespace aicactl::core {

// The selectors of `cache clean`, in order: conda pip uv npm yarn (caches), hf torch (models
// "huggingface" and "torch").
[[nodiscard]] const std::vector<std::string>& clean_selectors();
// Whether the cache a selector names is enabled in the configuration (what --all selects).
[[nodiscard]] bool clean_enabled(const Config& config, const std::string& selector);

// One directory whose content goes.
struct CleanTarget {
  std::string selector;           // "pip", "hf", ...
  std::string root;               // absolute; kept, its content goes
  std::vector<std::string> keep;  // names directly below `root` that stay (a tool's lock, marker)
  std::string lock;               // a name below `root` to flock while cleaning ("" for none)
  bool optional = false;          // a missing root is normal (not every HF cache has datasets/)
  // A directory below `root` (HF hub's `.locks`) whose subdirectories hold the lock files of the
  // same-named entries of `root` (`.locks/models--x--y/*.lock` for `models--x--y`): an entry with
  // a lock file someone holds (flock) is skipped and reported, a download is in progress.
  std::string entry_locks{};
  // Entries whose name ends with this (".incomplete": a partial download) stay while modified
  // at or after CleanOptions::fresh_since; "" for none.
  std::string fresh_suffix{};
};

// The targets of the selected caches. A selector whose cache is disabled in the configuration
// throws a usage Error; an unknown selector is a programming error (throws too).
[[nodiscard]] std::vector<CleanTarget> plan_clean(const Config& config, const std::vector<std::string>& selectors);

struct CleanOptions {
  DryRun dry_run = DryRun::no;
  std::optional<std::int64_t> cutoff;  // seconds since the epoch: only entries unused since go
  std::chrono::milliseconds lock_wait{5000};
  // Each topmost entry that goes (or would go); may be empty.
  std::function<void(const std::string& path, bool is_dir)> on_removed;
  // Seconds since the epoch: a target's fresh_suffix entries modified since then stay (the
  // default 0 keeps them all).
  std::int64_t fresh_since = 0;
  os::WalkProgress* progress = nullptr;  // counted into for a terminal's display
};

// The fresh_since for [clean] incomplete_min_age_hours at `now`.
[[nodiscard]] std::int64_t fresh_since_for_hours(int hours, std::chrono::system_clock::time_point now);

struct CleanResult {
  std::string selector;
  std::string root;
  bool missing = false;  // the root does not exist: nothing to do
  std::string skipped;   // why the cache was left alone (its tool holds the lock), or ""
  std::uint64_t files = 0;
  std::uint64_t directories = 0;
  std::uint64_t bytes = 0;
  std::vector<std::string> mounts_skipped;
  std::vector<std::string> errors;
  std::vector<std::string> locked{};  // entries left alone: a lock file of theirs is held
};

// The cutoff for --older-than DAYS at `now`.
[[nodiscard]] std::int64_t cutoff_for_days(unsigned days, std::chrono::system_clock::time_point now);

// Cleans one target (with DryRun::yes counts what would go, takes no lock, changes nothing).
[[nodiscard]] CleanResult clean_target(const CleanTarget& target, const CleanOptions& options);

}  // namespace aicactl::core
