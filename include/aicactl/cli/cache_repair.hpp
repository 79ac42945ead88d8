// SPDX-License-Identifier: Apache-2.0
// What `cache repair` and `cache watch` share in the CLI: the cron form's check whether the
// watcher makes its pass unneeded, and the watch command's registration below `cache`. The pass
// itself is core::repair_shared_trees (core/cache/repair_pass).
#pragma once

#include <CLI/CLI.hpp>

#include "aicactl/cli/context.hpp"
#include "aicactl/core/cache/repair_pass.hpp"
#include "aicactl/core/setup/config.hpp"

namespace aicactl::cli {

// One repair pass over every shared tree (core::repair_shared_trees) with the progress display of
// a terminal; `locked`: the caller holds the lock. Warnings and the per-tree summary are logged.
[[nodiscard]] core::RepairPassReport repair_pass(const GlobalOptions& options, const core::Config& config,
                                                 core::RepairScope scope, core::Locked locked);

// `cache repair --unless-watched` (cron's form): whether `cache watch` runs and a repair pass
// saved its stamps less than kWatchedRepairEvery seconds ago (so cron's pass can be left out).
inline constexpr long kWatchedRepairEvery = 3600;
[[nodiscard]] bool watched_recently(const core::Config& config);

// `cache watch` (watch_cmd.cpp), registered below `cache`.
void register_cache_watch(CLI::App& cache, Registrar& r);

}  // namespace aicactl::cli
