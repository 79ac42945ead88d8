// SPDX-License-Identifier: Apache-2.0
// Reading one small regular file below a held directory fd without following a symlink
// (O_NOFOLLOW, O_NONBLOCK so a FIFO cannot block): for files in user-writable trees that root
// copies (a user's authorized_keys), where a path could be swapped for a link at any time.
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <string_view>

#include "aicactl/os/error.hpp"
#include "aicactl/os/fs.hpp"

namespace aicactl::os {

struct SmallFile {
  FileInfo info;  // of the opened file itself
  std::string content;
};

// Everything `fd` yields until end of file (a read interrupted by a signal is retried); EFBIG once
// more than `max_bytes` arrive. The one read loop of os/ (fs's read_file, temp_dir's read_file_at,
// read_small_file_at).
[[nodiscard]] Result<std::string> read_fd(int fd, std::string_view shown,
                                          std::size_t max_bytes = std::numeric_limits<std::size_t>::max());

// ELOOP: a symlink; EINVAL: not a regular file; EFBIG: larger than `max_bytes`.
[[nodiscard]] Result<SmallFile> read_small_file_at(int dirfd, const char* name, std::size_t max_bytes,
                                                   std::string_view shown);

}  // namespace aicactl::os
