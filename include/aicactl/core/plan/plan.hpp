// SPDX-License-Identifier: Apache-2.0
// Plan, then apply: the engine. A planner (setup_plan, users, ...) is a pure function of a spec
// and the inspected state that emits only the actions still needed; apply_plan() is the one
// applier. Planning again after applying gives an empty plan: that is idempotency.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "aicactl/core/plan/actions.hpp"
#include "aicactl/os/acl.hpp"
#include "aicactl/os/fs.hpp"

namespace aicactl::core {

enum class DryRun { no, yes };

struct PathState {
  std::optional<os::FileInfo> info;  // nullopt: does not exist
  std::optional<os::Acl> access;
  std::optional<os::Acl> default_acl;
  std::optional<std::string> content;  // regular files we manage
  std::string link_target;             // symlinks: where they point
  std::string error;                   // inspection failed (e.g. a symlink in the parent path)
};

// One checked item of the spec (a directory, a file, the group) and what it still needs.
struct PlanItem {
  std::string check;  // "directory '/data/cache/pip'"
  std::vector<Action> actions;
  [[nodiscard]] bool ok() const { return actions.empty(); }
};

struct Plan {
  std::vector<PlanItem> items;
  std::vector<std::string> notes;  // e.g. ACL fallback
  [[nodiscard]] std::size_t action_count() const;
};

enum class Status { changed, ok, failed, planned };

struct ActionReport {
  std::string kind;
  std::string target;
  std::string description;
  Status status = Status::ok;
  std::string error;
};

struct Report {
  std::vector<ActionReport> actions;
  std::size_t changed = 0;
  std::size_t ok = 0;  // items that were already right
  std::size_t failed = 0;
  std::vector<std::string> notes;

  void merge(const Report& other);
};

// Applies every action in order, going on past failures (an item's later actions are skipped
// once one of them failed). With DryRun::yes nothing is applied and statuses are "planned".
[[nodiscard]] Report apply_plan(const Plan& plan, DryRun dry_run);

[[nodiscard]] const char* to_string(Status status);

}  // namespace aicactl::core
