// Atomic replacement of a file: a temp file in the same directory gets the content, its final
// mode and owner, and an fsync; commit() renames it over the target and fsyncs the directory.
// Without commit() the temp file is removed and the target is untouched.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

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
  bool committed_ = false;
};

// Writes `content` to `path` atomically with exactly `mode` (the umask does not apply).
[[nodiscard]] Result<void> write_file_atomically(std::string_view path, std::string_view content, mode_t mode,
                                                 uid_t uid, gid_t gid);

}  // namespace aicactl::os
