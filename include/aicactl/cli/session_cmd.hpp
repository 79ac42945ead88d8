// SPDX-License-Identifier: Apache-2.0
// aicactl session create|list|show|extend|delete|reap: GPU sessions (core/sessions).
#pragma once

#include "aicactl/cli/context.hpp"

namespace aicactl::cli {

void register_session(Registrar& r);

}  // namespace aicactl::cli
