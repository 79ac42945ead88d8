// SPDX-License-Identifier: Apache-2.0
#include "aicactl/os/terminal.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <iostream>

#include "aicactl/os/expected.hpp"
#include "aicactl/os/fd.hpp"

namespace aicactl::os {

namespace {

Result<int> wait_exit_code(pid_t pid, const std::string& what) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      return fail("wait for", what);
    }
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

Result<std::string> read_all_from_start(int fd, const std::string& what) {
  if (::lseek(fd, 0, SEEK_SET) < 0) {
    return fail("rewind the output of", what);
  }
  std::string out;
  std::array<char, 8192> buf{};
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n > 0) {
      out.append(buf.data(), static_cast<std::size_t>(n));
    } else if (n == 0) {
      return out;
    } else if (errno != EINTR) {
      return fail("read the output of", what);
    }
  }
}

}  // namespace

bool on_terminal() {
  return ::isatty(STDIN_FILENO) == 1 && ::isatty(STDOUT_FILENO) == 1;
}

Result<ProcessResult> run_captured(const std::function<int()>& fn) {
  const std::string what = "a captured command";
  UniqueFd capture(::memfd_create("aicactl-capture", MFD_CLOEXEC));
  if (!capture) {
    return fail("create a memfd for", what);
  }
  std::cout.flush();
  std::cerr.flush();
  (void)std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    return fail("fork for", what);
  }
  if (pid == 0) {
    const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null_fd < 0 || ::dup2(null_fd, STDIN_FILENO) < 0 || ::dup2(capture.get(), STDOUT_FILENO) < 0 ||
        ::dup2(capture.get(), STDERR_FILENO) < 0) {
      ::_exit(1);
    }
    int rc = 1;
    try {
      rc = fn();
    } catch (...) {
      rc = 1;
    }
    std::cout.flush();
    std::cerr.flush();
    (void)std::fflush(nullptr);
    ::_exit(rc);
  }
  auto code = wait_exit_code(pid, what);
  AICACTL_RETURN_IF_ERROR(code);
  auto out = read_all_from_start(capture.get(), what);
  AICACTL_RETURN_IF_ERROR(out);
  return ProcessResult{*code, std::move(*out), ""};
}

Result<ProcessResult> run_on_terminal(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  if (argv.empty()) {
    return fail("run program", "", EINVAL);
  }
  const std::string exe = find_program(argv[0]);
  if (exe.empty()) {
    return fail("find program", argv[0], ENOENT);
  }
  UniqueFd answer(::memfd_create("aicactl-answer", MFD_CLOEXEC));
  if (!answer) {
    return fail("create a memfd for", exe);
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, answer.get(), 3);
  posix_spawn_file_actions_addclosefrom_np(&actions, 4);
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  std::vector<std::string> env_strings = helper_environment(env);
  std::vector<char*> envp;
  envp.reserve(env_strings.size() + 1);
  for (auto& e : env_strings) {
    envp.push_back(e.data());
  }
  envp.push_back(nullptr);
  std::cout.flush();
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, exe.c_str(), &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return fail("start", exe, rc);
  }
  auto code = wait_exit_code(pid, exe);
  AICACTL_RETURN_IF_ERROR(code);
  auto out = read_all_from_start(answer.get(), exe);
  AICACTL_RETURN_IF_ERROR(out);
  return ProcessResult{*code, std::move(*out), ""};
}

}  // namespace aicactl::os
