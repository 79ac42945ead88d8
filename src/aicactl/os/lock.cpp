#include "aicactl/os/lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <thread>

#include "aicactl/os/fs.hpp"

namespace aicactl::os {

Result<ProcessLock> ProcessLock::acquire(const std::string& dir, LockWait wait) {
  auto parent = open_parent(dir);
  if (!parent) {
    return std::unexpected(parent.error());
  }
  if (::mkdirat(parent->first.get(), parent->second.c_str(), 0700) != 0 && errno != EEXIST) {
    return fail("create lock directory", dir);
  }
  auto dfd = open_dir_at(parent->first.get(), parent->second.c_str(), dir);
  if (!dfd) {
    return std::unexpected(dfd.error());
  }
  auto info = stat_fd(dfd->get());
  if (!info) {
    return std::unexpected(info.error());
  }
  if (info->uid != 0 || (info->perms() & 022U) != 0U) {
    return fail("use lock directory (must be root-owned and not writable by others)", dir, EPERM);
  }
  const std::string path = join_path(dir, "lock");
  UniqueFd fd(::openat(dfd->get(), "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) {
    return fail("open lock file", path);
  }
  const int op = LOCK_EX | (wait == LockWait::no ? LOCK_NB : 0);
  while (::flock(fd.get(), op) != 0) {
    if (errno != EINTR) {
      return fail("lock", path);
    }
  }
  return ProcessLock(std::move(fd));
}

Result<UniqueFd> lock_file_at(int dirfd, const char* name, std::chrono::milliseconds wait, std::string_view shown) {
  const std::string path(shown);
  // O_NONBLOCK: a FIFO planted under the name must not hang the open.
  UniqueFd fd(::openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (!fd) {
    return errno == ENOENT ? Result<UniqueFd>{} : fail("open lock file", path);
  }
  auto info = stat_fd(fd.get());
  if (!info) {
    return std::unexpected(info.error());
  }
  if (!info->is_regular()) {
    return fail("lock (not a regular file)", path, EINVAL);
  }
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) {
      return fail("lock", path);
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return fail("lock", path, EWOULDBLOCK);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return fd;
}

}  // namespace aicactl::os
