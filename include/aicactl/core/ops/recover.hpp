// SPDX-License-Identifier: Apache-2.0
// recover: rebuilds the server from /data alone after a reboot or re-image. Refuses to run
// when /data is not a mounted file system of its own; then restores the registry's groups (with
// their gids), everything setup manages, and every user (account with its uid, link, conda).
#pragma once

#include <string>
#include <vector>

#include "aicactl/core/plan/plan.hpp"
#include "aicactl/core/setup/config.hpp"
#include "aicactl/core/users/registry.hpp"

namespace aicactl::core {

// Plan items restoring every group the registry names, with its recorded gid (a gid that
// another group holds is a conflict for the users that need it, reported per group).
[[nodiscard]] std::vector<PlanItem> plan_registry_groups(const Registry& registry);

}  // namespace aicactl::core
