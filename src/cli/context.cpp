// SPDX-License-Identifier: Apache-2.0
#include "aicactl/cli/context.hpp"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <climits>
#include <cstdlib>

#include "aicactl/core/plan/errors.hpp"
#include "aicactl/os/fs.hpp"

namespace aicactl::cli {

core::Config load_config(const GlobalOptions& options) {
  std::string path = options.config_path;
  if (!path.empty() && path.front() != '/') {
    std::array<char, PATH_MAX> cwd{};
    if (::getcwd(cwd.data(), cwd.size()) != nullptr) {
      path = os::join_path(cwd.data(), path);
    }
  }
  return core::load_config(path, options.config_given);
}

core::VolumeVerdict require_volume(const core::Config& config, core::VolumeUse use, const std::string& command) {
  core::VolumeVerdict verdict = core::check_volume(config, use);
  if (!verdict.problem.empty()) {
    throw core::Error(core::ExitCode::no_volume, "Refusing to run '" + command + "': " + verdict.problem);
  }
  return verdict;
}

core::Config load_data_config(const GlobalOptions& options, const std::string& command) {
  core::Config config = load_config(options);
  (void)require_volume(config, core::VolumeUse::existing, command);
  return config;
}

void require_root(const GlobalOptions& options, const std::string& command) {
  if (::geteuid() != 0 && !options.dry_run) {
    throw core::Error(core::ExitCode::needs_root,
                      "'" + command + "' must run as root (try: sudo aicactl " + command + ")");
  }
}

void require_pinned_form(const GlobalOptions& options, const std::vector<std::vector<std::string>>& forms) {
  const char* sudo_uid = std::getenv("SUDO_UID");
  if (::getuid() != 0 || sudo_uid == nullptr || std::string_view(sudo_uid) == "0") {
    return;
  }
  if (std::ranges::find(forms, options.argv) != forms.end()) {
    return;
  }
  std::string allowed;
  for (const auto& f : forms) {
    std::string line = "aicactl";
    for (const auto& a : f) {
      line += " " + a;
    }
    allowed += "\n  " + line;
  }
  throw core::Error(core::ExitCode::needs_root,
                    "Through sudo, only these exact forms are accepted (no other options, paths or --config):" +
                        allowed + "\nAn administrator runs other forms as 'sudo env -u SUDO_UID aicactl ...'");
}

core::HostFacts host_facts(const GlobalOptions& options, const core::Config& config) {
  core::HostFacts facts = core::read_host_facts(config);
  if (options.root != nullptr) {
    facts.bash_completion = bash_completion_script(*options.root);
  }
  return facts;
}

void log_to_files(const std::string& text) {
  const auto& logger = spdlog::default_logger();
  const spdlog::details::log_msg msg(logger->name(), spdlog::level::info, text);
  for (const auto& sink : logger->sinks()) {
    if (dynamic_cast<spdlog::sinks::stderr_sink_mt*>(sink.get()) == nullptr && sink->should_log(msg.level)) {
      sink->log(msg);
    }
  }
}

void setup_logging(const GlobalOptions& options) {
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  sink->set_pattern("aicactl: %l: %v");
  auto logger = std::make_shared<spdlog::logger>("aicactl", sink);
  spdlog::level::level_enum level = spdlog::level::warn;
  if (options.quiet) {
    level = spdlog::level::err;
  } else if (options.verbose >= 2) {
    level = spdlog::level::debug;
  } else if (options.verbose == 1) {
    level = spdlog::level::info;
  }
  sink->set_level(level);
  logger->set_level(spdlog::level::debug);
  spdlog::set_default_logger(logger);
}

namespace {

void add_log_file(const std::string& path) {
  try {
    auto file = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path);
    file->set_pattern("%Y-%m-%dT%H:%M:%S%z aicactl[%P] %l: %v");
    file->set_level(spdlog::level::info);
    spdlog::default_logger()->sinks().push_back(file);
  } catch (const spdlog::spdlog_ex& e) {
    spdlog::warn("Failed to open log file '{}': {}, ignoring", path, e.what());
  }
}

}  // namespace

std::optional<os::ProcessLock> begin_mutation(const GlobalOptions& options, const core::Config& config,
                                              const std::string& command) {
  if (options.dry_run) {
    return std::nullopt;
  }
  const std::string lock_file = os::join_path(config.lock_dir, "lock");
  std::string holder;
  auto lock = os::ProcessLock::acquire_within(
      config.lock_dir, std::chrono::seconds(options.wait_seconds), [&](const std::string& who) {
        holder = who.empty() ? "another process" : who;
        spdlog::warn("Waiting up to {} s for the lock '{}', held by {}", options.wait_seconds, lock_file, holder);
      });
  if (!lock && lock.error().code == EWOULDBLOCK) {
    throw core::Error(core::ExitCode::temp_failure, "Gave up after " + std::to_string(options.wait_seconds) +
                                                        " s waiting for the lock '" + lock_file + "', held by " +
                                                        holder + "; try again later (or wait longer: --wait SECONDS)");
  }
  if (!lock) {
    throw core::Error(lock.error());
  }
  add_log_file(config.log_file);
  if (core::has_persistent_log_dir(config)) {  // the copy on /data, for the history after a re-image
    add_log_file(config.under_root(core::kPersistentLog));
  }
  spdlog::info("{} started", command);
  return std::move(*lock);
}

}  // namespace aicactl::cli
