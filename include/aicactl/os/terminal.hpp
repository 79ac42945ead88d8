// SPDX-License-Identifier: Apache-2.0
// Interactive helpers for a menu on a terminal: run a function in a child with its output
// captured (so a caller can show it in a dialog), run a full-screen program (whiptail, dialog)
// on our terminal while collecting the answer it writes to fd 3.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "aicactl/os/error.hpp"
#include "aicactl/os/process.hpp"

namespace aicactl::os {

// True when stdin and stdout are both terminals.
[[nodiscard]] bool on_terminal();

// Runs `fn` in a forked child whose stdin is /dev/null and whose stdout and stderr both go,
// in order, into `out`; exit_code is fn's return value (1 when it throws, 128+N when killed by
// signal N). Our own buffered output is flushed first so the child cannot repeat it. The caller
// must hold no other thread (fork copies only the calling one).
[[nodiscard]] Result<ProcessResult> run_captured(const std::function<int()>& fn);

// Runs argv[0] (found as run_program finds it: the secure path only, a clean environment with
// `env` on top) on our stdin, stdout and stderr, and returns what it wrote to fd 3 in `out`
// (whiptail's and dialog's --output-fd 3). A non-zero exit is a result (e.g. Cancel), not an error.
[[nodiscard]] Result<ProcessResult> run_on_terminal(const std::vector<std::string>& argv,
                                                    const std::vector<std::string>& env);

}  // namespace aicactl::os
