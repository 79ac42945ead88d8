// SPDX-License-Identifier: Apache-2.0
// aicactl doctor: checks every invariant and prints ✓/✗ per check; exit 3 when one fails.
#include <unistd.h>

#include "aicactl/cli/context.hpp"
#include "aicactl/cli/render.hpp"
#include "aicactl/core/lifecycle/clock.hpp"
#include "aicactl/core/lifecycle/subids.hpp"
#include "aicactl/core/ops/doctor.hpp"
#include "aicactl/core/plan/errors.hpp"
#include "aicactl/core/sessions/service.hpp"
#include "aicactl/core/setup/spec.hpp"
#include "aicactl/core/users/registry.hpp"
#include "aicactl/core/watch/watcher.hpp"

namespace aicactl::cli {
namespace {

int run_doctor(const GlobalOptions& options) {
  const core::Config config = load_config(options);
  core::Check volume = core::volume_check(config);
  core::DoctorReport report;
  if (volume.ok) {
    const core::ServerSpec spec = core::build_spec(config, host_facts(options, config));
    report = core::run_doctor(config, spec, core::inspect(spec));
    const core::Registry registry = core::load_registry(config.under_root(core::kRegistryFile));
    const auto notes = core::user_notes(config, registry, core::utc_today());
    report.notes.insert(report.notes.end(), notes.begin(), notes.end());
    const auto accounts = core::account_checks(config, registry);
    report.checks.insert(report.checks.end(), accounts.begin(), accounts.end());
    auto quotas = core::quota_checks(config, registry);
    report.checks.insert(report.checks.end(), quotas.checks.begin(), quotas.checks.end());
    report.notes.insert(report.notes.end(), quotas.warnings.begin(), quotas.warnings.end());
    if (auto watch = core::watch::watch_check(config.lock_dir)) {
      report.checks.push_back(std::move(*watch));
    }
    const auto subids = core::subid_checks(registry);
    report.checks.insert(report.checks.end(), subids.begin(), subids.end());
    for (auto& c : core::sessions::session_checks(config, core::lifecycle_now())) {
      report.checks.push_back(core::Check{std::move(c.name), c.ok, std::move(c.detail)});
    }
  }
  report.checks.insert(report.checks.begin(), std::move(volume));
  if (::geteuid() != 0 && !report.ok()) {
    report.notes.emplace_back(
        "Not run as root: what only root may read (the sudo rule, the saved host keys) shows as \u2717; run 'sudo "
        "aicactl doctor'");
  }
  render_doctor(options, report);
  return static_cast<int>(report.ok() ? core::ExitCode::ok : core::ExitCode::check_failed);
}

}  // namespace

void register_doctor(Registrar& r) {
  auto* cmd = r.app.add_subcommand("doctor", "Check every invariant of the server and report \u2713/\u2717 per check");
  cmd->fallthrough();
  cmd->callback([&r] { r.set_handler([&o = r.options] { return run_doctor(o); }); });
}

}  // namespace aicactl::cli
