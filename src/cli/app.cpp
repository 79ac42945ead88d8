// SPDX-License-Identifier: Apache-2.0
#include "aicactl/cli/app.hpp"

#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>

#include "aicactl/cli/context.hpp"
#include "aicactl/cli/lifecycle_cmd.hpp"
#include "aicactl/cli/session_cmd.hpp"
#include "aicactl/cli/term_cmd.hpp"
#include "aicactl/cli/typos.hpp"
#include "aicactl/core/plan/errors.hpp"

namespace aicactl::cli {
namespace {

void add_global_options(CLI::App& app, GlobalOptions& o) {
  app.add_option("--config", o.config_path, "Configuration file (default: /data/system/config/aicactl.toml)")
      ->each([&o](const std::string&) { o.config_given = true; });
  app.add_flag("--dry-run", o.dry_run, "Print the plan as \"Would ...\" lines and change nothing");
  app.add_flag("--json", o.json, "Machine-readable output on stdout");
  app.add_flag("-v,--verbose", o.verbose, "More messages on stderr (repeatable)");
  app.add_flag("-q,--quiet", o.quiet, "Only errors on stderr");
  constexpr int kMaxWait = 86400;
  app.add_option("--wait", o.wait_seconds,
                 "Wait at most SECONDS for another aicactl's lock, then exit 75 (default 60; 0: do not wait)")
      ->option_text("SECONDS")
      ->check(CLI::Range(0, kMaxWait));
}

// One line naming the word CLI11 could not place and the nearest known name; false when every
// word has a place (then CLI11's own message says what is wrong).
bool explain_unknown_word(const CLI::App& app, const std::vector<std::string>& args) {
  const auto unknown = find_unknown_word(app, args);
  if (!unknown) {
    return false;
  }
  std::cerr << "aicactl: error: Unknown " << (unknown->is_option ? "option '" : "command '");
  if (unknown->is_option) {
    std::cerr << unknown->word << "' for '" << unknown->command << "'";
  } else {
    std::cerr << unknown->command << " " << unknown->word << "'";
  }
  if (!unknown->suggestion.empty()) {
    std::cerr << "; did you mean '"
              << (unknown->is_option ? unknown->suggestion : unknown->command + " " + unknown->suggestion) << "'?\n";
  } else {
    std::cerr << " (see '" << unknown->command << " --help')\n";
  }
  return true;
}

}  // namespace

int run(int argc, char** argv) {
  CLI::App app{"aicactl: keeps a shared multi-user GPU server whole (see aicactl(8))", "aicactl"};
  app.set_version_flag("--version", std::string("aicactl ") + AICACTL_VERSION);
  app.require_subcommand(1);
  app.fallthrough();
  GlobalOptions options;
  options.argv.assign(argc > 0 ? argv + 1 : argv, argv + argc);
  options.root = &app;
  add_global_options(app, options);

  Handler handler;
  Registrar registrar{app, options, [&handler](Handler h) { handler = std::move(h); }};
  register_setup(registrar);
  register_cache(registrar);
  register_doctor(registrar);
  register_config(registrar);
  register_user(registrar);
  register_recover(registrar);
  register_acl(registrar);
  register_completion(registrar);  // reads the whole tree when it runs: every command is in it
  register_install(registrar);
  register_disk(registrar);
  register_gpu(registrar);
  register_wizard(registrar);
  register_lifecycle(registrar);
  register_session(registrar);
  register_term(registrar);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() != 0 && explain_unknown_word(app, options.argv)) {
      return static_cast<int>(core::ExitCode::usage);
    }
    const int rc = app.exit(e);
    return rc == 0 ? 0 : static_cast<int>(core::ExitCode::usage);
  }
  setup_logging(options);
  try {
    return handler ? handler() : static_cast<int>(core::ExitCode::usage);
  } catch (const core::Error& e) {
    spdlog::error("{}", e.what());
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return static_cast<int>(core::ExitCode::failure);
  }
}

}  // namespace aicactl::cli
