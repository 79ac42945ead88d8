// SPDX-License-Identifier: Apache-2.0
// The one exception family above the OS edge. Each error carries the exit code it maps to
// (the contract in the man page); the CLI's single try/catch turns it into that code.
#pragma once

#include <stdexcept>
#include <string>

#include "aicactl/os/error.hpp"

namespace aicactl::core {

enum class ExitCode : int {
  ok = 0,
  failure = 1,
  check_failed = 3,
  usage = 64,
  bad_data = 65,
  no_volume = 69,    // data_root is not mounted, or not the volume aicactl set up (core/setup/volume.hpp)
  unavailable = 69,  // a service or driver we need is absent (NVIDIA driver, Docker engine): EX_UNAVAILABLE
  partial = 73,
  temp_failure = 75,  // the lock stayed held for --wait seconds: try again later
  needs_root = 77,
};

class Error : public std::runtime_error {
 public:
  Error(ExitCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  explicit Error(const os::OsError& err) : std::runtime_error(err.message()), code_(ExitCode::failure) {}
  [[nodiscard]] ExitCode code() const { return code_; }

 private:
  ExitCode code_;
};

// Unwraps an OS result or throws its error as a runtime failure.
template <class T>
T value_or_throw(os::Result<T>&& result) {
  if (!result) {
    throw Error(result.error());
  }
  if constexpr (!std::is_void_v<T>) {
    return std::move(*result);
  }
}

}  // namespace aicactl::core
