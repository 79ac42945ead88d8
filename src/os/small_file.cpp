// SPDX-License-Identifier: Apache-2.0
#include "aicactl/os/small_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <utility>

#include "aicactl/os/expected.hpp"
#include "aicactl/os/fd.hpp"

namespace aicactl::os {

Result<std::string> read_fd(int fd, std::string_view shown, std::size_t max_bytes) {
  std::string out;
  if (struct stat st{}; ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
    // No regrowth copies of a big file.
    out.reserve(std::min(static_cast<std::size_t>(st.st_size), max_bytes) + 1);
  }
  std::array<char, 65536> buf{};
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return fail("read", std::string(shown));
    }
    if (n == 0) {
      return out;
    }
    if (static_cast<std::size_t>(n) > max_bytes - out.size()) {
      return fail("read", std::string(shown), EFBIG);
    }
    out.append(buf.data(), static_cast<std::size_t>(n));
  }
}

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
  auto content = read_fd(fd.get(), shown, max_bytes);
  AICACTL_RETURN_IF_ERROR(content);
  SmallFile out{*info, std::move(*content)};
  return out;
}

}  // namespace aicactl::os
