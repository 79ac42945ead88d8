// SPDX-License-Identifier: Apache-2.0
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

// The only directories a helper (useradd, visudo, npm, ...) is looked up in, and the PATH every
// helper runs with: root must never run a program from a directory the caller put in $PATH.
inline constexpr const char* kSecurePath = "/usr/sbin:/usr/bin:/sbin:/bin";

// Runs argv[0] (an absolute path, or a name looked up in kSecurePath only) with a clean, fixed
// environment: PATH=kSecurePath, HOME (the effective user's), LC_ALL=C.UTF-8, then `env`
// ("NAME=value") on top; nothing of the caller's environment is inherited. Fails when the
// program cannot be found or started; a non-zero exit is a result, not an error.
[[nodiscard]] Result<ProcessResult> run_program(const std::vector<std::string>& argv,
                                                const std::vector<std::string>& env = {});

enum class InheritEnv { yes, no };

struct RunOptions {
  std::vector<std::string> env;          // "NAME=value" entries
  InheritEnv inherit = InheritEnv::yes;  // yes: `env` on top of the clean base; no: `env` alone
  std::optional<mode_t> umask;           // the child's umask (else ours)
};

// run_program with a chosen environment and umask, e.g. for an installer that must create
// world-readable files. The caller's environment is never inherited.
[[nodiscard]] Result<ProcessResult> run_program_with(const std::vector<std::string>& argv, const RunOptions& options);

// The environment a helper gets: the clean base (see run_program) with `env` on top, or `env`
// alone with InheritEnv::no.
[[nodiscard]] std::vector<std::string> helper_environment(const std::vector<std::string>& env,
                                                          InheritEnv base = InheritEnv::yes);

// An absolute `name` when it is executable; otherwise the first executable `name` in
// kSecurePath ("" when absent). Relative paths and the caller's $PATH are never used.
[[nodiscard]] std::string find_program(const std::string& name);

// find_program, and failing that `name` in `extra_dir` (e.g. /usr/local/bin for a tool that is
// often installed there), but only when nobody but root can change what runs: the directory, the
// file, and every directory and file its symlinks resolve through are root-owned and not
// writable by group or others. "" otherwise.
[[nodiscard]] std::string find_program_also_in(const std::string& name, const std::string& extra_dir);

}  // namespace aicactl::os
