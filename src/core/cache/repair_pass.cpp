// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/cache/repair_pass.hpp"

#include <algorithm>
#include <ctime>

#include "aicactl/core/plan/errors.hpp"
#include "aicactl/core/plan/shared_acl.hpp"
#include "aicactl/os/accounts.hpp"
#include "aicactl/os/fs.hpp"

namespace aicactl::core {

bool RepairPassReport::failed() const {
  return std::ranges::any_of(results, [](const RepairResult& r) { return !r.errors.empty(); });
}

RepairPassReport repair_shared_trees(const Config& config, const RepairPassOptions& options) {
  const auto group = os::find_group(config.group);
  if (!group) {
    throw Error(ExitCode::failure, "Group '" + config.group + "' does not exist; run 'aicactl setup' first");
  }
  RepairPassReport pass;
  // Dry runs check everything and record nothing; --full checks everything and records.
  const std::string stamp_file = os::join_path(config.lock_dir, kRepairStampsFile);
  const bool use_stamps = options.dry_run == DryRun::no && options.locked == Locked::yes;
  RepairStamps stamps =
      use_stamps && options.scope == RepairScope::incremental ? RepairStamps::load(stamp_file) : RepairStamps{};
  std::uint64_t unchanged = 0;
  for (const auto& tree : config.shared_trees()) {
    auto info = os::lstat_path(tree);
    if (!info) {  // an I/O error is a failure of this tree, never "does not exist"
      pass.results.push_back(RepairResult{tree, 0, 0, 0, {}, {}, {}, {info.error().message()}});
      continue;
    }
    if (!*info) {
      pass.notes.push_back("'" + tree + "' does not exist; run 'aicactl setup'");
      continue;
    }
    const bool acl =
        config.acl_mode == AclMode::on || (config.acl_mode == AclMode::automatic && acl_supported_at(tree));
    if (!acl && config.acl_mode == AclMode::automatic) {
      pass.notes.push_back("'" + tree + "' does not support POSIX ACLs: using setgid + group-writable modes");
    }
    const std::string key = RepairStamps::key(tree, (*info)->dev, (*info)->ino, group->gid, acl);
    const std::int64_t started = std::time(nullptr);
    const RepairPolicy policy{.gid = group->gid,
                              .group = config.group,
                              .use_acl = acl,
                              .threads = 2,
                              .unchanged_before = stamps.unchanged_before(key, started),
                              .progress = options.progress};
    pass.results.push_back(repair_tree(tree, policy, options.dry_run));
    unchanged += pass.results.back().unchanged;
    if (use_stamps && pass.results.back().errors.empty()) {
      stamps.record(key, started);
    }
  }
  if (use_stamps && !stamps.save(stamp_file)) {
    pass.warnings.push_back("Could not write '" + stamp_file + "': the next repair checks every entry again");
  }
  if (unchanged > 0) {
    pass.notes.push_back(std::to_string(unchanged) +
                         " entries unchanged since the last complete repair were not read again ('cache repair "
                         "--full' reads them)");
  }
  return pass;
}

}  // namespace aicactl::core
