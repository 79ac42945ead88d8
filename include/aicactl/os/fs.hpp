// SPDX-License-Identifier: Apache-2.0
// File-system primitives that never follow symlinks: every path is resolved component by
// component with O_NOFOLLOW, and every change is made relative to a directory fd we hold.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aicactl/os/error.hpp"
#include "aicactl/os/fd.hpp"

namespace aicactl::os {

// What statx tells about one entry (not following a symlink).
struct FileInfo {
  mode_t mode = 0;  // type and permission bits
  uid_t uid = 0;
  gid_t gid = 0;
  std::uint64_t nlink = 0;
  std::uint64_t size = 0;
  std::uint64_t blocks = 0;  // 512-byte blocks
  std::uint64_t ino = 0;
  dev_t dev = 0;
  std::uint64_t mnt_id = 0;  // 0 when the kernel does not report it
  std::int64_t atime = 0;
  std::int64_t mtime = 0;
  std::int64_t ctime_sec = 0;
  std::uint32_t ctime_nsec = 0;
  std::uint32_t mtime_nsec = 0;
  std::int64_t btime_sec = 0;  // creation; 0 when the file system does not say
  std::uint32_t btime_nsec = 0;

  [[nodiscard]] bool is_dir() const;
  [[nodiscard]] bool is_regular() const;
  [[nodiscard]] bool is_symlink() const;
  [[nodiscard]] mode_t perms() const { return mode & 07777; }
};

// Whether `info` (an entry below a tree's root) is on the root's mount. A mount point is a
// directory or a single file bind-mounted over an entry, whose stat is the mounted one's.
// Mount ids decide when the kernel reports them; st_dev is compared for directories only, or
// when there are no mount ids: on overlayfs a file's st_dev is the dev of its layer.
[[nodiscard]] bool on_mount_of(const FileInfo& info, dev_t root_dev, std::uint64_t root_mnt_id);

// statx(dirfd, name, AT_SYMLINK_NOFOLLOW). `name` may be "" to stat `dirfd` itself.
[[nodiscard]] Result<FileInfo> stat_at(int dirfd, const char* name);
[[nodiscard]] Result<FileInfo> stat_fd(int fd);

// Opens an absolute directory path without following any symlink on the way (O_NOFOLLOW on
// every component). Fails with ELOOP/ENOTDIR when a component is a symlink or not a dir.
[[nodiscard]] Result<UniqueFd> open_dir(std::string_view path);

// Opens the parent directory of an absolute path (as open_dir) and returns it with the last
// component. "/" has no parent and fails with EINVAL.
[[nodiscard]] Result<std::pair<UniqueFd, std::string>> open_parent(std::string_view path);

// Opens `name` below `dirfd` as a directory, refusing symlinks.
[[nodiscard]] Result<UniqueFd> open_dir_at(int dirfd, const char* name, std::string_view shown_path);

// Stat of an absolute path without following symlinks; nullopt when it does not exist.
[[nodiscard]] Result<std::optional<FileInfo>> lstat_path(std::string_view path);

// Mutations relative to a held directory fd (never by full path).
[[nodiscard]] Result<void> mkdir_at(int dirfd, const char* name, mode_t mode, std::string_view shown);
[[nodiscard]] Result<void> chown_at(int dirfd, const char* name, uid_t uid, gid_t gid, std::string_view shown);
// chmod without following a symlink (fchmodat2 where the kernel has it).
[[nodiscard]] Result<void> chmod_at(int dirfd, const char* name, mode_t mode, std::string_view shown);
[[nodiscard]] Result<void> chown_fd(int fd, uid_t uid, gid_t gid, std::string_view shown);
[[nodiscard]] Result<void> chmod_fd(int fd, mode_t mode, std::string_view shown);

// Extended attributes of `name` below `dirfd`, never following a symlink: getxattrat and
// setxattrat on Linux >= 6.13, else l*xattr on /proc/self/fd/<dirfd>/<name>. `name` == ""
// means `dirfd` itself. get returns nullopt when the attribute is absent.
[[nodiscard]] Result<std::optional<std::string>> get_xattr_at(int dirfd, const char* name, const char* attr,
                                                              std::string_view shown);
[[nodiscard]] Result<void> set_xattr_at(int dirfd, const char* name, const char* attr, std::string_view value,
                                        std::string_view shown);
[[nodiscard]] Result<void> remove_xattr_at(int dirfd, const char* name, const char* attr, std::string_view shown);

// The names in the directory `fd` ("." and ".." left out), read through a duplicate of `fd`.
[[nodiscard]] Result<std::vector<std::string>> list_dir(int fd, std::string_view shown);

// Whole small file read by absolute path without following a symlink in the last component.
[[nodiscard]] Result<std::optional<std::string>> read_file(std::string_view path);

// Joins "a" + "b" with exactly one '/'.
[[nodiscard]] std::string join_path(std::string_view dir, std::string_view name);

// The target of the symlink at an absolute path (parents opened without following); "" when
// it is not a symlink or cannot be read.
[[nodiscard]] std::string read_link(std::string_view path);

// The canonical path of the running executable (/proc/self/exe).
[[nodiscard]] Result<std::string> self_exe_path();
// The content of the running executable (read through /proc/self/exe).
[[nodiscard]] Result<std::string> read_self_exe();

}  // namespace aicactl::os
