// SPDX-License-Identifier: Apache-2.0
// user remove: the plan that takes a user off the server (the /home link when it still points to
// the home, the account by userdel, the home kept, archived or purged) and what the registry
// keeps of them (their ids are never handed out again). Applied by apply_plan like every plan.
#pragma once

#include <string>

#include "aicactl/core/plan/plan.hpp"
#include "aicactl/core/setup/config.hpp"
#include "aicactl/core/users/registry.hpp"

namespace aicactl::core {

enum class HomeDisposition {
  keep,     // left in <data_root>/users/NAME (a note says so)
  archive,  // moved to <data_root>/archive/NAME-YYYYMMDD
  purge,    // deleted with everything in it
};

struct RemovalPlan {
  Plan plan;         // one item per change, each applied on its own
  RemovedUser gone;  // the registry's record of the removed user
};

// The changes still needed to remove `name` as of `now` (ISO 8601 UTC, see utc_now()); reads the
// link, the account and the home, changes nothing.
[[nodiscard]] RemovalPlan plan_user_removal(const Config& config, const Registry& registry, const std::string& name,
                                            HomeDisposition home, const std::string& now);

// Applies plan_user_removal's plan; when nothing failed, retires the user in `registry` and
// writes the registry (with DryRun::yes: says what it would do and changes nothing).
[[nodiscard]] Report remove_user(const Config& config, Registry& registry, const std::string& name,
                                 HomeDisposition home, DryRun dry_run);

}  // namespace aicactl::core
