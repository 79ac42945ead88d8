// SPDX-License-Identifier: Apache-2.0
// aicactl cache repair: re-applies group, modes and ACLs below every shared cache.
// aicactl cache clean: empties the selected caches (or what went unused for N days).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <ctime>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "aicactl/cli/cache_repair.hpp"
#include "aicactl/cli/context.hpp"
#include "aicactl/cli/progress.hpp"
#include "aicactl/cli/render.hpp"
#include "aicactl/core/cache/clean.hpp"
#include "aicactl/core/plan/errors.hpp"
#include "aicactl/os/text.hpp"

namespace aicactl::cli {

core::RepairPassReport repair_pass(const GlobalOptions& options, const core::Config& config, core::RepairScope scope,
                                   core::Locked locked) {
  core::RepairPassReport pass;
  {
    ProgressDisplay progress(options, "cache repair");  // cleared before the results are printed
    pass = core::repair_shared_trees(
        config, {.scope = scope, .dry_run = options.dry(), .locked = locked, .progress = progress.counter()});
  }
  for (const auto& r : pass.results) {
    spdlog::info("Repair of '{}': {} of {} entries changed", r.root, r.changed, r.entries);
  }
  for (const auto& w : pass.warnings) {
    spdlog::warn("{}", w);
  }
  return pass;
}

namespace {

int run_repair(const GlobalOptions& options, bool full, bool unless_watched) {
  require_root(options, "cache repair");
  const core::Config config = load_data_config(options, "cache repair");
  if (unless_watched && watched_recently(config)) {
    spdlog::info("cache repair: cache watch runs and a complete repair ran within the hour: nothing to do");
    return static_cast<int>(core::ExitCode::ok);
  }
  const auto lock = begin_mutation(options, config, "cache repair");
  const core::RepairPassReport pass =
      repair_pass(options, config, full ? core::RepairScope::full : core::RepairScope::incremental,
                  lock ? core::Locked::yes : core::Locked::no);
  render_repairs(options, pass.results, pass.notes);
  return static_cast<int>(pass.failed() ? core::ExitCode::partial : core::ExitCode::ok);
}

struct CleanCliOptions {
  bool all = false;
  std::map<std::string, bool> selected;  // node-based: CLI11 keeps pointers to the bools
  unsigned older_than = 0;               // days; 0: everything goes
};

// The argv a gpu-users member may run through sudo: exactly one selector, nothing else.
std::vector<std::vector<std::string>> clean_pinned_forms() {
  std::vector<std::vector<std::string>> forms{{"cache", "clean", "--all"}};
  for (const auto& s : core::clean_selectors()) {
    forms.push_back({"cache", "clean", "--" + s});
  }
  return forms;
}

std::vector<std::string> clean_selection(const core::Config& config, const CleanCliOptions& o) {
  std::vector<std::string> out;
  for (const auto& s : core::clean_selectors()) {
    if (o.all ? core::clean_enabled(config, s) : o.selected.at(s)) {
      out.push_back(s);
    }
  }
  if (out.empty()) {
    throw core::Error(core::ExitCode::usage,
                      "cache clean: say which caches to clean: --all, or one or more of --conda --pip --uv --npm "
                      "--yarn --hf --torch");
  }
  return out;
}

const char* clean_status(const GlobalOptions& options, const core::CleanResult& r) {
  if (!r.errors.empty()) {
    return "failed";
  }
  if (!r.skipped.empty()) {
    return "skipped";
  }
  if (r.missing) {
    return "missing";
  }
  return options.dry_run ? "planned" : "cleaned";
}

void render_clean(const GlobalOptions& options, const std::vector<core::CleanResult>& results,
                  const std::vector<std::pair<std::string, bool>>& listed, unsigned older_than) {
  core::CleanResult total;
  for (const auto& r : results) {
    for (const auto& m : r.mounts_skipped) {
      spdlog::warn("Not entering '{}': a mount point (another file system or a bind mount), ignoring", m);
    }
    for (const auto& e : r.errors) {
      spdlog::error("{}", e);
    }
    if (!r.skipped.empty()) {
      spdlog::warn("Skipped the {} cache '{}': {}; try again later", r.selector, r.root, r.skipped);
    }
    for (const auto& l : r.locked) {
      spdlog::warn("Skipped '{}': its download lock is held (a download is in progress); try again later", l);
    }
    total.files += r.files;
    total.directories += r.directories;
    total.bytes += r.bytes;
  }
  if (options.json) {
    nlohmann::json caches = nlohmann::json::array();
    for (const auto& r : results) {
      caches.push_back({{"cache", r.selector},
                        {"root", r.root},
                        {"status", clean_status(options, r)},
                        {"files", r.files},
                        {"directories", r.directories},
                        {"bytes", r.bytes},
                        {"reason", r.skipped},
                        {"locked", r.locked},
                        {"mounts_skipped", r.mounts_skipped},
                        {"errors", r.errors}});
    }
    nlohmann::json entries = nlohmann::json::array();
    for (const auto& [path, is_dir] : listed) {
      entries.push_back({{"path", path}, {"type", is_dir ? "directory" : "file"}});
    }
    nlohmann::json out{
        {"command", "cache clean"},
        {"dry_run", options.dry_run},
        {"older_than_days", older_than == 0 ? nlohmann::json(nullptr) : nlohmann::json(older_than)},
        {"caches", caches},
        {"summary", {{"files", total.files}, {"directories", total.directories}, {"bytes", total.bytes}}}};
    if (options.dry_run) {
      out["would_remove"] = entries;
    }
    std::cout << out.dump(2) << "\n";
    return;
  }
  for (const auto& [path, is_dir] : listed) {
    std::cout << "Would remove " << (is_dir ? "directory '" : "'") << path << "'\n";
  }
  for (const auto& r : results) {
    if (r.errors.empty() && r.skipped.empty() && !r.missing) {
      std::cout << (options.dry_run ? "Would free " : "Freed ") << os::human_size(r.bytes) << " in '" << r.root << "' ("
                << r.files << " files, " << r.directories << " directories)\n";
    }
  }
  std::cout << (options.dry_run ? "Would free " : "Freed ") << os::human_size(total.bytes) << " in total ("
            << total.bytes << " bytes, " << total.files << " files, " << total.directories << " directories)\n";
}

using Listing = std::vector<std::pair<std::string, bool>>;

core::CleanOptions clean_options(const GlobalOptions& options, const core::Config& config, const CleanCliOptions& o,
                                 Listing& listed) {
  core::CleanOptions clean{options.dry(), std::nullopt, std::chrono::milliseconds(5000), nullptr, 0};
  clean.fresh_since = core::fresh_since_for_hours(config.clean_incomplete_hours, std::chrono::system_clock::now());
  if (o.older_than > 0) {
    clean.cutoff = core::cutoff_for_days(o.older_than, std::chrono::system_clock::now());
  }
  if (options.dry_run) {
    clean.on_removed = [&listed](const std::string& path, bool is_dir) { listed.emplace_back(path, is_dir); };
  }
  return clean;
}

std::vector<core::CleanResult> clean_targets(const std::vector<core::CleanTarget>& targets,
                                             const core::CleanOptions& clean) {
  std::vector<core::CleanResult> results;
  for (const auto& t : targets) {
    results.push_back(core::clean_target(t, clean));
    const auto& r = results.back();
    if (r.missing && !t.optional) {
      spdlog::warn("'{}' does not exist; run 'aicactl setup'", r.root);
    }
    spdlog::info("Clean of '{}': {} files, {} directories, {} bytes", r.root, r.files, r.directories, r.bytes);
  }
  return results;
}

int run_clean(const GlobalOptions& options, const CleanCliOptions& o) {
  require_pinned_form(options, clean_pinned_forms());
  require_root(options, "cache clean");
  const core::Config config = load_data_config(options, "cache clean");
  const auto targets = core::plan_clean(config, clean_selection(config, o));
  const auto lock = begin_mutation(options, config, "cache clean");
  Listing listed;
  auto clean = clean_options(options, config, o, listed);
  auto progress = std::make_optional<ProgressDisplay>(options, "cache clean");
  clean.progress = progress->counter();
  const auto results = clean_targets(targets, clean);
  progress.reset();  // the line is cleared before the results are printed
  render_clean(options, results, listed, o.older_than);
  const bool partial = std::ranges::any_of(
      results, [](const auto& r) { return !r.errors.empty() || !r.skipped.empty() || !r.locked.empty(); });
  return static_cast<int>(partial ? core::ExitCode::partial : core::ExitCode::ok);
}

}  // namespace

void register_cache(Registrar& r) {
  auto* cache = r.app.add_subcommand("cache", "Shared caches");
  cache->require_subcommand(1);
  cache->fallthrough();
  auto* repair = cache->add_subcommand("repair", "Re-apply group, setgid, modes and ACLs below every shared cache");
  repair->fallthrough();
  auto full = std::make_shared<bool>(false);
  repair->add_flag("--full", *full,
                   "Read every entry, also those unchanged (same ctime) since the last complete repair");
  auto unless_watched = std::make_shared<bool>(false);
  repair->add_flag("--unless-watched", *unless_watched,
                   "Do nothing while 'cache watch' runs, unless no complete repair ran within the hour (cron's "
                   "form)");
  repair->callback([&r, full, unless_watched] {
    r.set_handler([&o = r.options, full, unless_watched] { return run_repair(o, *full, *unless_watched); });
  });

  auto opts = std::make_shared<CleanCliOptions>();
  auto* clean = cache->add_subcommand("clean", "Remove the content of the selected caches (or what went unused)");
  auto* all = clean->add_flag("--all", opts->all, "Every enabled cache and model cache");
  static const std::map<std::string, std::string> kWhat = {{"conda", "conda's package cache"},
                                                           {"pip", "pip's cache"},
                                                           {"uv", "uv's cache (waits for uv's lock)"},
                                                           {"npm", "npm's cache"},
                                                           {"yarn", "yarn's cache"},
                                                           {"hf", "HuggingFace hub, datasets and xet caches"},
                                                           {"torch", "torch hub (downloaded models)"}};
  for (const auto& s : core::clean_selectors()) {
    opts->selected[s] = false;
    clean->add_flag("--" + s, opts->selected[s], "Clean " + kWhat.at(s))->excludes(all);
  }
  clean->add_option("--older-than", opts->older_than, "Only what was neither read nor modified for DAYS days")
      ->option_text("DAYS")
      ->check(CLI::Range(1U, 36500U));
  clean->fallthrough();
  clean->callback([&r, opts] { r.set_handler([&o = r.options, opts] { return run_clean(o, *opts); }); });
  register_cache_watch(*cache, r);
}

}  // namespace aicactl::cli
