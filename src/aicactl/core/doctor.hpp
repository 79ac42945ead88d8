// doctor: every invariant of a set-up server checked and reported, changing nothing. It reuses
// the setup planner: an item of the spec holds when the plan for it is empty.
#pragma once

#include <string>
#include <vector>

#include "aicactl/core/config.hpp"
#include "aicactl/core/plan.hpp"

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

}  // namespace aicactl::core
