// SPDX-License-Identifier: Apache-2.0
// aicactl cache watch: the long-running live repair (core/watch), run by
// aicactl-cache-watch.service; --status reads what it last recorded in the lock directory.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "aicactl/cli/cache_repair.hpp"
#include "aicactl/cli/context.hpp"
#include "aicactl/cli/render.hpp"
#include "aicactl/core/plan/errors.hpp"
#include "aicactl/core/plan/shared_acl.hpp"
#include "aicactl/core/watch/watcher.hpp"
#include "aicactl/os/accounts.hpp"
#include "aicactl/os/atomic_file.hpp"
#include "aicactl/os/fs.hpp"
#include "aicactl/os/lock.hpp"

namespace aicactl::cli {
namespace {

using core::watch::kInstanceFile;
using core::watch::kStateFile;
// Tests only: the watcher waits this many milliseconds before reading its first events, so that
// a burst fills the kernel's queue and the overflow fallback runs.
constexpr const char* kPauseVariable = "AICACTL_WATCH_TEST_PAUSE_MS";
// How long a fallback pass waits for the lock (a cron `cache repair` holding it does the same).
constexpr int kPassWaitSeconds = 600;

std::vector<core::watch::WatchTree> watch_trees(const core::Config& config) {
  const auto group = os::find_group(config.group);
  if (!group) {
    throw core::Error(core::ExitCode::failure,
                      "Group '" + config.group + "' does not exist; run 'aicactl setup' first");
  }
  std::vector<core::watch::WatchTree> trees;
  for (const auto& tree : config.shared_trees()) {
    const bool acl = config.acl_mode == core::AclMode::on ||
                     (config.acl_mode == core::AclMode::automatic && core::acl_supported_at(tree));
    trees.push_back({tree, core::RepairPolicy{group->gid, config.group, acl, 1, 0, nullptr}});
  }
  return trees;
}

// One incremental `cache repair` pass under the lock, logged.
void fallback_pass(const GlobalOptions& options, const core::Config& config, const std::string& why) {
  spdlog::warn("cache watch: {}: running one incremental 'cache repair' pass", why);
  auto lock = os::ProcessLock::acquire_within(
      config.lock_dir, std::chrono::seconds(kPassWaitSeconds), [](const std::string& who) {
        spdlog::info("cache watch: waiting for the lock, held by {}", who.empty() ? "another process" : who);
      });
  if (!lock) {
    spdlog::error("cache watch: {}; the repair pass is left to cron's 'cache repair'", lock.error().message());
    return;
  }
  const core::RepairPassReport pass = repair_pass(options, config, core::RepairScope::incremental, core::Locked::yes);
  for (const auto& r : pass.results) {
    for (const auto& e : r.errors) {
      spdlog::error("{}", e);
    }
    spdlog::info("cache watch: repair pass of '{}': {} of {} entries changed", r.root, r.changed, r.entries);
  }
}

int pause_ms() {
  const char* value = std::getenv(kPauseVariable);  // NOLINT(concurrency-mt-unsafe): read before any thread
  return value == nullptr ? 0 : std::atoi(value);   // NOLINT(cert-err34-c): a test knob, 0 when bad
}

int run_watch(const GlobalOptions& options) {
  require_root(options, "cache watch");
  const core::Config config = load_data_config(options, "cache watch");
  const std::string state_file = os::join_path(config.lock_dir, kStateFile);
  const auto trees = watch_trees(config);
  std::optional<os::ProcessLock> lock = begin_mutation(options, config, "cache watch");
  auto instance = core::watch::claim_instance(os::join_path(config.lock_dir, kInstanceFile));
  if (!instance && instance.error().code == EWOULDBLOCK) {
    throw core::Error(core::ExitCode::temp_failure, "Another 'cache watch' is already running");
  }
  if (!instance) {
    throw core::Error(instance.error());
  }
  auto watcher = core::watch::Watcher::start(trees);
  lock.reset();
  if (!watcher) {
    fallback_pass(options, config, "fanotify is unavailable (" + watcher.error().message() + ")");
    spdlog::warn("cache watch: not watching; cron's 'cache repair' keeps the caches shared");
    return 0;
  }
  // Started (or restarted): what changed while nobody watched is found by one pass.
  fallback_pass(options, config, "started");
  (*watcher)->stats().passes = 1;
  (*watcher)->stats().started = std::time(nullptr);
  for (const auto& why : (*watcher)->unwatched()) {
    spdlog::warn("cache watch: {}: not watched; cron's 'cache repair' covers it", why);
  }
  spdlog::info("cache watch: watching {} of {} shared trees",
               config.shared_trees().size() - (*watcher)->unwatched().size(), config.shared_trees().size());
  core::watch::Watcher& w = **watcher;
  core::watch::LoopHooks hooks;
  hooks.on_overflow = [&] {
    ++w.stats().passes;
    fallback_pass(options, config, "the kernel's event queue overflowed (events were lost)");
  };
  hooks.on_error = [](const std::string& message) { spdlog::error("cache watch: {}", message); };
  hooks.save_state = [&state_file](const core::watch::WatchStats& stats) {
    if (!os::write_file_atomically(state_file, core::watch::render_state(stats, ::getpid()), 0600, 0, 0)) {
      spdlog::warn("cache watch: could not write '{}'", state_file);
    }
  };
  hooks.pause_ms = pause_ms();
  if (auto r = core::watch::run_loop(w, hooks); !r) {
    throw core::Error(r.error());
  }
  spdlog::info("cache watch: stopped ({} events, {} entries repaired)", w.stats().events, w.stats().repaired);
  return 0;
}

int run_status(const GlobalOptions& options) {
  require_root(options, "cache watch --status");
  const core::Config config = load_config(options);
  const bool running = core::watch::instance_running(os::join_path(config.lock_dir, kInstanceFile));
  const auto text = os::read_file(os::join_path(config.lock_dir, kStateFile));
  const auto state = core::watch::parse_state(text && *text ? **text : "");
  nlohmann::json out{{"running", running}};
  for (const char* key :
       {"started", "updated", "events", "repaired", "dropped", "overflows", "passes", "skipped", "errors"}) {
    const auto it = state.find(key);
    out[key] = it == state.end() ? 0 : std::stoll(it->second);
  }
  for (const char* key : {"lag_ms_last", "lag_ms_max"}) {
    const auto it = state.find(key);
    out[key] = it == state.end() ? 0.0 : std::stod(it->second);
  }
  if (options.json) {
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << "cache watch: " << (running ? "running" : "not running") << "\n";
    for (const auto& [key, value] : out.items()) {
      if (key != "running") {
        std::cout << "  " << key << ": " << value.dump() << "\n";
      }
    }
  }
  return static_cast<int>(running ? core::ExitCode::ok : core::ExitCode::check_failed);
}

}  // namespace

bool watched_recently(const core::Config& config) {
  if (!core::watch::instance_running(os::join_path(config.lock_dir, kInstanceFile))) {
    return false;
  }
  auto stamps = os::lstat_path(os::join_path(config.lock_dir, core::kRepairStampsFile));
  return stamps && *stamps && (*stamps)->mtime > std::time(nullptr) - kWatchedRepairEvery;
}

void register_cache_watch(CLI::App& cache, Registrar& r) {
  auto* watch = cache.add_subcommand(
      "watch", "Repair new entries of the shared caches as they appear (fanotify; run by aicactl-cache-watch.service)");
  watch->fallthrough();
  auto status = std::make_shared<bool>(false);
  watch->add_flag("--status", *status, "Say whether the watcher runs and what it did (exit 3 when it does not run)");
  watch->callback(
      [&r, status] { r.set_handler([&o = r.options, status] { return *status ? run_status(o) : run_watch(o); }); });
}

}  // namespace aicactl::cli
