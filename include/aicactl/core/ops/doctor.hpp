// SPDX-License-Identifier: Apache-2.0
// doctor: every invariant of a set-up server checked and reported, changing nothing. It reuses
// the setup planner: an item of the spec holds when the plan for it is empty.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "aicactl/core/plan/plan.hpp"
#include "aicactl/core/setup/config.hpp"
#include "aicactl/core/setup/setup_plan.hpp"
#include "aicactl/core/users/registry.hpp"

namespace aicactl::core {

struct Check {
  std::string name;
  bool ok = true;
  std::string detail;  // what is wrong (what setup would do)
};

struct DoctorReport {
  std::vector<Check> checks;
  std::vector<std::string> notes;
  [[nodiscard]] bool ok() const;
};

// Whether data_root is the mounted, stamped data volume (core/volume.hpp). When it is not,
// doctor reports this check alone: the other checks would describe the wrong disk.
[[nodiscard]] Check volume_check(const Config& config);

// Notes on the registered users that need an admin's eye without breaking an invariant:
// expired accounts and orphaned homes (core/users.hpp).
[[nodiscard]] std::vector<std::string> user_notes(const Config& config, const Registry& registry,
                                                  std::string_view today);

[[nodiscard]] DoctorReport run_doctor(const Config& config, const ServerSpec& spec, const ServerState& state);

// One check per registered user: the account is whole (passwd and shadow entries, its groups
// with their gshadow entries, its memberships), read from the same planner as `user repair`.
[[nodiscard]] std::vector<Check> account_checks(const Config& config, const Registry& registry);
// One check per user with a recorded quota: their home's qgroup carries that limit (what `user
// repair` and `recover` re-apply); and a warning for each home above kQuotaAlertPercent of its
// limit (core/users/quota).
struct QuotaFindings {
  std::vector<Check> checks;
  std::vector<std::string> warnings;
};
[[nodiscard]] QuotaFindings quota_checks(const Config& config, const Registry& registry);
// The same check for one user: what `user list` shows as the account's mark.
[[nodiscard]] bool account_is_whole(const Config& config, const UserRecord& record);

}  // namespace aicactl::core
