// SPDX-License-Identifier: Apache-2.0
// fanotify in the form that reports directory handles and entry names (FAN_REPORT_DFID_NAME):
// a group, marks on whole file systems, and the events read back as plain values. A directory
// handle is opened again with open_by_handle_at relative to any fd on the same file system.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "aicactl/os/error.hpp"
#include "aicactl/os/fd.hpp"

namespace aicactl::os {

struct FanEvent {
  std::uint64_t mask = 0;  // FAN_* bits; FAN_Q_OVERFLOW alone when the queue overflowed
  std::uint64_t fsid = 0;  // the file system's id (both words of __kernel_fsid_t)
  std::string handle;      // struct file_handle (header included) of the directory
  std::string name;        // the entry's name in that directory; "." for the directory itself
};

class Fanotify {
 public:
  // A notification group (FAN_CLASS_NOTIF | FAN_REPORT_DFID_NAME, non-blocking, close-on-exec).
  // Fails with EPERM without CAP_SYS_ADMIN, ENOSYS/EINVAL on kernels without it.
  static Result<Fanotify> open();
  // Adds a mark for `mask` on the whole file system holding the directory `dirfd`. Fails with
  // EXDEV/ENODEV/EOPNOTSUPP on file systems that cannot give handles.
  Result<void> mark_filesystem(int dirfd, std::uint64_t mask, const std::string& shown);
  // Appends the events that are queued (none when nothing is: EAGAIN is not an error).
  Result<void> read(std::vector<FanEvent>& out);
  [[nodiscard]] int fd() const { return fd_.get(); }

 private:
  explicit Fanotify(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

// The file-system id that fanotify reports for the file system holding `fd` (statfs f_fsid).
Result<std::uint64_t> fanotify_fsid(int fd);
// Opens a directory from its handle (O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC plus `flags`), `mount_fd`
// being any fd on its file system. ESTALE when it is gone.
Result<UniqueFd> open_dir_by_handle(int mount_fd, const std::string& handle, int flags);

}  // namespace aicactl::os
