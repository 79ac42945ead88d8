// SPDX-License-Identifier: Apache-2.0
// A core source may not include a cli header: this must not compile (see CMakeLists.txt).
#include "aicactl/cli/render.hpp"
