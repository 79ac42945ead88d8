// SPDX-License-Identifier: Apache-2.0
// A core source may include its own and the os layer's headers: this must compile.
#include "aicactl/core/plan/errors.hpp"
#include "aicactl/os/fd.hpp"
