// SPDX-License-Identifier: Apache-2.0
// One `cache repair` pass over every shared tree (incremental unless `full`), shared by
// `cache repair` and `cache watch`'s fallback passes. The caller holds the lock (`locked`: stamps
// are read and written) and renders the results.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "aicactl/cli/context.hpp"
#include "aicactl/core/cache/repair.hpp"
#include "aicactl/core/setup/config.hpp"

namespace aicactl::cli {

struct RepairPass {
  std::vector<core::RepairResult> results;
  std::vector<std::string> notes;
};

[[nodiscard]] RepairPass repair_pass(const GlobalOptions& options, const core::Config& config, bool full, bool locked);

// `cache repair --unless-watched` (cron's form): whether `cache watch` runs and a repair pass
// saved its stamps less than kWatchedRepairEvery seconds ago (so cron's pass can be left out).
inline constexpr long kWatchedRepairEvery = 3600;
[[nodiscard]] bool watched_recently(const core::Config& config);

// `cache watch` (watch_cmd.cpp), registered below `cache`.
void register_cache_watch(CLI::App& cache, Registrar& r);

}  // namespace aicactl::cli
