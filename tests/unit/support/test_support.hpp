// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the unit tests: a private temp dir per test (removed even when it is deeper
// than PATH_MAX), a fork-based runner for code that changes process-wide state (rlimits, mount
// namespaces, locks held by another process), and file-making shortcuts that throw on failure
// (GoogleTest reports an exception in a test body as a failure).
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <functional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace aicactl::test {

[[noreturn]] inline void throw_errno(const std::string& what, int code = errno) {
  throw std::system_error(code, std::generic_category(), what);
}

// Closes an fd on scope exit; the tests keep this apart from os::UniqueFd, the code under test.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  [[nodiscard]] int get() const { return fd_; }
  void reset(int fd) {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = fd;
  }

 private:
  int fd_;
};

inline int open_dir_nofollow(int dirfd, const std::string& name) {
  const int fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    throw_errno("open directory " + name);
  }
  return fd;
}

inline std::vector<std::string> list_names(int dirfd) {
  const int dup_fd = ::openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dup_fd < 0) {
    throw_errno("reopen directory");
  }
  DIR* dir = ::fdopendir(dup_fd);
  if (dir == nullptr) {
    ::close(dup_fd);
    throw_errno("fdopendir");
  }
  std::vector<std::string> names;
  while (const dirent* d = ::readdir(dir)) {
    const std::string_view name(d->d_name);
    if (name != "." && name != "..") {
      names.emplace_back(name);
    }
  }
  ::closedir(dir);
  return names;
}

// Removes everything below `dirfd` holding at most two fds, so trees deeper than the fd limit or
// PATH_MAX go too: a non-empty subdirectory first has its entries moved up into `dirfd`.
inline void empty_dir_at(int dirfd) {
  unsigned long serial = 0;
  for (;;) {
    const auto names = list_names(dirfd);
    if (names.empty()) {
      return;
    }
    for (const auto& name : names) {
      if (::unlinkat(dirfd, name.c_str(), 0) == 0 || errno == ENOENT) {
        continue;
      }
      if (errno != EISDIR && errno != EPERM) {
        throw_errno("unlink " + name);
      }
      if (::unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) == 0 || errno == ENOENT) {
        continue;
      }
      if (errno != ENOTEMPTY && errno != EEXIST) {
        throw_errno("remove directory " + name);
      }
      const Fd sub(open_dir_nofollow(dirfd, name));
      for (const auto& child : list_names(sub.get())) {
        for (;;) {
          const std::string lifted = ".lifted-" + std::to_string(serial++);
          if (::renameat2(sub.get(), child.c_str(), dirfd, lifted.c_str(), RENAME_NOREPLACE) == 0) {
            break;
          }
          if (errno != EEXIST) {
            throw_errno("move up " + child);
          }
        }
      }
    }
  }
}

// A fresh directory under /tmp (mode 0700, from mkdtemp), removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = "/tmp/aicactl-unit-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) {
      throw_errno("mkdtemp");
    }
    path_ = std::move(tmpl);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    try {
      {
        const Fd fd(open_dir_nofollow(AT_FDCWD, path_));
        empty_dir_at(fd.get());
      }
      if (::rmdir(path_.c_str()) != 0) {
        throw_errno("rmdir " + path_);
      }
    } catch (const std::exception& e) {
      ADD_FAILURE() << "could not remove temp dir '" << path_ << "': " << e.what();
    }
  }

  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] std::string sub(std::string_view rel) const { return path_ + "/" + std::string(rel); }

 private:
  std::string path_;
};

// Sets the umask for one scope.
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t mask) : old_(::umask(mask)) {}
  ScopedUmask(const ScopedUmask&) = delete;
  ScopedUmask& operator=(const ScopedUmask&) = delete;
  ~ScopedUmask() { ::umask(old_); }

 private:
  mode_t old_;
};

inline void make_dir(const std::string& path, mode_t mode = 0755) {
  if (::mkdir(path.c_str(), mode) != 0) {
    throw_errno("mkdir " + path);
  }
}

inline void write_text(const std::string& path, std::string_view content, mode_t mode = 0644) {
  const Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode));
  if (fd.get() < 0) {
    throw_errno("create " + path);
  }
  while (!content.empty()) {
    const ssize_t n = ::write(fd.get(), content.data(), content.size());
    if (n < 0) {
      throw_errno("write " + path);
    }
    content.remove_prefix(static_cast<std::size_t>(n));
  }
}

inline std::string read_text(const std::string& path) {
  const Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (fd.get() < 0) {
    throw_errno("open " + path);
  }
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      throw_errno("read " + path);
    }
    if (n == 0) {
      return out;
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
}

inline void make_symlink(const std::string& target, const std::string& path) {
  if (::symlink(target.c_str(), path.c_str()) != 0) {
    throw_errno("symlink " + path);
  }
}

inline struct stat lstat_or_throw(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    throw_errno("lstat " + path);
  }
  return st;
}

inline bool exists_nofollow(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

// What a forked child reported: nothing (ok), a failure message, or a reason to skip.
struct ChildOutcome {
  enum class Kind { ok, failed, skipped };
  Kind kind = Kind::ok;
  std::string message;
  [[nodiscard]] bool ok() const { return kind == Kind::ok; }
  [[nodiscard]] bool skipped() const { return kind == Kind::skipped; }
};

inline constexpr std::string_view kSkipPrefix = "skip: ";

// Runs `body` in a forked child: it returns "" on success, a failure message, or kSkipPrefix +
// a reason. A crash or a non-zero exit of the child is a failure. GoogleTest assertions must not
// be used inside `body` (they would be lost with the child).
inline ChildOutcome run_in_child(const std::function<std::string()>& body) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    throw_errno("pipe2");
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    throw_errno("fork");
  }
  if (pid == 0) {
    ::close(fds[0]);
    std::string msg;
    try {
      msg = body();
    } catch (const std::exception& e) {
      msg = std::string("exception in child: ") + e.what();
    } catch (...) {
      msg = "unknown exception in child";
    }
    std::string_view rest(msg);
    while (!rest.empty()) {
      const ssize_t n = ::write(fds[1], rest.data(), rest.size());
      if (n <= 0) {
        ::_exit(2);
      }
      rest.remove_prefix(static_cast<std::size_t>(n));
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string msg;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    msg.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      throw_errno("waitpid");
    }
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    const std::string how = WIFSIGNALED(status) ? "killed by signal " + std::to_string(WTERMSIG(status))
                                                : "exited with " + std::to_string(WEXITSTATUS(status));
    return {ChildOutcome::Kind::failed, "child " + how + (msg.empty() ? "" : ": " + msg)};
  }
  if (msg.starts_with(kSkipPrefix)) {
    return {ChildOutcome::Kind::skipped, msg.substr(kSkipPrefix.size())};
  }
  return {msg.empty() ? ChildOutcome::Kind::ok : ChildOutcome::Kind::failed, msg};
}

inline std::string errno_text(int code) {
  return std::strerror(code);
}

// What private_mounts() mounts: a 1 MiB tmpfs on `tmpfs_dir`, and each (source, target) pair as
// a bind mount (a directory or a single file: both are mount points a walker must not cross).
struct TestMounts {
  std::string tmpfs_dir;
  std::vector<std::pair<std::string, std::string>> binds;
};

// For run_in_child() bodies only: moves the child into a private mount namespace (nothing leaks
// to the host) and makes the mounts. Returns "" when all were made, else kSkipPrefix + why.
inline std::string private_mounts(const TestMounts& mounts) {
  const std::string skip(kSkipPrefix);
  if (::unshare(CLONE_NEWNS) != 0) {
    return skip + "unshare(CLONE_NEWNS) failed: " + errno_text(errno);
  }
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    return skip + "mount --make-rprivate / failed: " + errno_text(errno);
  }
  if (!mounts.tmpfs_dir.empty() && ::mount("tmpfs", mounts.tmpfs_dir.c_str(), "tmpfs", 0, "size=1m") != 0) {
    return skip + "mounting a tmpfs failed: " + errno_text(errno);
  }
  for (const auto& [source, target] : mounts.binds) {
    if (::mount(source.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) != 0) {
      return skip + "bind mount of " + source + " failed: " + errno_text(errno);
    }
  }
  return "";
}

}  // namespace aicactl::test

// Skips the current test (visibly, with a reason) unless it runs as root.
#define AICACTL_REQUIRE_ROOT()                                                      \
  do {                                                                              \
    if (::geteuid() != 0) {                                                         \
      GTEST_SKIP() << "needs root (run the unit tests as root to cover this case)"; \
    }                                                                               \
  } while (false)
