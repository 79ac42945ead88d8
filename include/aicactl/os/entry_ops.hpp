// SPDX-License-Identifier: Apache-2.0
// Changes to one directory entry relative to a held directory fd (never a path walked again):
// unlinking a non-directory or an empty directory, renaming within the same file system,
// making a symlink. The name is one
// component; a symlink is the entry itself, never followed. `shown` names the entry in messages.
#pragma once

#include <string_view>

#include "aicactl/os/error.hpp"

namespace aicactl::os {

// unlinkat(dirfd, name, 0): removes a file or symlink (a directory fails with EISDIR).
[[nodiscard]] Result<void> unlink_at(int dirfd, const char* name, std::string_view shown);

// unlinkat(dirfd, name, AT_REMOVEDIR): removes an empty directory (ENOTEMPTY otherwise).
[[nodiscard]] Result<void> remove_empty_dir_at(int dirfd, const char* name, std::string_view shown);

// symlinkat(target, dirfd, name): a new link (EEXIST when `name` exists); `target` is not followed.
[[nodiscard]] Result<void> symlink_at(const char* target, int dirfd, const char* name, std::string_view shown);

// renameat(from_dirfd, from, to_dirfd, to), within one file system (EXDEV otherwise); a
// directory replaces only an empty directory. `shown_from`/`shown_to` name both in messages.
[[nodiscard]] Result<void> rename_at(int from_dirfd, const char* from, int to_dirfd, const char* to,
                                     std::string_view shown_from, std::string_view shown_to);

// mkdirat(dirfd, name, mode), an existing directory of that name counting as success (its mode
// and owner are left as they are; a non-directory there fails with EEXIST).
[[nodiscard]] Result<void> ensure_dir_at(int dirfd, const char* name, mode_t mode, std::string_view shown);

// fsync(2) of the regular file `name` under `dirfd` (opened O_NOFOLLOW), then of `dirfd` itself: a
// file another program wrote is on disk, with its name, before anything depends on it.
[[nodiscard]] Result<void> sync_file_at(int dirfd, const char* name, std::string_view shown);

}  // namespace aicactl::os
