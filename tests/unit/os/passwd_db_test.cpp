// SPDX-License-Identifier: Apache-2.0
// The batched account-file editor on a temp "etc": ids and names already taken are refused,
// everything else lands once, modes/owners and backups are kept, and the lock is honored.
#include "aicactl/os/passwd_db.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "support/test_support.hpp"

namespace aicactl::os {
namespace {

using test::read_text;
using test::write_text;

class PasswdDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    write_text(etc("passwd"), "root:x:0:0:root:/root:/bin/bash\nold:x:1000:1000::/home/old:/bin/sh\n");
    write_text(etc("shadow"), "root:*:19000:0:99999:7:::\nold:!:19000:0:99999:7:::\n", 0640);
    write_text(etc("group"), "root:x:0:\nold:x:1000:\nusers:x:100:old\n");
    write_text(etc("gshadow"), "root:*::\nold:!::\nusers:*::old\n", 0640);
    write_text(etc("login.defs"), "# comment\nPASS_MAX_DAYS\t180\nPASS_MIN_DAYS 1\nPASS_WARN_AGE   5\n");
  }
  std::string etc(const std::string& name) const { return dir_.path() + "/" + name; }
  test::TempDir dir_;
};

TEST_F(PasswdDbTest, AddsGroupsAccountsAndMembershipsInOneBatch) {
  AccountBatch batch;
  batch.groups = {{"alice", 1001}, {"gpu-users", 1500}};
  batch.accounts = {{"alice", 1001, 1001, "/home/alice", "/bin/bash", 20000}};
  batch.memberships = {{"gpu-users", "alice"}, {"users", "alice"}, {"gpu-users", "old"}};
  auto out = apply_account_batch(batch, dir_.path(), 20400);
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(out->groups_created, (std::vector<std::string>{"alice", "gpu-users"}));
  EXPECT_EQ(out->accounts_created, std::vector<std::string>{"alice"});
  EXPECT_EQ(out->memberships_added.size(), 3U);
  EXPECT_TRUE(out->refused.empty());
  EXPECT_EQ(read_text(etc("passwd")),
            "root:x:0:0:root:/root:/bin/bash\nold:x:1000:1000::/home/old:/bin/sh\nalice:x:1001:1001::/home/alice:/bin/"
            "bash\n");
  EXPECT_EQ(read_text(etc("shadow")),
            "root:*:19000:0:99999:7:::\nold:!:19000:0:99999:7:::\nalice:!:20400:1:180:5::20000:\n");
  EXPECT_EQ(read_text(etc("group")),
            "root:x:0:\nold:x:1000:\nusers:x:100:old,alice\nalice:x:1001:\ngpu-users:x:1500:alice,old\n");
  EXPECT_EQ(read_text(etc("gshadow")), "root:*::\nold:!::\nusers:*::old,alice\nalice:!::\ngpu-users:!::alice,old\n");
  // the previous content is kept beside each file, as shadow-utils does
  EXPECT_EQ(read_text(etc("passwd-")), "root:x:0:0:root:/root:/bin/bash\nold:x:1000:1000::/home/old:/bin/sh\n");
  EXPECT_EQ(test::lstat_or_throw(etc("shadow")).st_mode & 07777, 0640U);
  EXPECT_EQ(test::lstat_or_throw(etc("shadow-")).st_mode & 07777, 0640U);
  EXPECT_EQ(test::lstat_or_throw(etc("passwd")).st_mode & 07777, 0644U);

  // the same batch again changes nothing
  auto again = apply_account_batch(batch, dir_.path(), 20401);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->groups_created.empty());
  EXPECT_TRUE(again->accounts_created.empty());
  EXPECT_TRUE(again->memberships_added.empty());
  EXPECT_TRUE(again->refused.empty());
  EXPECT_NE(read_text(etc("shadow")).find("alice:!:20400:"), std::string::npos);
}

TEST_F(PasswdDbTest, RefusesIdsAndNamesHeldByOthers) {
  AccountBatch batch;
  batch.groups = {{"bob", 1000}, {"old", 1234}, {"bad:name", 1600}};
  batch.accounts = {{"bob", 1000, 100, "/home/bob", "/bin/bash", std::nullopt},
                    {"old", 1777, 100, "/home/old", "/bin/bash", std::nullopt},
                    {"carol", 1002, 4242, "/home/carol", "/bin/bash", std::nullopt},
                    {"dave", 1003, 100, "/home/dave\nroot::0:0::/:/bin/sh", "/bin/bash", std::nullopt}};
  batch.memberships = {{"nosuchgroup", "old"}};
  const std::string before_passwd = read_text(etc("passwd"));
  const std::string before_group = read_text(etc("group"));
  auto out = apply_account_batch(batch, dir_.path(), 20400);
  ASSERT_TRUE(out);
  EXPECT_TRUE(out->groups_created.empty());
  EXPECT_TRUE(out->accounts_created.empty());
  EXPECT_EQ(out->refused.size(), 8U);
  EXPECT_EQ(read_text(etc("passwd")), before_passwd);
  EXPECT_EQ(read_text(etc("group")), before_group);
}

TEST_F(PasswdDbTest, WaitsForTheAccountFileLockAndGivesUp) {
  // Another process (useradd, sysusers, lckpwdf) holds the lock: nothing is written.
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const int fd = ::open(etc(".pwd.lock").c_str(), O_WRONLY | O_CREAT, 0600);
    struct flock fl {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (fd < 0 || ::fcntl(fd, F_SETLK, &fl) != 0) {
      ::_exit(1);
    }
    (void)!::write(ready[1], "x", 1);
    ::sleep(3);
    ::_exit(0);
  }
  char c = 0;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  AccountBatch batch;
  batch.groups = {{"alice", 1001}};
  const std::string before = read_text(etc("group"));
  auto out = apply_account_batch(batch, dir_.path(), 20400, 1);
  EXPECT_FALSE(out);
  EXPECT_EQ(read_text(etc("group")), before);
  int status = 0;
  ::waitpid(child, &status, 0);
  ::close(ready[0]);
  ::close(ready[1]);
  // once it is released the batch goes through
  auto later = apply_account_batch(batch, dir_.path(), 20400, 1);
  ASSERT_TRUE(later);
  EXPECT_EQ(later->groups_created, std::vector<std::string>{"alice"});
}

TEST_F(PasswdDbTest, CompletesAHalfWrittenAccountAndGroup) {
  // What an interrupted useradd/groupadd leaves: passwd and group written, shadow and gshadow not.
  write_text(etc("passwd"), read_text(etc("passwd")) + "alice:x:1001:1001::/home/alice:/bin/bash\n");
  write_text(etc("group"), read_text(etc("group")) + "alice:x:1001:\n");
  auto local = read_local_accounts(dir_.path());
  ASSERT_TRUE(local) << local.error().message();
  EXPECT_TRUE(local->passwd.contains("alice"));
  EXPECT_FALSE(local->shadow.contains("alice"));
  EXPECT_TRUE(local->group.contains("alice"));
  EXPECT_FALSE(local->gshadow.contains("alice"));
  EXPECT_TRUE(local->has_shadow);

  AccountBatch batch;
  batch.groups = {{"alice", 1001}, {"old", 1000}};
  batch.accounts = {{"alice", 1001, 1001, "/home/alice", "/bin/bash", std::nullopt},
                    {"old", 1000, 1000, "/home/old", "/bin/sh", std::nullopt}};
  auto out = apply_account_batch(batch, dir_.path(), 20400);
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_TRUE(out->groups_created.empty());
  EXPECT_TRUE(out->accounts_created.empty());
  EXPECT_EQ(out->completed, (std::vector<std::string>{"gshadow entry of group 'alice'", "shadow entry of 'alice'"}));
  EXPECT_EQ(read_text(etc("shadow")),
            "root:*:19000:0:99999:7:::\nold:!:19000:0:99999:7:::\nalice:!:20400:1:180:5:::\n");
  EXPECT_EQ(read_text(etc("gshadow")), "root:*::\nold:!::\nusers:*::old\nalice:!::\n");
  auto again = apply_account_batch(batch, dir_.path(), 20401);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->completed.empty());
}

TEST_F(PasswdDbTest, LeavesNoTempFilesBehind) {
  AccountBatch batch;
  batch.groups = {{"alice", 1001}};
  batch.accounts = {{"alice", 1001, 1001, "/home/alice", "/bin/bash", std::nullopt}};
  ASSERT_TRUE(apply_account_batch(batch, dir_.path(), 20400));
  const int fd = test::open_dir_nofollow(AT_FDCWD, dir_.path());
  auto names = test::list_names(fd);
  ::close(fd);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{".pwd.lock", "group", "group-", "gshadow", "gshadow-", "login.defs",
                                             "passwd", "passwd-", "shadow", "shadow-"}));
}

TEST(ShadowDefaults, MissingFileGivesUseraddDefaults) {
  const auto d = read_shadow_defaults("/nonexistent/login.defs");
  EXPECT_EQ(d.min_days, 0);
  EXPECT_EQ(d.max_days, 99999);
  EXPECT_EQ(d.warn_days, 7);
}

}  // namespace
}  // namespace aicactl::os
