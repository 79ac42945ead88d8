// SPDX-License-Identifier: Apache-2.0
// Errors at the OS edge: an errno, the operation that failed and the path it failed on.
#pragma once

#include <cerrno>
#include <expected>
#include <string>

namespace aicactl::os {

struct OsError {
  int code = 0;      // errno value
  std::string op;    // what we tried, e.g. "open directory"
  std::string path;  // quoted in messages; may be empty

  // "Failed to open directory '/data': Permission denied"
  [[nodiscard]] std::string message() const;
};

template <class T>
using Result = std::expected<T, OsError>;

// Captures errno (or `code`) into an unexpected OsError.
[[nodiscard]] std::unexpected<OsError> fail(std::string op, std::string path, int code = errno);

}  // namespace aicactl::os
