// Runs a program by argv (never through a shell), optionally capturing its output.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "aicactl/os/error.hpp"

namespace aicactl::os {

struct ProcessResult {
  int exit_code = -1;  // 128+N when killed by signal N
  std::string out;     // stdout (when captured)
  std::string err;     // stderr (when captured)
};

// Looks argv[0] up in PATH when it has no '/', as execvp does. Fails when the program cannot
// be started; a non-zero exit is a result, not an error.
// `env` entries ("NAME=value") are added to (or replace in) the inherited environment.
[[nodiscard]] Result<ProcessResult> run_program(const std::vector<std::string>& argv,
                                                const std::vector<std::string>& env = {});

enum class InheritEnv { yes, no };

struct RunOptions {
  std::vector<std::string> env;          // "NAME=value" entries
  InheritEnv inherit = InheritEnv::yes;  // no: `env` is the child's whole environment
  std::optional<mode_t> umask;           // the child's umask (else ours)
};

// run_program with a chosen environment and umask, e.g. for an installer that must not see the
// caller's CONDA_*/PYTHON* variables and must create world-readable files.
[[nodiscard]] Result<ProcessResult> run_program_with(const std::vector<std::string>& argv, const RunOptions& options);

// Finds a program in the absolute directories of $PATH, then the usual sbin/bin dirs; "" when
// absent.
[[nodiscard]] std::string find_program(const std::string& name);

}  // namespace aicactl::os
