// SPDX-License-Identifier: Apache-2.0
#include "aicactl/os/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstdlib>
#include <sstream>

#include "aicactl/os/fd.hpp"

namespace aicactl::os {

namespace {

bool executable_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// Root-owned and not writable by group or others (following symlinks: `path` is resolved).
bool root_only(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && st.st_uid == 0 && (st.st_mode & (S_IWGRP | S_IWOTH)) == 0U;
}

// Every directory from "/" down to `path`, and `path` itself, are root_only.
bool root_only_chain(const std::string& path) {
  for (std::size_t slash = path.find('/', 1); slash != std::string::npos; slash = path.find('/', slash + 1)) {
    if (!root_only(path.substr(0, slash))) {
      return false;
    }
  }
  return root_only("/") && root_only(path);
}

std::string home_of_effective_user() {
  std::array<char, 4096> buf{};
  passwd pw{};
  passwd* found = nullptr;
  if (::getpwuid_r(::geteuid(), &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr &&
      found->pw_dir != nullptr && found->pw_dir[0] == '/') {
    return found->pw_dir;
  }
  return "/";
}

}  // namespace

std::string find_program(const std::string& name) {
  if (name.empty()) {
    return "";
  }
  if (name.front() == '/') {
    return executable_file(name) ? name : "";
  }
  if (name.find('/') != std::string::npos) {
    return "";
  }
  std::stringstream ss(kSecurePath);
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    std::string candidate = dir + "/" + name;
    if (executable_file(candidate)) {
      return candidate;
    }
  }
  return "";
}

std::string find_program_also_in(const std::string& name, const std::string& extra_dir) {
  if (std::string found = find_program(name); !found.empty() || name.find('/') != std::string::npos) {
    return found;
  }
  std::string candidate = extra_dir + "/" + name;
  if (extra_dir.empty() || extra_dir.front() != '/' || !executable_file(candidate) || !root_only_chain(extra_dir)) {
    return "";
  }
  std::array<char, PATH_MAX> real{};
  if (::realpath(candidate.c_str(), real.data()) == nullptr || !root_only_chain(real.data())) {
    return "";
  }
  return candidate;
}

std::vector<std::string> helper_environment(const std::vector<std::string>& env, InheritEnv base) {
  std::vector<std::string> out;
  if (base == InheritEnv::yes) {
    out = {std::string("PATH=") + kSecurePath, "HOME=" + home_of_effective_user(), "LC_ALL=C.UTF-8"};
  }
  for (const auto& e : env) {
    const auto name = e.substr(0, e.find('=') + 1);
    std::erase_if(out, [&](const std::string& x) { return x.starts_with(name); });
    out.push_back(e);
  }
  return out;
}

Result<ProcessResult> run_program(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  return run_program_with(argv, RunOptions{env, InheritEnv::yes, std::nullopt});
}

Result<ProcessResult> run_program_with(const std::vector<std::string>& argv, const RunOptions& options) {
  if (argv.empty()) {
    return fail("run program", "", EINVAL);
  }
  const std::string exe = find_program(argv[0]);
  if (exe.empty()) {
    return fail("find program", argv[0], ENOENT);
  }
  std::array<int, 2> out_pipe{};
  std::array<int, 2> err_pipe{};
  if (::pipe2(out_pipe.data(), O_CLOEXEC) != 0 || ::pipe2(err_pipe.data(), O_CLOEXEC) != 0) {
    return fail("create pipe for", argv[0]);
  }
  UniqueFd out_r(out_pipe[0]);
  UniqueFd out_w(out_pipe[1]);
  UniqueFd err_r(err_pipe[0]);
  UniqueFd err_w(err_pipe[1]);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_w.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err_w.get(), 2);
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);  // nothing else we hold leaks into the child
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  std::vector<std::string> env_strings = helper_environment(options.env, options.inherit);
  std::vector<char*> envp;
  envp.reserve(env_strings.size() + 1);
  for (auto& e : env_strings) {
    envp.push_back(e.data());
  }
  envp.push_back(nullptr);
  pid_t pid = 0;
  // posix_spawn has no umask attribute: the child inherits ours, set around the spawn only.
  const mode_t saved_umask = options.umask ? ::umask(*options.umask) : 0;
  const int rc = posix_spawn(&pid, exe.c_str(), &actions, nullptr, args.data(), envp.data());
  if (options.umask) {
    ::umask(saved_umask);
  }
  posix_spawn_file_actions_destroy(&actions);
  out_w.reset();
  err_w.reset();
  if (rc != 0) {
    return fail("start", exe, rc);
  }

  ProcessResult result;
  std::array<pollfd, 2> fds{pollfd{out_r.get(), POLLIN, 0}, pollfd{err_r.get(), POLLIN, 0}};
  std::array<std::string*, 2> sinks{&result.out, &result.err};
  std::array<char, 8192> buf{};
  int open_count = 2;
  while (open_count > 0) {
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      break;
    }
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) {
        continue;
      }
      const ssize_t n = ::read(fds[i].fd, buf.data(), buf.size());
      if (n > 0) {
        sinks[i]->append(buf.data(), static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        fds[i].fd = -1;
        --open_count;
      }
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      return fail("wait for", exe);
    }
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

}  // namespace aicactl::os
