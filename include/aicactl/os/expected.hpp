// SPDX-License-Identifier: Apache-2.0
// Propagating an error of a Result up the stack in one line (ccache's util/expected.hpp does the
// same): the function that uses it returns some Result<U>, whose error type is the one `result`
// carries. `result` is a named Result kept for its value afterwards; it is not moved from.
#pragma once

#include <expected>

// Returns result's error from the enclosing function when `result` holds one.
#define AICACTL_RETURN_IF_ERROR(result)         \
  do {                                          \
    if (!(result)) {                            \
      return std::unexpected((result).error()); \
    }                                           \
  } while (false)
