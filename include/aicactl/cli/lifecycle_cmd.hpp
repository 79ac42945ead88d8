// SPDX-License-Identifier: Apache-2.0
// The life-cycle commands (cli/lifecycle_cmd.cpp): `user set`, `user expire` under the `user`
// command, and the `docker` command family.
#pragma once

#include <CLI/CLI.hpp>

#include "aicactl/cli/context.hpp"

namespace aicactl::cli {

// Adds `set` and `expire` to the `user` command.
void register_user_lifecycle(CLI::App& user, Registrar& r);
// Adds the top-level life-cycle command families.
void register_lifecycle(Registrar& r);

}  // namespace aicactl::cli
