// SPDX-License-Identifier: Apache-2.0
// aicactl recover: rebuild from /data alone (what the boot unit runs).
#include <spdlog/spdlog.h>

#include "aicactl/cli/context.hpp"
#include "aicactl/cli/render.hpp"
#include "aicactl/core/lifecycle/clock.hpp"
#include "aicactl/core/lifecycle/subids.hpp"
#include "aicactl/core/ops/recover.hpp"
#include "aicactl/core/plan/errors.hpp"
#include "aicactl/core/sessions/service.hpp"
#include "aicactl/core/setup/setup_plan.hpp"
#include "aicactl/core/setup/spec.hpp"
#include "aicactl/core/users/account_batch.hpp"
#include "aicactl/core/users/registry.hpp"
#include "aicactl/core/users/users.hpp"

namespace aicactl::cli {
namespace {

int run_recover(const GlobalOptions& options) {
  require_root(options, "recover");
  const core::Config config = load_data_config(options, "recover");
  const auto lock = begin_mutation(options, config, "recover");
  const core::Registry registry = core::load_registry(config.under_root(core::kRegistryFile));

  // 1. groups with their recorded gids (before setup, which would otherwise make gpu-users anew)
  //    and accounts with their uids: every missing one in a single locked edit of the account
  //    files; what that cannot do, the plans below do one at a time (or report as a conflict)
  core::Report report;
  if (!options.dry_run) {
    report = core::restore_accounts(core::plan_account_batch(config, registry));
  }
  core::Plan groups;
  groups.items = core::plan_registry_groups(registry);
  report.merge(core::apply_plan(groups, options.dry()));

  // 2. everything setup manages; top-level directories only, never a recursive walk at boot
  const core::ServerSpec spec = core::build_spec(config, host_facts(options, config));
  report.merge(core::apply_plan(core::plan_setup(spec, core::inspect(spec)), options.dry()));

  // 3. every registered user: account with its uid, home, link, conda settings
  std::size_t users_failed = 0;
  for (const auto& rec : registry.users) {
    core::Plan plan;
    plan.items = core::plan_user(core::user_spec(config, rec, core::AccountPolicy::restore),
                                 core::inspect_user(core::user_spec(config, rec, core::AccountPolicy::restore)));
    const core::Report user_report = core::apply_plan(plan, options.dry());
    if (user_report.failed > 0) {
      ++users_failed;
      spdlog::error("User '{}' was not fully recovered", rec.name);
    }
    report.merge(user_report);
  }
  // 4. the rootless-Docker sub-id ranges the registry records, identical to before
  core::Plan subids;
  subids.items = core::plan_subids(registry);
  report.merge(core::apply_plan(subids, options.dry()));
  // 5. GPU sessions: expired ones ended, the rest reconciled with the engine (when one answers)
  const auto sessions = core::sessions::recover_sessions(config, core::lifecycle_now(), options.dry());
  report.notes.insert(report.notes.end(), sessions.lines.begin(), sessions.lines.end());
  report.failed += sessions.failed;
  if (users_failed > 0) {  // a warning only when something is wrong; the summary line says the rest
    report.notes.push_back(std::to_string(registry.users.size() - users_failed) + " of " +
                           std::to_string(registry.users.size()) + " users recovered");
  }
  render_report(options, "recover", report);
  if (users_failed > 0 || report.failed > 0) {
    return static_cast<int>(core::ExitCode::partial);
  }
  return 0;
}

}  // namespace

void register_recover(Registrar& r) {
  auto* cmd = r.app.add_subcommand("recover", "Rebuild groups, accounts, links and the global env from /data (boot)");
  cmd->fallthrough();
  cmd->callback([&r] { r.set_handler([&o = r.options] { return run_recover(o); }); });
}

}  // namespace aicactl::cli
