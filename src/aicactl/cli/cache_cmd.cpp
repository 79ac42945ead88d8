// aicactl cache repair: re-applies group, modes and ACLs below every shared cache.
#include <spdlog/spdlog.h>

#include <ctime>
#include <memory>

#include "aicactl/cli/context.hpp"
#include "aicactl/cli/render.hpp"
#include "aicactl/core/errors.hpp"
#include "aicactl/core/repair.hpp"
#include "aicactl/core/shared_acl.hpp"
#include "aicactl/os/accounts.hpp"
#include "aicactl/os/fs.hpp"

namespace aicactl::cli {
namespace {

int run_repair(const GlobalOptions& options, bool full) {
  require_root(options, "cache repair");
  const core::Config config = load_config(options);
  const auto lock = begin_mutation(options, config, "cache repair");
  const auto group = os::find_group(config.group);
  if (!group) {
    throw core::Error(core::ExitCode::failure,
                      "Group '" + config.group + "' does not exist; run 'aicactl setup' first");
  }
  std::vector<core::RepairResult> results;
  std::vector<std::string> notes;
  // Stamps of complete repairs (root-only lock dir, held under the lock): entries unchanged
  // since then are not read again. Dry runs and --full check everything.
  const std::string stamp_file = os::join_path(config.lock_dir, "cache-repair.stamps");
  const bool use_stamps = !options.dry_run && lock.has_value();
  core::RepairStamps stamps = use_stamps && !full ? core::RepairStamps::load(stamp_file) : core::RepairStamps{};
  std::uint64_t unchanged = 0;
  for (const auto& tree : config.shared_trees()) {
    auto info = os::lstat_path(tree);
    if (!info || !*info) {
      notes.push_back("'" + tree + "' does not exist; run 'aicactl setup'");
      continue;
    }
    const bool acl = config.acl_mode == core::AclMode::on ||
                     (config.acl_mode == core::AclMode::automatic && core::acl_supported_at(tree));
    if (!acl && config.acl_mode == core::AclMode::automatic) {
      notes.push_back("'" + tree + "' does not support POSIX ACLs: using setgid + group-writable modes");
    }
    const std::string key = core::RepairStamps::key(tree, (*info)->dev, (*info)->ino, group->gid, acl);
    const std::int64_t started = std::time(nullptr);
    core::RepairPolicy policy{group->gid, config.group, acl, 2, stamps.unchanged_before(key, started)};
    results.push_back(core::repair_tree(tree, policy, options.dry()));
    unchanged += results.back().unchanged;
    if (use_stamps && results.back().errors.empty()) {
      stamps.record(key, started);
    }
    spdlog::info("Repair of '{}': {} of {} entries changed", tree, results.back().changed, results.back().entries);
  }
  if (use_stamps && !stamps.save(stamp_file)) {
    spdlog::warn("Could not write '{}': the next repair checks every entry again", stamp_file);
  }
  if (unchanged > 0) {
    notes.push_back(std::to_string(unchanged) +
                    " entries unchanged since the last complete repair were not read again ('cache repair --full' "
                    "reads them)");
  }
  render_repairs(options, results, notes);
  const bool failed = std::any_of(results.begin(), results.end(), [](const auto& r) { return !r.errors.empty(); });
  return static_cast<int>(failed ? core::ExitCode::partial : core::ExitCode::ok);
}

}  // namespace

void register_cache(Registrar& r) {
  auto* cache = r.app.add_subcommand("cache", "Shared caches");
  cache->require_subcommand(1);
  cache->fallthrough();
  auto* repair = cache->add_subcommand("repair", "Re-apply group, setgid, modes and ACLs below every shared cache");
  repair->fallthrough();
  auto full = std::make_shared<bool>(false);
  repair->add_flag("--full", *full,
                   "Read every entry, also those unchanged (same ctime) since the last complete repair");
  repair->callback([&r, full] { r.set_handler([&o = r.options, full] { return run_repair(o, *full); }); });
}

}  // namespace aicactl::cli
