// SPDX-License-Identifier: Apache-2.0
// Rendering of reports: text for people (stdout for results, stderr for messages) and --json.
#pragma once

#include <string>
#include <vector>

#include "aicactl/cli/context.hpp"
#include "aicactl/core/cache/repair.hpp"
#include "aicactl/core/ops/doctor.hpp"
#include "aicactl/core/plan/plan.hpp"

namespace aicactl::cli {

void render_report(const GlobalOptions& options, const std::string& command, const core::Report& report);
void render_repairs(const GlobalOptions& options, const std::vector<core::RepairResult>& results,
                    const std::vector<std::string>& notes);
void render_doctor(const GlobalOptions& options, const core::DoctorReport& report);

}  // namespace aicactl::cli
