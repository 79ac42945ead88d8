// SPDX-License-Identifier: Apache-2.0
#include "aicactl/os/procs.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include "support/test_support.hpp"

namespace aicactl::os {
namespace {

TEST(Procs, ListsOurselvesWithOurUids) {
  auto procs = list_processes();
  ASSERT_TRUE(procs) << procs.error().message();
  auto self = std::find_if(procs->begin(), procs->end(), [](const ProcInfo& p) { return p.pid == ::getpid(); });
  ASSERT_NE(self, procs->end());
  EXPECT_EQ(self->ruid, ::getuid());
  EXPECT_EQ(self->euid, ::geteuid());
}

// A child of another uid that ignores SIGTERM is SIGKILLed after the grace period; one that does
// not is ended by SIGTERM; a process of another uid is left alone.
TEST(Procs, EndProcessesTermsThenKills) {
  AICACTL_REQUIRE_ROOT();
  constexpr uid_t kTarget = 64123;
  constexpr uid_t kBystander = 64124;
  auto child = [](uid_t uid, bool ignore_term) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      if (ignore_term) {
        ::signal(SIGTERM, SIG_IGN);
      }
      if (::setresuid(uid, uid, uid) != 0) {
        ::_exit(1);
      }
      for (;;) {
        ::pause();
      }
    }
    return pid;
  };
  const pid_t stubborn = child(kTarget, true);
  const pid_t polite = child(kTarget, false);
  const pid_t bystander = child(kBystander, false);
  ::usleep(100000);
  const auto started = std::chrono::steady_clock::now();
  auto ended = end_processes([](uid_t u) { return u == kTarget; }, 300);
  ASSERT_TRUE(ended) << ended.error().message();
  int status = 0;
  ASSERT_EQ(::waitpid(stubborn, &status, 0), stubborn);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  ASSERT_EQ(::waitpid(polite, &status, 0), polite);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
  EXPECT_EQ(::waitpid(bystander, &status, WNOHANG), 0) << "another uid's process is left alone";
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(300)) << "the grace period";
  ::kill(bystander, SIGKILL);
  (void)::waitpid(bystander, &status, 0);
}

}  // namespace
}  // namespace aicactl::os
