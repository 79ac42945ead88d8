// doctor: every invariant of a set-up server checked and reported, changing nothing. It reuses
// the setup planner: an item of the spec holds when the plan for it is empty.
#pragma once

#include <string>
#include <vector>

#include "aicactl/core/config.hpp"
#include "aicactl/core/plan.hpp"
#include "aicactl/core/registry.hpp"

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

[[nodiscard]] DoctorReport run_doctor(const Config& config, const ServerSpec& spec, const ServerState& state);

// One check per registered user: the account is whole (passwd and shadow entries, its groups
// with their gshadow entries, its memberships), read from the same planner as `user repair`.
[[nodiscard]] std::vector<Check> account_checks(const Config& config, const Registry& registry);

}  // namespace aicactl::core
