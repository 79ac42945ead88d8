// SPDX-License-Identifier: Apache-2.0
#include "aicactl/os/process_input.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aicactl/os/fd.hpp"
#include "aicactl/os/process.hpp"

namespace aicactl::os {

Result<int> run_program_with_input(const std::vector<std::string>& argv, std::string_view input) {
  if (argv.empty()) {
    return fail("run program", "", EINVAL);
  }
  const std::string exe = find_program(argv[0]);
  if (exe.empty()) {
    return fail("find program", argv[0], ENOENT);
  }
  UniqueFd memfd(::memfd_create("aicactl-input", MFD_CLOEXEC));
  if (!memfd) {
    return fail("create input buffer for", argv[0]);
  }
  for (std::string_view rest = input; !rest.empty();) {
    const ssize_t n = ::write(memfd.get(), rest.data(), rest.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return fail("write input for", argv[0]);
    }
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
  if (::lseek(memfd.get(), 0, SEEK_SET) != 0) {
    return fail("rewind input for", argv[0]);
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, memfd.get(), 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  pid_t pid = 0;
  std::vector<std::string> env_strings = helper_environment({});
  std::vector<char*> envp;
  envp.reserve(env_strings.size() + 1);
  for (auto& e : env_strings) {
    envp.push_back(e.data());
  }
  envp.push_back(nullptr);
  const int rc = posix_spawn(&pid, exe.c_str(), &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return fail("start", exe, rc);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      return fail("wait for", exe);
    }
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace aicactl::os
