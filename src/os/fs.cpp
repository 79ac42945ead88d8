// SPDX-License-Identifier: Apache-2.0
#include "aicactl/os/fs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/stat.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <climits>
#include <cstring>

#include "aicactl/os/expected.hpp"
#include "aicactl/os/small_file.hpp"

namespace aicactl::os {
namespace {

// Syscall numbers shared by all architectures since Linux 6.13 / 6.6; glibc 2.36 has no wrappers.
constexpr long kSysSetxattrat = 463;
constexpr long kSysGetxattrat = 464;
constexpr long kSysRemovexattrat = 466;
constexpr long kSysFchmodat2 = 452;

struct XattrArgs {
  std::uint64_t value;
  std::uint32_t size;
  std::uint32_t flags;
};

std::atomic<bool> g_xattrat_missing{false};
std::atomic<bool> g_fchmodat2_missing{false};

std::string proc_path(int dirfd, const char* name) {
  std::string p = "/proc/self/fd/" + std::to_string(dirfd);
  if (name != nullptr && *name != '\0') {
    p += '/';
    p += name;
  }
  return p;
}

bool is_self(const char* name) {
  return name == nullptr || *name == '\0';
}

unsigned at_flags_for(const char* name) {
  return (name == nullptr || *name == '\0') ? AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW : AT_SYMLINK_NOFOLLOW;
}

// O_NOFOLLOW|O_DIRECTORY on a symlink answers ENOTDIR; report it as ELOOP, as the man page
// of open(2) promises for O_NOFOLLOW, so callers can tell "symlink" from "a file".
int symlink_errno(int dirfd, const char* name, int err) {
  struct stat st {};
  if (err == ENOTDIR && ::fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
    return ELOOP;
  }
  return err;
}

FileInfo from_statx(const struct statx& sx) {
  FileInfo info;
  info.mode = sx.stx_mode;
  info.uid = sx.stx_uid;
  info.gid = sx.stx_gid;
  info.nlink = sx.stx_nlink;
  info.size = sx.stx_size;
  info.blocks = sx.stx_blocks;
  info.ino = sx.stx_ino;
  info.dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
  info.mnt_id = (sx.stx_mask & STATX_MNT_ID) != 0U ? sx.stx_mnt_id : 0;
  info.atime = sx.stx_atime.tv_sec;
  info.mtime = sx.stx_mtime.tv_sec;
  info.ctime_sec = sx.stx_ctime.tv_sec;
  info.ctime_nsec = sx.stx_ctime.tv_nsec;
  info.mtime_nsec = sx.stx_mtime.tv_nsec;
  if ((sx.stx_mask & STATX_BTIME) != 0U) {
    info.btime_sec = sx.stx_btime.tv_sec;
    info.btime_nsec = sx.stx_btime.tv_nsec;
  }
  return info;
}

}  // namespace

bool FileInfo::is_dir() const {
  return S_ISDIR(mode);
}
bool FileInfo::is_regular() const {
  return S_ISREG(mode);
}
bool FileInfo::is_symlink() const {
  return S_ISLNK(mode);
}

bool on_mount_of(const FileInfo& info, dev_t root_dev, std::uint64_t root_mnt_id) {
  if (root_mnt_id != 0 && info.mnt_id != root_mnt_id) {
    return false;
  }
  return (!info.is_dir() && root_mnt_id != 0) || info.dev == root_dev;
}

Result<FileInfo> stat_at(int dirfd, const char* name) {
  struct statx sx {};
  if (::statx(dirfd, name, static_cast<int>(at_flags_for(name)), STATX_BASIC_STATS | STATX_MNT_ID | STATX_BTIME, &sx) !=
      0) {
    return fail("stat", name);
  }
  return from_statx(sx);
}

Result<FileInfo> stat_fd(int fd) {
  return stat_at(fd, "");
}

Result<UniqueFd> open_dir(std::string_view path) {
  if (path.empty() || path.front() != '/') {
    return fail("open directory (not an absolute path)", std::string(path), EINVAL);
  }
  UniqueFd fd(::open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) {
    return fail("open directory", "/");
  }
  std::size_t pos = 1;
  while (pos < path.size()) {
    std::size_t next = path.find('/', pos);
    if (next == std::string_view::npos) {
      next = path.size();
    }
    std::string comp(path.substr(pos, next - pos));
    pos = next + 1;
    if (comp.empty() || comp == ".") {
      continue;
    }
    if (comp == "..") {
      return fail("open directory ('..' is not allowed)", std::string(path), EINVAL);
    }
    UniqueFd child(::openat(fd.get(), comp.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!child) {
      return fail("open directory", std::string(path), symlink_errno(fd.get(), comp.c_str(), errno));
    }
    fd = std::move(child);
  }
  return fd;
}

Result<std::pair<UniqueFd, std::string>> open_parent(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') {
    path.remove_suffix(1);
  }
  const auto slash = path.rfind('/');
  if (slash == std::string_view::npos || path.size() <= 1) {
    return fail("find parent of", std::string(path), EINVAL);
  }
  std::string name(path.substr(slash + 1));
  if (name == "." || name == "..") {
    return fail("find parent of", std::string(path), EINVAL);
  }
  auto dir = open_dir(slash == 0 ? std::string_view("/") : path.substr(0, slash));
  AICACTL_RETURN_IF_ERROR(dir);
  return std::pair{std::move(*dir), std::move(name)};
}

Result<UniqueFd> open_dir_at(int dirfd, const char* name, std::string_view shown_path) {
  UniqueFd fd(::openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) {
    return fail("open directory", std::string(shown_path), symlink_errno(dirfd, name, errno));
  }
  return fd;
}

Result<std::optional<FileInfo>> lstat_path(std::string_view path) {
  auto parent = open_parent(path);
  if (!parent) {
    if (parent.error().code == ENOENT) {
      return std::optional<FileInfo>{};
    }
    return std::unexpected(parent.error());
  }
  auto info = stat_at(parent->first.get(), parent->second.c_str());
  if (!info) {
    if (info.error().code == ENOENT) {
      return std::optional<FileInfo>{};
    }
    return fail("stat", std::string(path), info.error().code);
  }
  return std::optional<FileInfo>{*info};
}

Result<void> mkdir_at(int dirfd, const char* name, mode_t mode, std::string_view shown) {
  if (::mkdirat(dirfd, name, mode) != 0) {
    return fail("create directory", std::string(shown));
  }
  return {};
}

Result<void> chown_at(int dirfd, const char* name, uid_t uid, gid_t gid, std::string_view shown) {
  if (::fchownat(dirfd, name, uid, gid, static_cast<int>(at_flags_for(name))) != 0) {
    return fail("change owner of", std::string(shown));
  }
  return {};
}

Result<void> chmod_at(int dirfd, const char* name, mode_t mode, std::string_view shown) {
  if (!g_fchmodat2_missing.load(std::memory_order_relaxed)) {
    if (::syscall(kSysFchmodat2, dirfd, name, mode, at_flags_for(name)) == 0) {
      return {};
    }
    if (errno != ENOSYS) {
      return fail("change mode of", std::string(shown));
    }
    g_fchmodat2_missing.store(true, std::memory_order_relaxed);
  }
  if (is_self(name)) {
    return chmod_fd(dirfd, mode, shown);
  }
  // glibc emulates AT_SYMLINK_NOFOLLOW with an O_PATH fd, which is just as safe.
  if (::fchmodat(dirfd, name, mode, AT_SYMLINK_NOFOLLOW) != 0) {
    return fail("change mode of", std::string(shown));
  }
  return {};
}

Result<void> chown_fd(int fd, uid_t uid, gid_t gid, std::string_view shown) {
  if (::fchown(fd, uid, gid) != 0) {
    return fail("change owner of", std::string(shown));
  }
  return {};
}

Result<void> chmod_fd(int fd, mode_t mode, std::string_view shown) {
  if (::fchmod(fd, mode) != 0) {
    return fail("change mode of", std::string(shown));
  }
  return {};
}

Result<std::optional<std::string>> get_xattr_at(int dirfd, const char* name, const char* attr, std::string_view shown) {
  // Not zero-filled: the kernel writes what it returns. 256 bytes hold an ACL of 31 entries.
  std::array<char, 256> small;
  std::string big;
  char* buf = small.data();
  std::size_t cap = small.size();
  for (int attempt = 0; attempt < 3; ++attempt) {
    long n = -1;
    if (!g_xattrat_missing.load(std::memory_order_relaxed)) {
      XattrArgs args{reinterpret_cast<std::uintptr_t>(buf), static_cast<std::uint32_t>(cap), 0};
      n = ::syscall(kSysGetxattrat, dirfd, name, at_flags_for(name), attr, &args, sizeof(args));
      if (n < 0 && errno == ENOSYS) {
        g_xattrat_missing.store(true, std::memory_order_relaxed);
      }
    }
    if (g_xattrat_missing.load(std::memory_order_relaxed)) {
      n = is_self(name) ? ::fgetxattr(dirfd, attr, buf, cap)
                        : ::lgetxattr(proc_path(dirfd, name).c_str(), attr, buf, cap);
    }
    if (n >= 0) {
      return std::optional<std::string>{std::string(buf, static_cast<std::size_t>(n))};
    }
    if (errno == ENODATA) {
      return std::optional<std::string>{};
    }
    if (errno != ERANGE) {
      return fail(std::string("read attribute ") + attr + " of", std::string(shown));
    }
    cap *= 16;
    big.assign(cap, '\0');
    buf = big.data();
  }
  return fail(std::string("read attribute ") + attr + " of", std::string(shown), ERANGE);
}

Result<void> set_xattr_at(int dirfd, const char* name, const char* attr, std::string_view value,
                          std::string_view shown) {
  long rc = -1;
  if (!g_xattrat_missing.load(std::memory_order_relaxed)) {
    XattrArgs args{reinterpret_cast<std::uintptr_t>(value.data()), static_cast<std::uint32_t>(value.size()), 0};
    rc = ::syscall(kSysSetxattrat, dirfd, name, at_flags_for(name), attr, &args, sizeof(args));
    if (rc < 0 && errno == ENOSYS) {
      g_xattrat_missing.store(true, std::memory_order_relaxed);
    }
  }
  if (g_xattrat_missing.load(std::memory_order_relaxed)) {
    rc = is_self(name) ? ::fsetxattr(dirfd, attr, value.data(), value.size(), 0)
                       : ::lsetxattr(proc_path(dirfd, name).c_str(), attr, value.data(), value.size(), 0);
  }
  if (rc != 0) {
    return fail(std::string("set attribute ") + attr + " on", std::string(shown));
  }
  return {};
}

Result<void> remove_xattr_at(int dirfd, const char* name, const char* attr, std::string_view shown) {
  long rc = -1;
  if (!g_xattrat_missing.load(std::memory_order_relaxed)) {
    rc = ::syscall(kSysRemovexattrat, dirfd, name, at_flags_for(name), attr);
    if (rc < 0 && errno == ENOSYS) {
      g_xattrat_missing.store(true, std::memory_order_relaxed);
    }
  }
  if (g_xattrat_missing.load(std::memory_order_relaxed)) {
    rc = is_self(name) ? ::fremovexattr(dirfd, attr) : ::lremovexattr(proc_path(dirfd, name).c_str(), attr);
  }
  if (rc != 0 && errno != ENODATA) {
    return fail(std::string("remove attribute ") + attr + " from", std::string(shown));
  }
  return {};
}

Result<std::vector<std::string>> list_dir(int fd, std::string_view shown) {
  UniqueFd copy(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
  if (!copy) {
    return fail("duplicate fd of", std::string(shown));
  }
  DIR* dir = ::fdopendir(copy.get());
  if (dir == nullptr) {
    return fail("list directory", std::string(shown));
  }
  (void)copy.release();  // owned by `dir` now
  ::rewinddir(dir);
  std::vector<std::string> names;
  errno = 0;
  while (const dirent* d = ::readdir(dir)) {
    const std::string_view n = d->d_name;
    if (n != "." && n != "..") {
      names.emplace_back(n);
    }
  }
  const int err = errno;
  ::closedir(dir);
  if (err != 0) {
    return fail("list directory", std::string(shown), err);
  }
  return names;
}

Result<std::optional<std::string>> read_file(std::string_view path) {
  auto parent = open_parent(path);
  if (!parent) {
    if (parent.error().code == ENOENT) {
      return std::optional<std::string>{};
    }
    return std::unexpected(parent.error());
  }
  UniqueFd fd(::openat(parent->first.get(), parent->second.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) {
      return std::optional<std::string>{};
    }
    return fail("open", std::string(path));
  }
  auto text = read_fd(fd.get(), path);
  AICACTL_RETURN_IF_ERROR(text);
  return std::optional<std::string>{std::move(*text)};
}

Result<std::string> read_self_exe() {
  UniqueFd fd(::open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
  if (!fd) {
    return fail("open", "/proc/self/exe");
  }
  return read_fd(fd.get(), "/proc/self/exe");
}

std::string join_path(std::string_view dir, std::string_view name) {
  std::string out(dir);
  if (out.empty() || out.back() != '/') {
    out += '/';
  }
  while (!name.empty() && name.front() == '/') {
    name.remove_prefix(1);
  }
  out += name;
  return out;
}

std::string read_link(std::string_view path) {
  auto parent = open_parent(path);
  if (!parent) {
    return "";
  }
  std::array<char, PATH_MAX> buf{};
  const ssize_t n = ::readlinkat(parent->first.get(), parent->second.c_str(), buf.data(), buf.size() - 1);
  return n > 0 ? std::string(buf.data(), static_cast<std::size_t>(n)) : "";
}

Result<std::string> self_exe_path() {
  std::array<char, PATH_MAX> buf{};
  const ssize_t n = ::readlink("/proc/self/exe", buf.data(), buf.size() - 1);
  if (n < 0) {
    return fail("read link", "/proc/self/exe");
  }
  return std::string(buf.data(), static_cast<std::size_t>(n));
}

}  // namespace aicactl::os
