// SPDX-License-Identifier: Apache-2.0
// A private scratch directory (mkdtemp, 0700) that is removed with everything in it when the
// owner goes away, by fd and without following symlinks. Used to stage downloads and unpacked
// archives where no other user can swap them between the check and the use.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "aicactl/os/error.hpp"
#include "aicactl/os/fd.hpp"

namespace aicactl::os {

class TempDir {
 public:
  // Creates `<parent>/<prefix>XXXXXX`; `parent` must be an absolute path. The directory is
  // flock()ed while this object lives, so remove_stale_temp_dirs() can tell a killed owner's.
  static Result<TempDir> create(std::string_view parent, std::string_view prefix);
  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&&) = delete;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] int fd() const { return dir_.get(); }

 private:
  TempDir() = default;
  std::string path_;
  std::string name_;
  UniqueFd parent_;
  UniqueFd dir_;
};

// Removes the directories `<parent>/<prefix>*` of this user that no live TempDir holds (left by
// a killed run), by fd and without following symlinks; returns how many went.
[[nodiscard]] Result<std::size_t> remove_stale_temp_dirs(std::string_view parent, std::string_view prefix);

// Copies the regular file at `source` (an admin-given path; symlinks in it are followed) to a
// new file `name` below `dirfd` with `mode`. Fails with EINVAL when `source` is not a regular file.
[[nodiscard]] Result<void> copy_file_into(std::string_view source, int dirfd, const char* name, mode_t mode,
                                          std::string_view shown);

// Reads the regular file `name` below `dirfd` without following a symlink.
[[nodiscard]] Result<std::string> read_file_at(int dirfd, const char* name, std::string_view shown);

}  // namespace aicactl::os
