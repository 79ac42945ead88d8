// SPDX-License-Identifier: Apache-2.0
#include "aicactl/os/lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "aicactl/os/expected.hpp"
#include "aicactl/os/fs.hpp"

namespace aicactl::os {

namespace {

// Opens (creating it) the lock file in `dir`, which must be a root-owned directory not writable
// by others (created 0700 when missing).
Result<UniqueFd> open_lock_file(const std::string& dir) {
  auto parent = open_parent(dir);
  AICACTL_RETURN_IF_ERROR(parent);
  if (::mkdirat(parent->first.get(), parent->second.c_str(), 0700) != 0 && errno != EEXIST) {
    return fail("create lock directory", dir);
  }
  auto dfd = open_dir_at(parent->first.get(), parent->second.c_str(), dir);
  AICACTL_RETURN_IF_ERROR(dfd);
  auto info = stat_fd(dfd->get());
  AICACTL_RETURN_IF_ERROR(info);
  if (info->uid != 0 || (info->perms() & 022U) != 0U) {
    return fail("use lock directory (must be root-owned and not writable by others)", dir, EPERM);
  }
  UniqueFd fd(::openat(dfd->get(), "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) {
    return fail("open lock file", join_path(dir, "lock"));
  }
  return fd;
}

// At most `max` bytes of a /proc file.
std::string read_small(const std::string& path, std::size_t max) {
  std::ifstream in(path, std::ios::binary);
  std::string text;
  text.resize(max);
  in.read(text.data(), static_cast<std::streamsize>(max));
  text.resize(static_cast<std::size_t>(in.gcount()));
  return text;
}

// How /proc/locks names a file: major and minor in hex (at least two digits), inode in decimal.
std::string device_and_inode(const struct stat& st) {
  std::array<char, 64> buf{};
  const int n = std::snprintf(buf.data(), buf.size(), "%02x:%02x:%llu", ::major(st.st_dev), ::minor(st.st_dev),
                              static_cast<unsigned long long>(st.st_ino));
  return n > 0 ? std::string(buf.data(), static_cast<std::size_t>(n)) : "";
}

}  // namespace

std::string flock_holder(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    return "";
  }
  // "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"; "1: -> FLOCK ..." lines are waiters.
  constexpr std::size_t kLocksMax = std::size_t{4} << 20U;  // a busy server has thousands of locks
  std::istringstream locks(read_small("/proc/locks", kLocksMax));
  for (std::string line; std::getline(locks, line);) {
    std::istringstream fields(line);
    std::string id;
    std::string kind;
    std::string advisory;
    std::string mode;
    std::string pid;
    std::string where;
    fields >> id >> kind >> advisory >> mode >> pid >> where;
    if (kind != "FLOCK" || where != device_and_inode(st) || pid == "0" ||
        pid.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    constexpr std::size_t kCmdlineMax = 512;
    std::string cmd = read_small("/proc/" + pid + "/cmdline", kCmdlineMax);
    while (!cmd.empty() && cmd.back() == '\0') {
      cmd.pop_back();
    }
    std::ranges::replace_if(
        cmd, [](char c) { return c == '\0' || c == '\n' || c == '\r'; }, ' ');
    return "pid " + pid + (cmd.empty() ? "" : " (" + cmd + ")");
  }
  return "";
}

Result<ProcessLock> ProcessLock::acquire(const std::string& dir, LockWait wait) {
  auto fd = open_lock_file(dir);
  AICACTL_RETURN_IF_ERROR(fd);
  const int op = LOCK_EX | (wait == LockWait::no ? LOCK_NB : 0);
  while (::flock(fd->get(), op) != 0) {
    if (errno != EINTR) {
      return fail("lock", join_path(dir, "lock"));
    }
  }
  return ProcessLock(std::move(*fd));
}

Result<ProcessLock> ProcessLock::acquire_within(const std::string& dir, std::chrono::milliseconds wait,
                                                const std::function<void(const std::string& holder)>& on_wait) {
  auto fd = open_lock_file(dir);
  AICACTL_RETURN_IF_ERROR(fd);
  const auto deadline = std::chrono::steady_clock::now() + wait;
  bool told = false;
  while (::flock(fd->get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EINTR) {
      continue;
    }
    if (errno != EWOULDBLOCK) {
      return fail("lock", join_path(dir, "lock"));
    }
    if (!told && on_wait) {
      on_wait(flock_holder(fd->get()));
      told = true;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return fail("lock", join_path(dir, "lock"), EWOULDBLOCK);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return ProcessLock(std::move(*fd));
}

Result<UniqueFd> lock_file_at(int dirfd, const char* name, std::chrono::milliseconds wait, std::string_view shown) {
  const std::string path(shown);
  // O_NONBLOCK: a FIFO planted under the name must not hang the open.
  UniqueFd fd(::openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (!fd) {
    return errno == ENOENT ? Result<UniqueFd>{} : fail("open lock file", path);
  }
  auto info = stat_fd(fd.get());
  AICACTL_RETURN_IF_ERROR(info);
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
