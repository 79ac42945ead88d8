// SPDX-License-Identifier: Apache-2.0
#include "aicactl/os/entry_ops.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

namespace aicactl::os {

Result<void> unlink_at(int dirfd, const char* name, std::string_view shown) {
  if (::unlinkat(dirfd, name, 0) != 0) {
    return fail("remove", std::string(shown));
  }
  return {};
}

Result<void> remove_empty_dir_at(int dirfd, const char* name, std::string_view shown) {
  if (::unlinkat(dirfd, name, AT_REMOVEDIR) != 0) {
    return fail("remove directory", std::string(shown));
  }
  return {};
}

Result<void> symlink_at(const char* target, int dirfd, const char* name, std::string_view shown) {
  if (::symlinkat(target, dirfd, name) != 0) {
    return fail("create link", std::string(shown));
  }
  return {};
}

Result<void> rename_at(int from_dirfd, const char* from, int to_dirfd, const char* to, std::string_view shown_from,
                       std::string_view shown_to) {
  if (::renameat(from_dirfd, from, to_dirfd, to) != 0) {
    return fail("move '" + std::string(shown_from) + "' to", std::string(shown_to));
  }
  return {};
}

Result<void> ensure_dir_at(int dirfd, const char* name, mode_t mode, std::string_view shown) {
  if (::mkdirat(dirfd, name, mode) == 0) {
    return {};
  }
  const int err = errno;
  struct stat st {};
  if (err == EEXIST && ::fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
    return {};
  }
  return fail("create directory", std::string(shown), err);
}

Result<void> sync_file_at(int dirfd, const char* name, std::string_view shown) {
  const int fd = ::openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    return fail("open", std::string(shown));
  }
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) {
    return fail("sync", std::string(shown), err);
  }
  if (::fsync(dirfd) != 0) {
    return fail("sync the directory of", std::string(shown));
  }
  return {};
}

}  // namespace aicactl::os
