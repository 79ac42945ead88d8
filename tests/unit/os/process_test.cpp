// SPDX-License-Identifier: Apache-2.0
#include "aicactl/os/process.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/test_support.hpp"

namespace aicactl::os {
namespace {

std::vector<int> open_fds() {
  const test::Fd dir(test::open_dir_nofollow(AT_FDCWD, "/proc/self/fd"));
  std::vector<int> fds;
  for (const auto& name : test::list_names(dir.get())) {
    const int fd = std::stoi(name);
    if (fd != dir.get()) {
      fds.push_back(fd);
    }
  }
  std::sort(fds.begin(), fds.end());
  return fds;
}

TEST(RunProgram, CapturesStdoutStderrAndTheExitCode) {
  auto run = run_program({"sh", "-c", "echo out; echo err >&2; exit 3"});
  ASSERT_TRUE(run.has_value()) << run.error().message();
  EXPECT_EQ(run->exit_code, 3);
  EXPECT_EQ(run->out, "out\n");
  EXPECT_EQ(run->err, "err\n");
}

TEST(RunProgram, PassesArgumentsVerbatimWithoutAShell) {
  auto run = run_program({"printf", "%s|", "$HOME", "a b", "*", "`id`", ""});
  ASSERT_TRUE(run.has_value()) << run.error().message();
  EXPECT_EQ(run->exit_code, 0);
  EXPECT_EQ(run->out, "$HOME|a b|*|`id`||");
}

TEST(RunProgram, SuccessIsExitCodeZero) {
  auto ok = run_program({"true"});
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->exit_code, 0);
  EXPECT_EQ(ok->out, "");
  auto failed = run_program({"false"});
  ASSERT_TRUE(failed.has_value()) << "a non-zero exit is a result, not an error";
  EXPECT_EQ(failed->exit_code, 1);
}

TEST(RunProgram, AMissingProgramFailsWithEnoent) {
  for (const char* name : {"aicactl-no-such-program", "/nonexistent/bin/aicactl"}) {
    auto run = run_program({name, "--help"});
    ASSERT_FALSE(run.has_value()) << name;
    EXPECT_EQ(run.error().code, ENOENT) << name;
    EXPECT_NE(run.error().message().find(name), std::string::npos) << run.error().message();
  }
  auto empty = run_program({});
  ASSERT_FALSE(empty.has_value());
  EXPECT_EQ(empty.error().code, EINVAL);
}

TEST(RunProgram, AKilledProgramExitsWith128PlusTheSignal) {
  auto killed = run_program({"sh", "-c", "kill -KILL $$"});
  ASSERT_TRUE(killed.has_value()) << killed.error().message();
  EXPECT_EQ(killed->exit_code, 128 + SIGKILL);
  auto terminated = run_program({"sh", "-c", "echo before; kill -TERM $$; echo after"});
  ASSERT_TRUE(terminated.has_value());
  EXPECT_EQ(terminated->exit_code, 128 + SIGTERM);
  EXPECT_EQ(terminated->out, "before\n");
}

// Both pipes are drained together: a child that fills stderr while we read stdout must not
// deadlock (each pipe holds only 64 KiB).
TEST(RunProgram, CapturesLargeOutputOnBothStreams) {
  auto run =
      run_program({"sh", "-c", "head -c 300000 /dev/zero >&2; head -c 500000 /dev/zero; head -c 200000 /dev/zero >&2"});
  ASSERT_TRUE(run.has_value()) << run.error().message();
  EXPECT_EQ(run->exit_code, 0);
  EXPECT_EQ(run->out.size(), 500000U);
  EXPECT_EQ(run->err.size(), 500000U);
}

TEST(RunProgram, StdinIsEmpty) {
  auto run = run_program({"cat"});
  ASSERT_TRUE(run.has_value()) << run.error().message();
  EXPECT_EQ(run->exit_code, 0);
  EXPECT_EQ(run->out, "");
}

TEST(RunProgram, LeaksNoFds) {
  const std::vector<int> before = open_fds();
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(run_program({"true"}).has_value());
    ASSERT_FALSE(run_program({"aicactl-no-such-program"}).has_value());
  }
  EXPECT_EQ(open_fds(), before);

  // The child gets stdin, stdout and stderr only: neither run_program's pipes nor any fd this
  // process holds without FD_CLOEXEC.
  int inherited = ::dup(0);  // dup() does not set FD_CLOEXEC
  ASSERT_GE(inherited, 0);
  const std::set<int> expected{0, 1, 2};
  auto run = run_program({"sh", "-c", "ls /proc/$$/fd"});
  ASSERT_TRUE(run.has_value());
  std::set<int> seen;
  std::istringstream lines(run->out);
  for (std::string line; std::getline(lines, line);) {
    seen.insert(std::stoi(line));
  }
  EXPECT_EQ(seen, expected);
  ::close(inherited);
}

TEST(FindProgram, SearchesThePathAndAcceptsPaths) {
  const test::TempDir tmp;
  test::write_text(tmp.sub("plain"), "#!/bin/sh\n", 0644);
  ASSERT_EQ(::chmod(tmp.sub("plain").c_str(), 0644), 0);
  const std::string sh = find_program("sh");
  ASSERT_FALSE(sh.empty());
  EXPECT_TRUE(sh.starts_with("/")) << sh;
  EXPECT_EQ(::access(sh.c_str(), X_OK), 0);
  EXPECT_EQ(find_program("aicactl-no-such-program"), "");
  EXPECT_EQ(find_program(sh), sh);
  EXPECT_EQ(find_program("/nonexistent/sh"), "");
  EXPECT_EQ(find_program(tmp.sub("plain")), "") << "not executable";
}

// Root runs programs by name: a relative or empty PATH entry (".", "bin", "::") must never make
// it run a program from the current directory.
TEST(FindProgram, IgnoresRelativePathEntries) {
  const test::TempDir tmp;
  test::make_dir(tmp.sub("bin"));
  for (const char* rel : {"aicactl-planted", "bin/aicactl-planted"}) {
    test::write_text(tmp.sub(rel), "#!/bin/sh\necho planted\n", 0755);
    ASSERT_EQ(::chmod(tmp.sub(rel).c_str(), 0755), 0);
  }
  const test::ChildOutcome outcome = test::run_in_child([&]() -> std::string {
    if (::chdir(tmp.path().c_str()) != 0 || ::setenv("PATH", ".:bin::/nonexistent", 1) != 0) {
      return "chdir/setenv: " + test::errno_text(errno);
    }
    std::string problems;
    if (const std::string found = find_program("aicactl-planted"); !found.empty()) {
      problems += "find_program found " + found + "\n";
    }
    auto run = run_program({"aicactl-planted"});
    if (run) {
      problems += "run_program ran the planted program: " + run->out;
    } else if (run.error().code != ENOENT) {
      problems += "expected ENOENT, got " + run.error().message() + "\n";
    }
    return problems;
  });
  EXPECT_TRUE(outcome.ok()) << outcome.message;
}

// Root never runs a program from a directory the caller put in PATH, even an absolute one, and
// a helper sees none of the caller's environment: only the fixed PATH, HOME and locale.
TEST(FindProgram, OnlyTheSecurePathAndACleanEnvironment) {
  const test::TempDir tmp;
  test::make_dir(tmp.sub("bin"));
  for (const char* name : {"aicactl-planted", "env"}) {
    test::write_text(tmp.sub(std::string("bin/") + name), "#!/bin/sh\necho planted\n", 0755);
    ASSERT_EQ(::chmod(tmp.sub(std::string("bin/") + name).c_str(), 0755), 0);
  }
  const test::ChildOutcome outcome = test::run_in_child([&]() -> std::string {
    const std::string path = tmp.sub("bin") + ":/usr/bin:/bin";
    if (::setenv("PATH", path.c_str(), 1) != 0 || ::setenv("AICACTL_TEST_LEAK", "1", 1) != 0 ||
        ::setenv("LD_PRELOAD", "/nonexistent.so", 1) != 0) {
      return "setenv: " + test::errno_text(errno);
    }
    std::string problems;
    if (const std::string found = find_program("aicactl-planted"); !found.empty()) {
      problems += "find_program found " + found + "\n";
    }
    if (const std::string env = find_program("env"); env.starts_with(tmp.path())) {
      problems += "find_program chose the planted " + env + "\n";
    }
    auto run = run_program({"env"}, {"EXTRA=1"});
    if (!run) {
      return problems + "env: " + run.error().message();
    }
    std::vector<std::string> lines;
    std::istringstream in(run->out);
    for (std::string line; std::getline(in, line);) {
      if (!line.starts_with("HOME=")) {
        lines.push_back(line);
      }
    }
    std::sort(lines.begin(), lines.end());
    const std::vector<std::string> want{"EXTRA=1", "LC_ALL=C.UTF-8", std::string("PATH=") + kSecurePath};
    if (lines != want) {
      problems += "the helper's environment was:\n" + run->out;
    }
    return problems;
  });
  EXPECT_TRUE(outcome.ok()) << outcome.message;
}

TEST(FindProgram, AlsoInAcceptsOnlyARootOnlyDirectory) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "needs root (root-owned directories)";
  }
  const test::TempDir tmp;
  test::make_dir(tmp.sub("bin"), 0755);
  test::write_text(tmp.sub("bin/aicactl-tool"), "#!/bin/sh\n", 0755);
  ASSERT_EQ(::chmod(tmp.sub("bin/aicactl-tool").c_str(), 0755), 0);
  EXPECT_EQ(find_program("aicactl-tool"), "") << "not in the secure path";
  // TempDir lives below /tmp (sticky, world-writable): not root-only on the way
  EXPECT_EQ(find_program_also_in("aicactl-tool", tmp.sub("bin")), "");
  EXPECT_EQ(find_program_also_in("sh", tmp.sub("bin")), find_program("sh")) << "the secure path comes first";
}

}  // namespace
}  // namespace aicactl::os
