// SPDX-License-Identifier: Apache-2.0
#include "aicactl/os/error.hpp"

#include <cstring>

namespace aicactl::os {

std::string OsError::message() const {
  std::string msg = "Failed to " + op;
  if (!path.empty()) {
    msg += " '" + path + "'";
  }
  if (code != 0) {
    msg += ": ";
    msg += std::strerror(code);
  }
  return msg;
}

std::unexpected<OsError> fail(std::string op, std::string path, int code) {
  return std::unexpected(OsError{code, std::move(op), std::move(path)});
}

}  // namespace aicactl::os
