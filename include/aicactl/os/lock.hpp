// SPDX-License-Identifier: Apache-2.0
// The one lock of mutating commands: flock on a file in a root-only directory. The file is never
// replaced, so every process locks the same inode; the kernel drops the lock when we die.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "aicactl/os/error.hpp"
#include "aicactl/os/fd.hpp"

namespace aicactl::os {

enum class LockWait { yes, no };

// Who holds a flock on the file open as `fd`: "pid N (its command line)" from /proc/locks and
// /proc/N/cmdline (pids as this process's pid namespace sees them), "" when unknown.
[[nodiscard]] std::string flock_holder(int fd);

class ProcessLock {
 public:
  // Creates `dir` (0700, root) when missing and refuses one that is a symlink, not owned by
  // root or writable by others. With LockWait::no fails with EWOULDBLOCK when held elsewhere.
  static Result<ProcessLock> acquire(const std::string& dir, LockWait wait);
  // As acquire, waiting at most `wait` (then EWOULDBLOCK). When another process holds the lock,
  // `on_wait` is called once first with flock_holder's answer, so the caller can say who it is.
  static Result<ProcessLock> acquire_within(const std::string& dir, std::chrono::milliseconds wait,
                                            const std::function<void(const std::string& holder)>& on_wait);

 private:
  explicit ProcessLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

// Takes an exclusive flock on a lock file another tool keeps in a directory we hold (uv's
// `<cache>/.lock`), trying again until `wait` has passed; the lock lasts as long as the returned
// fd. Never creates the file nor follows a symlink: an absent file gives an empty fd (nobody can
// hold it), a symlink fails with ELOOP, anything but a regular file with EINVAL, and a lock
// still held after `wait` with EWOULDBLOCK.
[[nodiscard]] Result<UniqueFd> lock_file_at(int dirfd, const char* name, std::chrono::milliseconds wait,
                                            std::string_view shown);

}  // namespace aicactl::os
