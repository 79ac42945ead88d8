// aicactl cache repair: re-applies group, modes and ACLs below every shared cache.
#include <spdlog/spdlog.h>

#include "aicactl/cli/context.hpp"
#include "aicactl/cli/render.hpp"
#include "aicactl/core/errors.hpp"
#include "aicactl/core/repair.hpp"
#include "aicactl/core/shared_acl.hpp"
#include "aicactl/os/accounts.hpp"
#include "aicactl/os/fs.hpp"

namespace aicactl::cli {
namespace {

int run_repair(const GlobalOptions& options) {
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
    results.push_back(core::repair_tree(tree, core::RepairPolicy{group->gid, config.group, acl, 2}, options.dry()));
    spdlog::info("Repair of '{}': {} of {} entries changed", tree, results.back().changed, results.back().entries);
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
  repair->callback([&r] { r.set_handler([&o = r.options] { return run_repair(o); }); });
}

}  // namespace aicactl::cli
