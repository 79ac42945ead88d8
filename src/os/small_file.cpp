// SPDX-License-Identifier: Apache-2.0
#include "aicactl/os/small_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "aicactl/os/expected.hpp"
#include "aicactl/os/fd.hpp"

namespace aicactl::os {

Result<SmallFile> read_small_file_at(int dirfd, const char* name, std::size_t max_bytes, std::string_view shown) {
  UniqueFd fd(::openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  if (!fd) {
    return fail("open", std::string(shown));
  }
  auto info = stat_fd(fd.get());
  AICACTL_RETURN_IF_ERROR(info);
  if (!info->is_regular()) {
    return fail("open", std::string(shown), EINVAL);
  }
  if (info->size > max_bytes) {
    return fail("read", std::string(shown), EFBIG);
  }
  SmallFile out{*info, {}};
  out.content.resize(max_bytes + 1);
  std::size_t got = 0;
  while (got < out.content.size()) {
    const ssize_t n = ::read(fd.get(), out.content.data() + got, out.content.size() - got);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return fail("read", std::string(shown));
    }
    if (n == 0) {
      break;
    }
    got += static_cast<std::size_t>(n);
  }
  if (got > max_bytes) {
    return fail("read", std::string(shown), EFBIG);
  }
  out.content.resize(got);
  return out;
}

}  // namespace aicactl::os
