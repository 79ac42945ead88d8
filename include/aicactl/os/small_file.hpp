// SPDX-License-Identifier: Apache-2.0
// Reading one small regular file below a held directory fd without following a symlink
// (O_NOFOLLOW, O_NONBLOCK so a FIFO cannot block): for files in user-writable trees that root
// copies (a user's authorized_keys), where a path could be swapped for a link at any time.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "aicactl/os/error.hpp"
#include "aicactl/os/fs.hpp"

namespace aicactl::os {

struct SmallFile {
  FileInfo info;  // of the opened file itself
  std::string content;
};

// ELOOP: a symlink; EINVAL: not a regular file; EFBIG: larger than `max_bytes`.
[[nodiscard]] Result<SmallFile> read_small_file_at(int dirfd, const char* name, std::size_t max_bytes,
                                                   std::string_view shown);

}  // namespace aicactl::os
