// aicactl setup: turns a bare server into the aicactl layout, idempotently.
#include <spdlog/spdlog.h>

#include "aicactl/cli/context.hpp"
#include "aicactl/cli/render.hpp"
#include "aicactl/core/errors.hpp"
#include "aicactl/core/plan.hpp"
#include "aicactl/core/spec.hpp"

namespace aicactl::cli {
namespace {

int run_setup(const GlobalOptions& options) {
  require_root(options, "setup");
  const core::Config config = load_config(options);
  const auto lock = begin_mutation(options, config, "setup");
  const core::ServerSpec spec = core::build_spec(config, host_facts(options, config));
  const core::Plan plan = core::plan_setup(spec, core::inspect(spec));
  const core::Report report = core::apply_plan(plan, options.dry());
  render_report(options, "setup", report);
  return static_cast<int>(report.failed > 0 ? core::ExitCode::partial : core::ExitCode::ok);
}

}  // namespace

void register_setup(Registrar& r) {
  auto* cmd =
      r.app.add_subcommand("setup", "Create the /data layout, shared caches, global env and the installed binary");
  cmd->fallthrough();
  cmd->callback([&r] { r.set_handler([&o = r.options] { return run_setup(o); }); });
}

}  // namespace aicactl::cli
