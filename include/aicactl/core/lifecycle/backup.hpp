// SPDX-License-Identifier: Apache-2.0
// `backup list`: the term backups `term close` left in
// <data_root>/<[lifecycle] backup_dir>/<term>/ (a read-only btrfs snapshot `users`, or one
// USER.tar.zst with its .sha256 per user).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "aicactl/core/lifecycle/term.hpp"
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

}  // namespace aicactl::core
