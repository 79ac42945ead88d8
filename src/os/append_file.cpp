// SPDX-License-Identifier: Apache-2.0
#include "aicactl/os/append_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "aicactl/os/expected.hpp"
#include "aicactl/os/fd.hpp"
#include "aicactl/os/fs.hpp"

namespace aicactl::os {

Result<void> append_to_file(std::string_view path, std::string_view data, mode_t mode) {
  auto parent = open_parent(path);
  AICACTL_RETURN_IF_ERROR(parent);
  const UniqueFd fd(::openat(parent->first.get(), parent->second.c_str(),
                             O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, mode));
  if (!fd) {
    return fail("open for appending", std::string(path));
  }
  while (!data.empty()) {
    const ssize_t n = ::write(fd.get(), data.data(), data.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return fail("append to", std::string(path));
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

}  // namespace aicactl::os
