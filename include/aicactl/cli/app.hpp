// SPDX-License-Identifier: Apache-2.0
// The command-line interface: CLI11 wiring, one file per command family, text and --json
// rendering. The only layer that prints.
#pragma once

namespace aicactl::cli {

// Parses argv, runs the command, returns the exit code (the table in aicactl(8)).
int run(int argc, char** argv);

}  // namespace aicactl::cli
