// SPDX-License-Identifier: Apache-2.0
#include "aicactl/os/temp_dir.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdlib>

#include "aicactl/os/expected.hpp"
#include "aicactl/os/fs.hpp"
#include "aicactl/os/small_file.hpp"
#include "aicactl/os/tree_ops.hpp"

namespace aicactl::os {

Result<TempDir> TempDir::create(std::string_view parent, std::string_view prefix) {
  TempDir t;
  auto dir = open_dir(parent);
  AICACTL_RETURN_IF_ERROR(dir);
  std::string templ = join_path(parent, std::string(prefix) + "XXXXXX");
  // mkdtemp works by path; the parent was just opened without following symlinks and the new
  // directory is re-opened by name relative to that fd and checked to be ours.
  if (::mkdtemp(templ.data()) == nullptr) {
    return fail("create temporary directory in", std::string(parent));
  }
  t.path_ = templ;
  t.name_ = templ.substr(templ.find_last_of('/') + 1);
  t.parent_ = std::move(*dir);
  auto fd = open_dir_at(t.parent_.get(), t.name_.c_str(), t.path_);
  AICACTL_RETURN_IF_ERROR(fd);
  t.dir_ = std::move(*fd);
  if (::flock(t.dir_.get(), LOCK_EX | LOCK_NB) != 0) {
    return fail("lock temporary directory", t.path_);
  }
  return t;
}

Result<std::size_t> remove_stale_temp_dirs(std::string_view parent, std::string_view prefix) {
  const std::string parent_path(parent);
  auto dir = open_dir(parent_path);
  AICACTL_RETURN_IF_ERROR(dir);
  auto names = list_dir(dir->get(), parent_path);
  AICACTL_RETURN_IF_ERROR(names);
  std::size_t removed = 0;
  for (const auto& name : *names) {
    if (!name.starts_with(prefix)) {
      continue;
    }
    const std::string path = join_path(parent_path, name);
    auto info = stat_at(dir->get(), name.c_str());
    if (!info || !info->is_dir() || info->uid != ::geteuid()) {
      continue;
    }
    auto fd = open_dir_at(dir->get(), name.c_str(), path);
    if (!fd || ::flock(fd->get(), LOCK_EX | LOCK_NB) != 0) {
      continue;  // in use by a live run
    }
    if (remove_tree_at(dir->get(), name.c_str(), path)) {  // still locked: no other cleaner races us
      ++removed;
    }
  }
  return removed;
}

TempDir::TempDir(TempDir&& other) noexcept
    : path_(std::move(other.path_)),
      name_(std::move(other.name_)),
      parent_(std::move(other.parent_)),
      dir_(std::move(other.dir_)) {
  other.name_.clear();
}

TempDir::~TempDir() {
  if (!name_.empty() && parent_) {
    dir_.reset();
    (void)remove_tree_at(parent_.get(), name_.c_str(), path_);
  }
}

Result<void> copy_file_into(std::string_view source, int dirfd, const char* name, mode_t mode, std::string_view shown) {
  const std::string src(source);
  UniqueFd in(::open(src.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!in) {
    return fail("open", src);
  }
  struct stat st {};
  if (::fstat(in.get(), &st) != 0) {
    return fail("stat", src);
  }
  if (!S_ISREG(st.st_mode)) {
    return fail("copy (not a regular file)", src, EINVAL);
  }
  UniqueFd out(::openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode));
  if (!out) {
    return fail("create", std::string(shown));
  }
  std::array<char, 1 << 16> buf{};
  for (;;) {
    const ssize_t n = ::read(in.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return fail("read", src);
    }
    if (n == 0) {
      break;
    }
    for (ssize_t done = 0; done < n;) {
      const ssize_t w = ::write(out.get(), buf.data() + done, static_cast<std::size_t>(n - done));
      if (w < 0 && errno == EINTR) {
        continue;
      }
      if (w < 0) {
        return fail("write", std::string(shown));
      }
      done += w;
    }
  }
  if (::fchmod(out.get(), mode) != 0 || ::fsync(out.get()) != 0) {
    return fail("write", std::string(shown));
  }
  return {};
}

Result<std::string> read_file_at(int dirfd, const char* name, std::string_view shown) {
  UniqueFd fd(::openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY));
  if (!fd) {
    return fail("open", std::string(shown));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return fail("stat", std::string(shown));
  }
  if (!S_ISREG(st.st_mode)) {
    return fail("read (not a regular file)", std::string(shown), EINVAL);
  }
  return read_fd(fd.get(), shown);
}

}  // namespace aicactl::os
