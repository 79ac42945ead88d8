// aicactl doctor: checks every invariant and prints ✓/✗ per check; exit 3 when one fails.
#include "aicactl/cli/context.hpp"
#include "aicactl/cli/render.hpp"
#include "aicactl/core/doctor.hpp"
#include "aicactl/core/errors.hpp"
#include "aicactl/core/registry.hpp"
#include "aicactl/core/spec.hpp"

namespace aicactl::cli {
namespace {

int run_doctor(const GlobalOptions& options) {
  const core::Config config = load_config(options);
  const core::ServerSpec spec = core::build_spec(config, core::read_host_facts(config));
  core::DoctorReport report = core::run_doctor(config, spec, core::inspect(spec));
  const auto accounts = core::account_checks(config, core::load_registry(config.under_root(core::kRegistryFile)));
  report.checks.insert(report.checks.end(), accounts.begin(), accounts.end());
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
