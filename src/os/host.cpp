// SPDX-License-Identifier: Apache-2.0
#include "aicactl/os/host.hpp"

#include <unistd.h>

#include <array>

namespace aicactl::os {

std::string host_name() {
  std::array<char, 256> buf{};
  if (::gethostname(buf.data(), buf.size() - 1) != 0 || buf[0] == '\0') {
    return "localhost";
  }
  return {buf.data()};
}

}  // namespace aicactl::os
