// SPDX-License-Identifier: Apache-2.0
// Runs a program by argv (never through a shell) with `input` as its stdin, e.g. a message
// for sendmail -t; its stdout and stderr go to /dev/null. Found and run as run_program does (the
// secure path, a clean environment).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "aicactl/os/error.hpp"

namespace aicactl::os {

// The exit code (128+N when killed by signal N). Fails when the program cannot be started.
// `input` is staged in a memfd first, so a program that does not read it cannot block us.
[[nodiscard]] Result<int> run_program_with_input(const std::vector<std::string>& argv, std::string_view input);

}  // namespace aicactl::os
