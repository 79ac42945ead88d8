// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/cache/clean.hpp"

#include <algorithm>
#include <chrono>

#include "aicactl/core/plan/errors.hpp"
#include "aicactl/os/fs.hpp"
#include "aicactl/os/lock.hpp"
#include "aicactl/os/tree_ops.hpp"

namespace aicactl::core {
namespace {

constexpr std::int64_t kSecondsPerDay = 86400;
constexpr std::int64_t kSecondsPerHour = 3600;
const char* const kIncomplete = ".incomplete";

// The entries of `root_fd` whose lock directory (`<entry_locks>/<entry>/`) holds a `*.lock` file
// someone holds: each is added to `keep` and to `result.locked`. The
// locks are only tested (a non-blocking flock, released at once), as for uv's lock.
void skip_locked_entries(int root_fd, const CleanTarget& target, std::vector<std::string>& keep, CleanResult& result) {
  const std::string locks_shown = os::join_path(target.root, target.entry_locks);
  auto locks = os::open_dir_at(root_fd, target.entry_locks.c_str(), locks_shown);
  if (!locks) {
    if (locks.error().code != ENOENT) {
      result.errors.push_back(locks.error().message());
    }
    return;
  }
  auto entries = os::list_dir(locks->get(), locks_shown);
  if (!entries) {
    result.errors.push_back(entries.error().message());
    return;
  }
  for (const auto& entry : *entries) {
    const std::string entry_shown = os::join_path(locks_shown, entry);
    auto dir = os::open_dir_at(locks->get(), entry.c_str(), entry_shown);
    if (!dir) {
      continue;  // not a directory (or gone): it guards nothing
    }
    auto files = os::list_dir(dir->get(), entry_shown);
    if (!files) {
      result.errors.push_back(files.error().message());
      continue;
    }
    for (const auto& f : *files) {
      if (!f.ends_with(".lock")) {
        continue;
      }
      const std::string shown = os::join_path(entry_shown, f);
      auto held = os::lock_file_at(dir->get(), f.c_str(), std::chrono::milliseconds(0), shown);
      if (!held && held.error().code == EWOULDBLOCK) {
        keep.push_back(entry);
        result.locked.push_back(os::join_path(target.root, entry));
        break;
      }
    }
  }
}

// What stays directly below a cache root, and why:
// - conda: `urls.txt` is the marker conda touches to tell a package cache it may write into;
// - uv: `.lock` is the file uv flocks (shared while it works, exclusive for its own clean),
//   removing it would let a running uv and a later one lock different inodes; `CACHEDIR.TAG`
//   and `.gitignore` are the markers uv writes once at the root;
// - HF hub: `.locks/` holds the files huggingface_hub flocks while it downloads.
CleanTarget cache_target(const Config& config, const std::string& selector) {
  CleanTarget t{selector, config.cache_path(selector), {}, "", false, "", ""};
  if (selector == "conda") {
    t.keep = {"urls.txt"};
  } else if (selector == "uv") {
    t.keep = {".lock", "CACHEDIR.TAG", ".gitignore"};
    t.lock = ".lock";
  }
  return t;
}

void add_model_targets(const Config& config, const std::string& selector, std::vector<CleanTarget>& out) {
  if (selector == "hf") {
    // The hub and datasets caches (and xet's chunk cache); the token and settings beside them stay.
    const std::string hf = config.model_path("huggingface");
    // huggingface_hub flocks `.locks/<repo dir>/<blob>.lock` while it downloads into
    // `<repo dir>/blobs/<blob>.incomplete`; datasets builds into `*.incomplete` directories.
    out.push_back({selector, os::join_path(hf, "hub"), {".locks"}, "", true, ".locks", kIncomplete});
    out.push_back({selector, os::join_path(hf, "datasets"), {}, "", true, "", kIncomplete});
    out.push_back({selector, os::join_path(hf, "xet"), {}, "", true, "", kIncomplete});
  } else {
    out.push_back({selector, os::join_path(config.model_path("torch"), "hub"), {}, "", true, "", ""});
  }
}

}  // namespace

bool clean_enabled(const Config& config, const std::string& selector) {
  if (selector == "hf") {
    return !config.model_path("huggingface").empty();
  }
  if (selector == "torch") {
    return !config.model_path("torch").empty();
  }
  return !config.cache_path(selector).empty();
}

const std::vector<std::string>& clean_selectors() {
  static const std::vector<std::string> selectors = {"conda", "pip", "uv", "npm", "yarn", "hf", "torch"};
  return selectors;
}

std::vector<CleanTarget> plan_clean(const Config& config, const std::vector<std::string>& selectors) {
  std::vector<CleanTarget> out;
  for (const auto& s : clean_selectors()) {
    if (std::ranges::find(selectors, s) == selectors.end()) {
      continue;
    }
    if (!clean_enabled(config, s)) {
      throw Error(ExitCode::usage, "The " + s + " cache is disabled in the configuration; nothing to clean");
    }
    if (s == "hf" || s == "torch") {
      add_model_targets(config, s, out);
    } else {
      out.push_back(cache_target(config, s));
    }
  }
  for (const auto& s : selectors) {
    if (std::ranges::find(clean_selectors(), s) == clean_selectors().end()) {
      throw Error(ExitCode::usage, "Unknown cache '" + s + "'");
    }
  }
  return out;
}

std::int64_t cutoff_for_days(unsigned days, std::chrono::system_clock::time_point now) {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  return static_cast<std::int64_t>(seconds) - static_cast<std::int64_t>(days) * kSecondsPerDay;
}

std::int64_t fresh_since_for_hours(int hours, std::chrono::system_clock::time_point now) {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  return static_cast<std::int64_t>(seconds) - static_cast<std::int64_t>(hours) * kSecondsPerHour;
}

CleanResult clean_target(const CleanTarget& target, const CleanOptions& options) {
  CleanResult result{target.selector, target.root, false, "", 0, 0, 0, {}, {}, {}};
  auto root = os::open_dir(target.root);
  if (!root) {
    if (root.error().code == ENOENT) {
      result.missing = true;
    } else {
      result.errors.push_back(root.error().message());
    }
    return result;
  }
  os::UniqueFd lock;
  if (!target.lock.empty() && options.dry_run == DryRun::no) {
    const std::string shown = os::join_path(target.root, target.lock);
    auto held = os::lock_file_at(root->get(), target.lock.c_str(), options.lock_wait, shown);
    if (!held && held.error().code == EWOULDBLOCK) {
      result.skipped = "its tool is using it ('" + shown + "' is locked)";
      return result;
    }
    if (!held) {
      result.errors.push_back(held.error().message());
      return result;
    }
    lock = std::move(*held);
  }
  std::vector<std::string> keep = target.keep;
  if (!target.entry_locks.empty()) {
    skip_locked_entries(root->get(), target, keep, result);
  }
  std::function<bool(const std::string&, const os::FileInfo&)> keep_fresh;
  if (!target.fresh_suffix.empty()) {
    keep_fresh = [&](const std::string& name, const os::FileInfo& info) {
      return name.ends_with(target.fresh_suffix) && info.mtime >= options.fresh_since;
    };
  }
  os::EmptyTreeOptions tree{options.dry_run == DryRun::yes ? os::RemoveMode::count_only : os::RemoveMode::remove,
                            options.cutoff,
                            keep,
                            options.on_removed,
                            keep_fresh,
                            options.progress};
  auto summary = os::empty_tree_fd(root->get(), target.root, tree);
  result.files = summary.files;
  result.directories = summary.directories;
  result.bytes = summary.bytes;
  result.mounts_skipped = std::move(summary.mounts_skipped);
  for (const auto& e : summary.errors) {
    result.errors.push_back(e.message());
  }
  return result;
}

}  // namespace aicactl::core
