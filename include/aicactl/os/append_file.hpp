// SPDX-License-Identifier: Apache-2.0
// Appends to a log file that other processes append to as well (O_APPEND, one write call, so
// concurrent lines do not interleave); the last component is never followed if a symlink.
#pragma once

#include <sys/types.h>

#include <string_view>

#include "aicactl/os/error.hpp"

namespace aicactl::os {

// Creates the file with `mode` when missing (parents opened without following symlinks).
[[nodiscard]] Result<void> append_to_file(std::string_view path, std::string_view data, mode_t mode);

}  // namespace aicactl::os
