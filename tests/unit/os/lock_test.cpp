// SPDX-License-Identifier: Apache-2.0
#include "aicactl/os/lock.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>

#include "support/test_support.hpp"

namespace aicactl::os {
namespace {

using test::ChildOutcome;
using test::lstat_or_throw;
using test::make_dir;
using test::make_symlink;
using test::run_in_child;
using test::TempDir;

// Another process tries to take the lock without waiting; returns "" when it got EWOULDBLOCK.
std::string expect_busy_in_child(const std::string& dir) {
  const ChildOutcome outcome = run_in_child([&]() -> std::string {
    auto lock = ProcessLock::acquire(dir, LockWait::no);
    if (lock) {
      return "a second process got the lock while it was held";
    }
    if (lock.error().code != EWOULDBLOCK) {
      return "expected EWOULDBLOCK, got: " + lock.error().message();
    }
    return "";
  });
  return outcome.message;
}

// A child that takes the lock, says so through a pipe, and holds it until it is killed or, with
// `release_after`, until that time has passed.
class LockHolder {
 public:
  explicit LockHolder(const std::string& dir, std::chrono::milliseconds release_after = {}) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
      test::throw_errno("pipe2");
    }
    pid_ = ::fork();
    if (pid_ < 0) {
      test::throw_errno("fork");
    }
    if (pid_ == 0) {
      ::close(fds[0]);
      auto lock = ProcessLock::acquire(dir, LockWait::no);
      const char ok = lock ? 'y' : 'n';
      (void)!::write(fds[1], &ok, 1);
      if (release_after.count() > 0) {
        ::usleep(static_cast<useconds_t>(release_after.count() * 1000));
        ::_exit(0);
      }
      for (;;) {
        ::pause();
      }
    }
    ::close(fds[1]);
    char got = 0;
    locked_ = ::read(fds[0], &got, 1) == 1 && got == 'y';
    ::close(fds[0]);
  }
  LockHolder(const LockHolder&) = delete;
  LockHolder& operator=(const LockHolder&) = delete;
  ~LockHolder() { kill(); }

  [[nodiscard]] bool locked() const { return locked_; }
  [[nodiscard]] pid_t pid() const { return pid_; }
  void kill() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
    }
  }

 private:
  pid_t pid_ = -1;
  bool locked_ = false;
};

class Lock : public ::testing::Test {
 protected:
  void SetUp() override {
    // The lock insists on a root-owned directory, which only root can make.
    AICACTL_REQUIRE_ROOT();
    dir_ = tmp_.sub("run-aicactl");
  }
  TempDir tmp_;
  std::string dir_;
};

TEST_F(Lock, CreatesAPrivateDirectoryAndLockFile) {
  const test::ScopedUmask umask(0);
  auto lock = ProcessLock::acquire(dir_, LockWait::no);
  ASSERT_TRUE(lock.has_value()) << lock.error().message();
  const struct stat dir = lstat_or_throw(dir_);
  EXPECT_TRUE(S_ISDIR(dir.st_mode));
  EXPECT_EQ(dir.st_mode & 07777, 0700U);
  EXPECT_EQ(dir.st_uid, 0U);
  const struct stat file = lstat_or_throw(dir_ + "/lock");
  EXPECT_TRUE(S_ISREG(file.st_mode));
  EXPECT_EQ(file.st_mode & 077, 0U);
}

TEST_F(Lock, AnotherProcessCannotTakeItWhileHeld) {
  std::optional<Result<ProcessLock>> lock(ProcessLock::acquire(dir_, LockWait::no));
  ASSERT_TRUE(lock->has_value()) << (*lock).error().message();
  EXPECT_EQ(expect_busy_in_child(dir_), "");
  // flock belongs to the open file, so a second acquire in this process is refused as well.
  auto again = ProcessLock::acquire(dir_, LockWait::no);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, EWOULDBLOCK);

  lock.reset();
  const ChildOutcome after = run_in_child([&]() -> std::string {
    auto taken = ProcessLock::acquire(dir_, LockWait::no);
    return taken ? "" : "not free after release: " + taken.error().message();
  });
  EXPECT_TRUE(after.ok()) << after.message;
}

TEST_F(Lock, TheLockFileIsReusedNotReplaced) {
  ino_t first = 0;
  {
    auto lock = ProcessLock::acquire(dir_, LockWait::no);
    ASSERT_TRUE(lock.has_value());
    first = lstat_or_throw(dir_ + "/lock").st_ino;
  }
  auto lock = ProcessLock::acquire(dir_, LockWait::no);
  ASSERT_TRUE(lock.has_value());
  EXPECT_EQ(lstat_or_throw(dir_ + "/lock").st_ino, first);
}

TEST_F(Lock, AKilledHolderReleasesIt) {
  LockHolder holder(dir_);
  ASSERT_TRUE(holder.locked());
  EXPECT_EQ(expect_busy_in_child(dir_), "");
  holder.kill();
  auto lock = ProcessLock::acquire(dir_, LockWait::no);
  EXPECT_TRUE(lock.has_value()) << lock.error().message();
}

TEST_F(Lock, WaitingBlocksUntilTheHolderIsGone) {
  LockHolder holder(dir_, std::chrono::milliseconds(400));
  ASSERT_TRUE(holder.locked());
  const auto start = std::chrono::steady_clock::now();
  auto lock = ProcessLock::acquire(dir_, LockWait::yes);
  const auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(lock.has_value()) << lock.error().message();
  EXPECT_GE(waited, std::chrono::milliseconds(200)) << "the lock was taken while the holder still had it";
}

// The waiter is told once who holds the lock (pid and command line from /proc) and gives up
// with EWOULDBLOCK after the wait; with the holder gone it takes the lock at once.
TEST_F(Lock, WaitingWithinATimeSaysWhoHoldsItAndGivesUp) {
  LockHolder holder(dir_);
  ASSERT_TRUE(holder.locked());
  int told = 0;
  std::string who;
  const auto start = std::chrono::steady_clock::now();
  auto lock = ProcessLock::acquire_within(dir_, std::chrono::milliseconds(300), [&](const std::string& h) {
    ++told;
    who = h;
  });
  const auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(lock.has_value());
  EXPECT_EQ(lock.error().code, EWOULDBLOCK);
  EXPECT_GE(waited, std::chrono::milliseconds(300));
  EXPECT_LT(waited, std::chrono::seconds(5));
  EXPECT_EQ(told, 1);
  EXPECT_TRUE(who.starts_with("pid " + std::to_string(holder.pid()) + " (")) << who;
  EXPECT_NE(who.find("unit_tests"), std::string::npos) << who;

  holder.kill();
  told = 0;
  auto taken = ProcessLock::acquire_within(dir_, std::chrono::milliseconds(0), [&](const std::string&) { ++told; });
  EXPECT_TRUE(taken.has_value()) << taken.error().message();
  EXPECT_EQ(told, 0);
}

TEST_F(Lock, RefusesAWorldOrGroupWritableDirectory) {
  for (const mode_t mode : {mode_t{0777}, mode_t{0770}, mode_t{01777}, mode_t{0702}}) {
    make_dir(dir_, 0700);
    ASSERT_EQ(::chmod(dir_.c_str(), mode), 0);
    auto lock = ProcessLock::acquire(dir_, LockWait::no);
    ASSERT_FALSE(lock.has_value()) << "mode " << std::oct << mode;
    EXPECT_EQ(lock.error().code, EPERM);
    EXPECT_FALSE(test::exists_nofollow(dir_ + "/lock")) << "a lock file was made in an unsafe directory";
    ASSERT_EQ(::rmdir(dir_.c_str()), 0);
  }
}

TEST_F(Lock, RefusesADirectoryNotOwnedByRoot) {
  make_dir(dir_, 0700);
  ASSERT_EQ(::chown(dir_.c_str(), 65534, 65534), 0);
  auto lock = ProcessLock::acquire(dir_, LockWait::no);
  ASSERT_FALSE(lock.has_value());
  EXPECT_EQ(lock.error().code, EPERM);
}

TEST_F(Lock, RefusesASymlinkedDirectory) {
  make_dir(tmp_.sub("elsewhere"), 0700);
  make_symlink(tmp_.sub("elsewhere"), dir_);
  auto lock = ProcessLock::acquire(dir_, LockWait::no);
  ASSERT_FALSE(lock.has_value());
  EXPECT_FALSE(test::exists_nofollow(tmp_.sub("elsewhere/lock"))) << "the lock followed the symlink";
  // Also through a symlinked parent.
  make_dir(tmp_.sub("real"), 0755);
  make_symlink(tmp_.sub("real"), tmp_.sub("parent_link"));
  auto below = ProcessLock::acquire(tmp_.sub("parent_link/aicactl"), LockWait::no);
  ASSERT_FALSE(below.has_value());
  EXPECT_FALSE(test::exists_nofollow(tmp_.sub("real/aicactl")));
}

TEST_F(Lock, RefusesASymlinkedLockFile) {
  make_dir(dir_, 0700);
  test::write_text(tmp_.sub("target"), "");
  make_symlink(tmp_.sub("target"), dir_ + "/lock");
  auto lock = ProcessLock::acquire(dir_, LockWait::no);
  ASSERT_FALSE(lock.has_value());
  EXPECT_EQ(lock.error().code, ELOOP);
}

TEST_F(Lock, FailsWhenTheParentIsMissing) {
  auto lock = ProcessLock::acquire(tmp_.sub("missing/aicactl"), LockWait::no);
  ASSERT_FALSE(lock.has_value());
  EXPECT_EQ(lock.error().code, ENOENT);
}

}  // namespace
}  // namespace aicactl::os
