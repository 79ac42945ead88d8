// SPDX-License-Identifier: Apache-2.0
// aicactl setup: turns a bare server into the aicactl layout, idempotently.
#include <spdlog/spdlog.h>

#include <memory>

#include "aicactl/cli/context.hpp"
#include "aicactl/cli/render.hpp"
#include "aicactl/core/plan/errors.hpp"
#include "aicactl/core/setup/setup_plan.hpp"
#include "aicactl/core/setup/spec.hpp"

namespace aicactl::cli {
namespace {

struct SetupOptions {
  bool init = false;  // adopt a new, empty data volume
};

int run_setup(const GlobalOptions& options, const SetupOptions& o) {
  require_root(options, "setup");
  const core::Config config = load_config(options);
  const core::VolumeVerdict volume =
      require_volume(config, o.init ? core::VolumeUse::init : core::VolumeUse::adopt, "setup");
  const auto lock = begin_mutation(options, config, "setup");
  core::HostFacts facts = host_facts(options, config);
  facts.volume_id = volume.id;
  const core::ServerSpec spec = core::build_spec(config, facts);
  const core::Plan plan = core::plan_setup(spec, core::inspect(spec));
  core::Report report = core::apply_plan(plan, options.dry());
  if (!volume.notice.empty()) {
    report.notes.insert(report.notes.begin(), volume.notice);
  }
  render_report(options, "setup", report);
  return static_cast<int>(report.failed > 0 ? core::ExitCode::partial : core::ExitCode::ok);
}

}  // namespace

void register_setup(Registrar& r) {
  auto* cmd =
      r.app.add_subcommand("setup", "Create the /data layout, shared caches, global env and the installed binary");
  cmd->fallthrough();
  auto opts = std::make_shared<SetupOptions>();
  cmd->add_flag("--init", opts->init,
                "Adopt a new, empty data volume: write its identity stamp (data_root/system/volume-id); "
                "without it, setup refuses a data_root that is not the stamped aicactl volume");
  cmd->callback([&r, opts] { r.set_handler([&o = r.options, opts] { return run_setup(o, *opts); }); });
}

}  // namespace aicactl::cli
