// The one lock of mutating commands: flock on a file in a root-only directory. The file is never
// replaced, so every process locks the same inode; the kernel drops the lock when we die.
#pragma once

#include <string>

#include "aicactl/os/error.hpp"
#include "aicactl/os/fd.hpp"

namespace aicactl::os {

enum class LockWait { yes, no };

class ProcessLock {
 public:
  // Creates `dir` (0700, root) when missing and refuses one that is a symlink, not owned by
  // root or writable by others. With LockWait::no fails with EWOULDBLOCK when held elsewhere.
  static Result<ProcessLock> acquire(const std::string& dir, LockWait wait);

 private:
  explicit ProcessLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace aicactl::os
