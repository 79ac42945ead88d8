// SPDX-License-Identifier: Apache-2.0
// `term close` (the semester reclaim) and the `backup` family (cli/term_cmd.cpp).
#pragma once

#include "aicactl/cli/context.hpp"

namespace aicactl::cli {

void register_term(Registrar& r);

}  // namespace aicactl::cli
