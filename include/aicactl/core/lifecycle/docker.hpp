// SPDX-License-Identifier: Apache-2.0
// `docker enable|disable`: a user's rootless-Docker sub-id range, recorded in the registry and
// written to /etc/subuid and /etc/subgid (core/lifecycle/subids.hpp); lingering (so the user's
// rootless dockerd runs without a login) where systemd-logind runs.
#pragma once

#include "aicactl/core/plan/plan.hpp"
#include "aicactl/core/setup/config.hpp"
#include "aicactl/core/users/registry.hpp"
#include "aicactl/os/accounts.hpp"

namespace aicactl::core {

// `record` must not live in `registry` (which is replaced). Throws Error(bad_data) when the
// user's existing lines overlap another owner's.
[[nodiscard]] Report enable_docker(const Config& config, Registry& registry, const UserRecord& record,
                                   const os::UserInfo& account, DryRun dry_run);
[[nodiscard]] Report disable_docker(const Config& config, Registry& registry, const UserRecord& record,
                                    const os::UserInfo& account, DryRun dry_run);

}  // namespace aicactl::core
