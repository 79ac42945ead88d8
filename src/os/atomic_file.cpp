// SPDX-License-Identifier: Apache-2.0
#include "aicactl/os/atomic_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <random>

#include "aicactl/os/expected.hpp"
#include "aicactl/os/fs.hpp"

namespace aicactl::os {

Result<AtomicFile> AtomicFile::create(std::string_view path, mode_t mode, uid_t uid, gid_t gid) {
  auto parent = open_parent(path);
  AICACTL_RETURN_IF_ERROR(parent);
  AtomicFile file;
  file.path_ = std::string(path);
  file.dir_ = std::move(parent->first);
  file.mode_ = mode;
  file.uid_ = uid;
  file.gid_ = gid;
  std::random_device rd;
  for (int attempt = 0; attempt < 16; ++attempt) {
    file.temp_name_ = "." + parent->second + ".aicactl-" + std::to_string(rd());
    file.fd_.reset(
        ::openat(file.dir_.get(), file.temp_name_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (file.fd_ || errno != EEXIST) {
      break;
    }
  }
  if (!file.fd_) {
    return fail("create temporary file for", file.path_);
  }
  if (::flock(file.fd_.get(), LOCK_EX | LOCK_NB) != 0) {
    return fail("lock temporary file for", file.path_);
  }
  return file;
}

AtomicFile::~AtomicFile() {
  discard();
}

void AtomicFile::discard() {
  if (fd_ && !committed_) {
    ::unlinkat(dir_.get(), temp_name_.c_str(), 0);
  }
  fd_.reset();
}

AtomicFile& AtomicFile::operator=(AtomicFile&& other) noexcept {
  if (this != &other) {
    discard();
    path_ = std::move(other.path_);
    temp_name_ = std::move(other.temp_name_);
    dir_ = std::move(other.dir_);
    fd_ = std::move(other.fd_);
    mode_ = other.mode_;
    uid_ = other.uid_;
    gid_ = other.gid_;
    synced_ = other.synced_;
    committed_ = other.committed_;
  }
  return *this;
}

Result<void> AtomicFile::write(std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd_.get(), data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fail("write", temp_path());
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

std::string AtomicFile::temp_path() const {
  auto slash = path_.find_last_of('/');
  return path_.substr(0, slash + 1) + temp_name_;
}

Result<void> AtomicFile::sync() {
  // Owner before mode: chown clears setuid/setgid bits.
  if (::fchown(fd_.get(), uid_, gid_) != 0) {
    return fail("change owner of", temp_path());
  }
  if (::fchmod(fd_.get(), mode_) != 0) {
    return fail("change mode of", temp_path());
  }
  if (::fsync(fd_.get()) != 0) {
    return fail("sync", temp_path());
  }
  synced_ = true;
  return {};
}

Result<void> AtomicFile::commit() {
  if (!synced_) {
    if (auto s = sync(); !s) {
      return s;
    }
  }
  auto slash = path_.find_last_of('/');
  const std::string name = path_.substr(slash + 1);
  if (::renameat(dir_.get(), temp_name_.c_str(), dir_.get(), name.c_str()) != 0) {
    return fail("rename into place", path_);
  }
  committed_ = true;
  if (::fsync(dir_.get()) != 0) {
    return fail("sync directory of", path_);
  }
  return {};
}

Result<void> write_file_atomically(std::string_view path, std::string_view content, mode_t mode, uid_t uid, gid_t gid) {
  auto file = AtomicFile::create(path, mode, uid, gid);
  AICACTL_RETURN_IF_ERROR(file);
  if (auto w = file->write(content); !w) {
    return w;
  }
  return file->commit();
}

namespace {

// Whether `name` below `dirfd` is a leftover temp of ours (see stale_temps). A regular file is
// checked by taking its flock, which a live AtomicFile holds; `held` keeps that fd open.
bool stale_at(int dirfd, const std::string& name, UniqueFd& held) {
  if (!is_temp_name(name)) {
    return false;
  }
  auto info = stat_at(dirfd, name.c_str());
  if (!info || info->uid != ::geteuid()) {
    return false;
  }
  if (info->is_symlink()) {
    return true;
  }
  if (!info->is_regular() || info->nlink != 1) {
    return false;
  }
  held.reset(::openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  return held && ::flock(held.get(), LOCK_EX | LOCK_NB) == 0;
}

}  // namespace

bool is_temp_name(std::string_view name) {
  constexpr std::string_view kMark = ".aicactl-";
  const auto at = name.rfind(kMark);
  if (name.size() < 2 || name.front() != '.' || at == std::string_view::npos || at == 0) {
    return false;
  }
  const auto digits = name.substr(at + kMark.size());
  return !digits.empty() && digits.find_first_not_of("0123456789") == std::string_view::npos;
}

std::vector<std::string> stale_temps(std::string_view dir) {
  std::vector<std::string> out;
  auto fd = open_dir(dir);
  if (!fd) {
    return out;
  }
  auto names = list_dir(fd->get(), dir);
  if (!names) {
    return out;
  }
  for (const auto& name : *names) {
    UniqueFd held;
    if (stale_at(fd->get(), name, held)) {
      out.push_back(name);
    }
  }
  return out;
}

Result<void> remove_stale_temp(std::string_view dir, const std::string& name) {
  auto fd = open_dir(dir);
  AICACTL_RETURN_IF_ERROR(fd);
  const std::string shown = join_path(dir, name);
  UniqueFd held;  // keeps the flock until the name is gone
  if (!stale_at(fd->get(), name, held)) {
    return fail("remove (no longer a leftover temp file)", shown, EBUSY);
  }
  if (::unlinkat(fd->get(), name.c_str(), 0) != 0) {
    return fail("remove", shown);
  }
  return {};
}

}  // namespace aicactl::os
