// SPDX-License-Identifier: Apache-2.0
// `backup list`: the term backups `term close` left in
// <data_root>/<[lifecycle] backup_dir>/<term>/ (a read-only btrfs snapshot `users`, or one
// USER.tar.zst with its .sha256 per user), and `backup prune`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "aicactl/core/lifecycle/term.hpp"
#include "aicactl/core/plan/plan.hpp"
#include "aicactl/core/setup/config.hpp"
#include "aicactl/core/users/registry.hpp"

namespace aicactl::core {

struct TermBackup {
  std::string term;
  std::string path;
  BackupKind kind = BackupKind::tar;
  std::vector<std::string> users;  // sorted
  std::uint64_t bytes = 0;         // referenced (du-style) size
  std::int64_t mtime = 0;          // when the term was closed (the folder's mtime)
};

// Every term folder, oldest first (by mtime, then name); read-only. `registry` names the users
// of a btrfs snapshot (its removed rows with that term).
[[nodiscard]] std::vector<TermBackup> list_backups(const Config& config, const Registry& registry);

// The terms a prune keeping `keep` terms deletes: all but the `keep` newest, oldest first.
[[nodiscard]] std::vector<std::string> terms_to_prune(const std::vector<TermBackup>& backups, std::size_t keep);

// `backup prune --keep-terms N`: N as a whole number from 1 to 1000; anything else is an
// Error(usage) naming the value.
[[nodiscard]] std::size_t parse_keep_terms(const std::string& text);

struct PrunePlan {
  std::vector<std::string> terms;  // oldest first
  Plan plan;                       // one DeleteTermBackup per term
};
// What a prune keeping the `keep` newest of `backups` deletes; read-only.
[[nodiscard]] PrunePlan plan_prune(const Config& config, const std::vector<TermBackup>& backups, std::size_t keep);

// Applies the plan; each removed registry row of a term that is gone says home "purged" (its
// path cleared, the uid kept for good), and the registry is written. A term that failed keeps
// its rows.
[[nodiscard]] Report run_prune(const Config& config, Registry& registry, const PrunePlan& plan, DryRun dry_run);

}  // namespace aicactl::core
