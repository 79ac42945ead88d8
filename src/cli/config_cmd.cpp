// SPDX-License-Identifier: Apache-2.0
// aicactl config show: the effective configuration.
#include <iostream>
#include <nlohmann/json.hpp>

#include "aicactl/cli/context.hpp"
#include "aicactl/core/plan/errors.hpp"

namespace aicactl::cli {
namespace {

nlohmann::json named(const std::vector<core::NamedPath>& list) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& n : list) {
    j[n.name] = n.relative;
  }
  return j;
}

int run_show(const GlobalOptions& options) {
  const core::Config c = load_config(options);
  if (options.json) {
    nlohmann::json j{{"layout", {{"data_root", c.data_root}, {"group", c.group}}},
                     {"caches", named(c.caches)},
                     {"models", named(c.models)},
                     {"acl", {{"mode", core::to_string(c.acl_mode)}}},
                     {"system", {{"lock_dir", c.lock_dir}, {"log_file", c.log_file}}},
                     {"recover", {{"require_mount", c.require_data_mount}}},
                     {"apps", {{"conda_prefix", c.conda_prefix}, {"uv_dir", c.uv_dir}}},
                     {"disk",
                      {{"threshold", c.disk.threshold},
                       {"inode_threshold", c.disk.inode_threshold},
                       {"paths", c.disk.paths},
                       {"alert_log", c.disk.alert_log},
                       {"wall", c.disk.wall},
                       {"mail_to", c.disk.mail_to},
                       {"textfile", c.disk.textfile},
                       {"top", c.disk.top}}},
                     {"clean", {{"incomplete_min_age_hours", c.clean_incomplete_hours}}},
                     {"file", {{"path", options.config_path}, {"exists", !c.source.empty()}}}};
    std::cout << j.dump(2) << "\n";
  } else if (c.source.empty()) {
    std::cout << "# effective configuration: built-in defaults ('" << options.config_path << "' does not exist)\n"
              << core::render_config(c);
  } else {
    std::cout << "# effective configuration (from '" << c.source << "' and built-in defaults)\n"
              << core::render_config(c);
  }
  return 0;
}

}  // namespace

void register_config(Registrar& r) {
  auto* config = r.app.add_subcommand("config", "Configuration");
  config->require_subcommand(1);
  config->fallthrough();
  auto* show = config->add_subcommand("show", "Print the effective configuration");
  show->fallthrough();
  show->callback([&r] { r.set_handler([&o = r.options] { return run_show(o); }); });
}

}  // namespace aicactl::cli
