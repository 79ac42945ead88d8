// SPDX-License-Identifier: Apache-2.0
#include "aicactl/os/procs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <array>
#include <charconv>
#include <chrono>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>

#include "aicactl/os/expected.hpp"
#include "aicactl/os/fd.hpp"

namespace aicactl::os {
namespace {

// The status file of one process: "Uid:\tr\te\ts\tfs" and, from stat, the tty.
bool read_proc(int proc_fd, const char* pid_name, ProcInfo& out) {
  const std::string status = std::string(pid_name) + "/status";
  UniqueFd fd(::openat(proc_fd, status.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    return false;
  }
  std::array<char, 4096> buf{};
  const ssize_t n = ::read(fd.get(), buf.data(), buf.size() - 1);
  if (n <= 0) {
    return false;
  }
  const std::string_view text(buf.data(), static_cast<std::size_t>(n));
  const auto at = text.find("\nUid:");
  if (at == std::string_view::npos) {
    return false;
  }
  std::array<unsigned long, 3> ids{};
  const char* p = text.data() + at + 5;
  const char* end = text.data() + text.size();
  for (auto& id : ids) {
    while (p < end && (*p == ' ' || *p == '\t')) {
      ++p;
    }
    auto [next, ec] = std::from_chars(p, end, id);
    if (ec != std::errc{}) {
      return false;
    }
    p = next;
  }
  out.ruid = static_cast<uid_t>(ids[0]);
  out.euid = static_cast<uid_t>(ids[1]);
  out.suid = static_cast<uid_t>(ids[2]);
  const std::string stat = std::string(pid_name) + "/stat";
  UniqueFd sfd(::openat(proc_fd, stat.c_str(), O_RDONLY | O_CLOEXEC));
  if (sfd) {
    const ssize_t m = ::read(sfd.get(), buf.data(), buf.size() - 1);
    if (m > 0) {
      // pid (comm) state ppid pgrp session tty_nr ...; comm may hold spaces and ')'.
      const std::string_view s(buf.data(), static_cast<std::size_t>(m));
      const auto close = s.rfind(')');
      if (close != std::string_view::npos) {
        const char* q = s.data() + close + 1;
        const char* e = s.data() + s.size();
        for (int field = 0; field < 5 && q < e; ++field) {  // state ppid pgrp session tty_nr
          while (q < e && *q == ' ') {
            ++q;
          }
          if (field == 4) {
            long tty = 0;
            (void)std::from_chars(q, e, tty);
            out.tty = static_cast<dev_t>(tty);
            break;
          }
          while (q < e && *q != ' ') {
            ++q;
          }
        }
      }
    }
  }
  return true;
}

struct Target {
  pid_t pid = 0;
  UniqueFd fd;
};

// Still running: signalable and not a zombie waiting for a parent that does not reap it.
bool alive(const Target& t, const char* proc_root) {
  if (::syscall(SYS_pidfd_send_signal, t.fd.get(), 0, nullptr, 0) != 0) {
    return false;
  }
  const std::string stat = std::string(proc_root) + "/" + std::to_string(t.pid) + "/stat";
  UniqueFd fd(::open(stat.c_str(), O_RDONLY | O_CLOEXEC));
  std::array<char, 512> buf{};
  const ssize_t n = fd ? ::read(fd.get(), buf.data(), buf.size() - 1) : -1;
  if (n <= 0) {
    return false;
  }
  const std::string_view s(buf.data(), static_cast<std::size_t>(n));
  const auto close = s.rfind(')');
  return close == std::string_view::npos || close + 2 >= s.size() || (s[close + 2] != 'Z' && s[close + 2] != 'X');
}

}  // namespace

Result<std::vector<ProcInfo>> list_processes(const char* proc_root) {
  UniqueFd proc(::open(proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!proc) {
    return fail("open directory", proc_root);
  }
  DIR* dir = ::fdopendir(::dup(proc.get()));
  if (dir == nullptr) {
    return fail("read directory", proc_root);
  }
  std::vector<ProcInfo> out;
  while (const dirent* e = ::readdir(dir)) {
    pid_t pid = 0;
    const std::string_view name(e->d_name);
    auto [ptr, ec] = std::from_chars(name.data(), name.data() + name.size(), pid);
    if (ec != std::errc{} || ptr != name.data() + name.size() || pid <= 0) {
      continue;
    }
    ProcInfo info;
    info.pid = pid;
    if (read_proc(proc.get(), e->d_name, info)) {
      out.push_back(info);
    }
  }
  ::closedir(dir);
  return out;
}

bool runs_as(const ProcInfo& p, const std::function<bool(uid_t)>& owned) {
  return owned(p.ruid) || owned(p.euid) || owned(p.suid);
}

Result<EndResult> end_processes(const std::function<bool(uid_t)>& owned, int grace_ms, const char* proc_root) {
  using Clock = std::chrono::steady_clock;
  constexpr int kRounds = 5;
  constexpr auto kPoll = std::chrono::milliseconds(50);
  EndResult result;
  const pid_t self = ::getpid();
  for (int round = 0; round < kRounds; ++round) {
    auto procs = list_processes(proc_root);
    AICACTL_RETURN_IF_ERROR(procs);
    std::vector<Target> targets;
    for (const auto& p : *procs) {
      if (p.pid == self || !runs_as(p, owned)) {
        continue;
      }
      UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, p.pid, 0)));
      if (!pidfd) {
        continue;  // ended meanwhile
      }
      // The pid may have been reused between the scan and pidfd_open: ask /proc again.
      ProcInfo again;
      const std::string name = std::to_string(p.pid);
      UniqueFd proc(::open(proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!proc || !read_proc(proc.get(), name.c_str(), again) || !runs_as(again, owned)) {
        continue;
      }
      targets.push_back(Target{p.pid, std::move(pidfd)});
    }
    if (targets.empty()) {
      return result;
    }
    for (const auto& t : targets) {
      (void)::syscall(SYS_pidfd_send_signal, t.fd.get(), SIGTERM, nullptr, 0);
      (void)::syscall(SYS_pidfd_send_signal, t.fd.get(), SIGCONT, nullptr, 0);  // a stopped one must see it
    }
    const auto deadline = Clock::now() + std::chrono::milliseconds(grace_ms);
    auto remaining = [&] {
      std::size_t n = 0;
      for (const auto& t : targets) {
        n += alive(t, proc_root) ? 1U : 0U;
      }
      return n;
    };
    while (remaining() > 0 && Clock::now() < deadline) {
      std::this_thread::sleep_for(kPoll);
    }
    const std::size_t stubborn = remaining();
    result.terminated += targets.size() - stubborn;
    if (stubborn > 0) {
      for (const auto& t : targets) {
        (void)::syscall(SYS_pidfd_send_signal, t.fd.get(), SIGKILL, nullptr, 0);
      }
      const auto kill_deadline = Clock::now() + std::chrono::seconds(1);
      while (remaining() > 0 && Clock::now() < kill_deadline) {
        std::this_thread::sleep_for(kPoll);
      }
      result.left = remaining();
      result.killed += stubborn - result.left;
    }
  }
  return result;
}

Result<void> write_to_tty(dev_t tty, uid_t uid, std::string_view text) {
  constexpr unsigned kPtsMajorFirst = 136;  // Unix98 pty slaves: majors 136..143
  constexpr unsigned kPtsMajorLast = 143;
  constexpr unsigned kTtyMajor = 4;
  constexpr unsigned kMinorsPerMajor = 256;
  constexpr unsigned kVirtualConsoles = 64;
  const unsigned maj = ::major(tty);
  const unsigned min = ::minor(tty);
  std::string path;
  if (maj >= kPtsMajorFirst && maj <= kPtsMajorLast) {
    path = "/dev/pts/" + std::to_string((maj - kPtsMajorFirst) * kMinorsPerMajor + min);
  } else if (maj == kTtyMajor && min > 0 && min < kVirtualConsoles) {
    path = "/dev/tty" + std::to_string(min);
  } else {
    return fail("find the terminal of device", std::to_string(maj) + ":" + std::to_string(min), ENODEV);
  }
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) {
    return fail("open terminal", path);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return fail("stat terminal", path);
  }
  // A pty of an ssh or login session is chowned to the user; one made by su's caller (script,
  // tmux started as root) stays root's.
  if (!S_ISCHR(st.st_mode) || st.st_rdev != tty || (st.st_uid != uid && st.st_uid != 0)) {
    return fail("write to terminal (not the user's)", path, EPERM);
  }
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
    if (n <= 0) {
      return fail("write to terminal", path);
    }
    done += static_cast<std::size_t>(n);
  }
  return {};
}

}  // namespace aicactl::os
