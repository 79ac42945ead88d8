// SPDX-License-Identifier: Apache-2.0
// An os source may not include a core header: this must not compile (see CMakeLists.txt).
#include "aicactl/core/plan/errors.hpp"
