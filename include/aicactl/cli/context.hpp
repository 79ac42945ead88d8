// SPDX-License-Identifier: Apache-2.0
// What every command shares: the global options and the steps they all take (load the config,
// require root, take the lock, set up logging).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aicactl/core/plan/plan.hpp"
#include "aicactl/core/setup/config.hpp"
#include "aicactl/core/setup/spec.hpp"
#include "aicactl/core/setup/volume.hpp"
#include "aicactl/os/lock.hpp"

namespace aicactl::cli {

struct GlobalOptions {
  std::string config_path{aicactl::core::kDefaultConfigPath};
  bool config_given = false;
  bool dry_run = false;
  bool json = false;
  int verbose = 0;
  bool quiet = false;
  int wait_seconds = 60;           // --wait: how long a mutating command waits for the lock
  std::vector<std::string> argv;   // the arguments as given, after the program name
  const CLI::App* root = nullptr;  // the whole command tree (for the completion script)

  [[nodiscard]] core::DryRun dry() const { return dry_run ? core::DryRun::yes : core::DryRun::no; }
};

// A command's handler returns its exit code; errors are thrown as core::Error.
using Handler = std::function<int()>;

// Registers a command family's subcommands on `app`; `handler` receives the chosen one.
struct Registrar {
  CLI::App& app;
  GlobalOptions& options;
  std::function<void(Handler)> set_handler;
};

void register_setup(Registrar& r);
void register_cache(Registrar& r);
void register_doctor(Registrar& r);
void register_config(Registrar& r);
void register_user(Registrar& r);
void register_recover(Registrar& r);
void register_acl(Registrar& r);
void register_completion(Registrar& r);
void register_install(Registrar& r);
void register_disk(Registrar& r);
void register_gpu(Registrar& r);
void register_wizard(Registrar& r);

enum class Mutates { yes, no };

// Loads the configuration named by the options.
[[nodiscard]] core::Config load_config(const GlobalOptions& options);
// Loads the configuration for a command that reads or writes data_root, after checking that
// data_root is the stamped data volume (core/volume.hpp); throws no_volume naming `command` if not.
[[nodiscard]] core::Config load_data_config(const GlobalOptions& options, const std::string& command);
// The volume check alone, for setup (which may adopt a volume: see VolumeUse) and recover.
core::VolumeVerdict require_volume(const core::Config& config, core::VolumeUse use, const std::string& command);
// Throws needs-root unless running as root (dry runs may run as anyone).
void require_root(const GlobalOptions& options, const std::string& command);
// Run through sudo by a user (real uid 0, SUDO_UID set and not "0"), a command accepts only the
// exact argv (after the program name) of one of `forms`, the ones the sudoers drop-in pins;
// anything else (another flag, --config, a path) throws needs-root before anything is done.
void require_pinned_form(const GlobalOptions& options, const std::vector<std::vector<std::string>>& forms);
// Takes the one lock of mutating commands (waiting at most --wait seconds, saying who holds it;
// then throws ExitCode::temp_failure) and opens the log file; nothing for dry runs.
[[nodiscard]] std::optional<os::ProcessLock> begin_mutation(const GlobalOptions& options, const core::Config& config,
                                                            const std::string& command);
// The host facts the server spec is built from, with the bash completion script setup installs.
[[nodiscard]] core::HostFacts host_facts(const GlobalOptions& options, const core::Config& config);
// The bash completion script of the command tree under `root` (made at run time: every command,
// subcommand and option is in it without a list to keep).
[[nodiscard]] std::string bash_completion_script(const CLI::App& root);
// Writes an info line to the log files only (not to stderr), for what stdout already shows.
void log_to_files(const std::string& text);
// Sets up stderr logging from -v/-q.
void setup_logging(const GlobalOptions& options);

}  // namespace aicactl::cli
