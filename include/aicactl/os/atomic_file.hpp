// SPDX-License-Identifier: Apache-2.0
// Atomic replacement of a file: a temp file in the same directory gets the content, its final
// mode and owner, and an fsync; commit() renames it over the target and fsyncs the directory.
// Without commit() the temp file is removed and the target is untouched. The temp file
// (".<name>.aicactl-<digits>": a dot, so sudo, cron and run-parts skip it) is flock()ed while
// it is written, so the one a killed run left behind can be told apart and removed.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "aicactl/os/error.hpp"
#include "aicactl/os/fd.hpp"

namespace aicactl::os {

class AtomicFile {
 public:
  // Opens the parent of `path` without following symlinks and creates the temp file there.
  static Result<AtomicFile> create(std::string_view path, mode_t mode, uid_t uid, gid_t gid);
  AtomicFile(AtomicFile&&) noexcept = default;
  AtomicFile& operator=(AtomicFile&& other) noexcept;
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();

  [[nodiscard]] Result<void> write(std::string_view data);
  // The temp file's path, e.g. to validate it with another program before commit().
  [[nodiscard]] std::string temp_path() const;
  // Gives the temp file its owner and mode and syncs it (commit() does it when not done yet):
  // several files can be made durable before any of them is renamed into place.
  [[nodiscard]] Result<void> sync();
  [[nodiscard]] Result<void> commit();

 private:
  AtomicFile() = default;
  void discard();  // removes the temp file unless committed
  std::string path_;
  std::string temp_name_;
  UniqueFd dir_;
  UniqueFd fd_;
  mode_t mode_ = 0644;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
  bool synced_ = false;
  bool committed_ = false;
};

// Writes `content` to `path` atomically with exactly `mode` (the umask does not apply).
[[nodiscard]] Result<void> write_file_atomically(std::string_view path, std::string_view content, mode_t mode,
                                                 uid_t uid, gid_t gid);

// Whether `name` has the form of our temp files and links: ".<name>.aicactl-<digits>".
[[nodiscard]] bool is_temp_name(std::string_view name);

// The names of the temp files and links of ours in `dir` that a killed run left behind: owned by
// this user, a regular file with one link that no live AtomicFile holds, or a symlink (made by a
// run holding the command lock). None when `dir` cannot be read.
[[nodiscard]] std::vector<std::string> stale_temps(std::string_view dir);

// Removes `<dir>/<name>` after checking again that it is such a leftover (by fd, no symlink
// followed).
[[nodiscard]] Result<void> remove_stale_temp(std::string_view dir, const std::string& name);

}  // namespace aicactl::os
