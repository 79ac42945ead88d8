// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/sessions/store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <set>

#include "aicactl/core/plan/errors.hpp"
#include "support/test_support.hpp"

namespace aicactl::core::sessions {
namespace {

constexpr std::int64_t kNow = 1'800'000'000;  // 2027-01-15T08:00:00Z

int code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return static_cast<int>(e.code());
  }
  return 0;
}

TEST(SessionStore, CreatesTheSchemaInWalMode) {
  const test::TempDir tmp;
  const Store store = Store::open(tmp.sub("sessions.db"));
  EXPECT_EQ(store.schema_version(), kSchemaVersion);
  sqlite3* db = nullptr;
  ASSERT_EQ(::sqlite3_open(tmp.sub("sessions.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(::sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(::sqlite3_step(st), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(::sqlite3_column_text(st, 0)), "wal");
  ::sqlite3_finalize(st);
  ::sqlite3_close(db);
  // Opening again keeps the data.
  {
    Store again = Store::open(tmp.sub("sessions.db"));
    (void)again.allocate({"alice", {}, kNow, 60, "", 0, 0, ""}, {10000, 10010}, 0);
  }
  EXPECT_EQ(Store::open(tmp.sub("sessions.db")).list().size(), 1U);
}

TEST(SessionStore, RefusesANewerSchemaAndACorruptFile) {
  const test::TempDir tmp;
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(::sqlite3_open(tmp.sub("new.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(::sqlite3_exec(db, "PRAGMA user_version = 9", nullptr, nullptr, nullptr), SQLITE_OK);
    ::sqlite3_close(db);
  }
  EXPECT_EQ(code_of([&] { (void)Store::open(tmp.sub("new.db")); }), 65);
  std::ofstream(tmp.sub("bad.db")) << std::string(8192, 'x');
  EXPECT_EQ(code_of([&] { (void)Store::open(tmp.sub("bad.db")); }), 65);
}

TEST(SessionStore, AllocatesLowestFreePortAndFreesOnRemove) {
  const test::TempDir tmp;
  Store store = Store::open(tmp.sub("s.db"));
  const Session a = store.allocate({"alice", {}, kNow, 3600, "", 0, 0, ""}, {10000, 10002}, 0);
  const Session b = store.allocate({"bob", {}, kNow, 3600, "", 0, 0, ""}, {10000, 10002}, 0);
  EXPECT_EQ(a.port, 10000U);
  EXPECT_EQ(b.port, 10001U);
  EXPECT_EQ(a.expires, kNow + 3600);
  EXPECT_NE(a.id, b.id);
  EXPECT_TRUE(store.remove(a.id));
  EXPECT_FALSE(store.remove(a.id));
  EXPECT_EQ(store.allocate({"carol", {}, kNow, 60, "", 0, 0, ""}, {10000, 10002}, 0).port, 10000U);
}

TEST(SessionStore, PortExhaustionIsAClearErrorAndRecordsNothing) {
  const test::TempDir tmp;
  Store store = Store::open(tmp.sub("s.db"));
  (void)store.allocate({"alice", {}, kNow, 60, "", 0, 0, ""}, {10000, 10001}, 0);
  (void)store.allocate({"alice", {}, kNow, 60, "", 0, 0, ""}, {10000, 10001}, 0);
  try {
    (void)store.allocate({"bob", {}, kNow, 60, "", 0, 0, ""}, {10000, 10001}, 0);
    FAIL() << "a third port out of two";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "No free port in 10000-10001 ([sessions] ports): every one is held by a session");
    EXPECT_EQ(static_cast<int>(e.code()), 1);
  }
  EXPECT_EQ(store.list().size(), 2U);
}

TEST(SessionStore, ASliceIsNeverGivenTwice) {
  const test::TempDir tmp;
  Store store = Store::open(tmp.sub("s.db"));
  const std::vector<std::string> migs{"MIG-a", "MIG-b"};
  const Session a = store.allocate({"alice", migs, kNow, 60, "", 0, 0, ""}, {10000, 10010}, 0);
  const Session b = store.allocate({"bob", migs, kNow, 60, "", 0, 0, ""}, {10000, 10010}, 0);
  EXPECT_EQ(a.slice, std::optional<std::string>("MIG-a"));
  EXPECT_EQ(b.slice, std::optional<std::string>("MIG-b"));
  EXPECT_EQ(code_of([&] { (void)store.allocate({"carol", migs, kNow, 60, "", 0, 0, ""}, {10000, 10010}, 0); }), 1);
  EXPECT_EQ(code_of([&] { (void)store.allocate({"carol", {"MIG-a"}, kNow, 60, "", 0, 0, ""}, {10000, 10010}, 0); }), 1);
  EXPECT_EQ(store.list().size(), 2U);
  ASSERT_TRUE(store.remove(a.id));
  EXPECT_EQ(store.allocate({"carol", migs, kNow, 60, "", 0, 0, ""}, {10000, 10010}, 0).slice,
            std::optional<std::string>("MIG-a"));
}

TEST(SessionStore, MaxPerUser) {
  const test::TempDir tmp;
  Store store = Store::open(tmp.sub("s.db"));
  (void)store.allocate({"alice", {}, kNow, 60, "", 0, 0, ""}, {10000, 10010}, 1);
  EXPECT_EQ(code_of([&] { (void)store.allocate({"alice", {}, kNow, 60, "", 0, 0, ""}, {10000, 10010}, 1); }), 65);
  EXPECT_EQ(code_of([&] { (void)store.allocate({"bob", {}, kNow, 60, "", 0, 0, ""}, {10000, 10010}, 1); }), 0);
}

TEST(SessionStore, ExpiryIsUtcEpochSeconds) {
  const test::TempDir tmp;
  Store store = Store::open(tmp.sub("s.db"));
  const Session a = store.allocate({"alice", {}, kNow, 60, "", 0, 0, ""}, {10000, 10010}, 0);
  const Session b = store.allocate({"bob", {}, kNow, 120, "", 0, 0, ""}, {10000, 10010}, 0);
  EXPECT_TRUE(store.expired(kNow + 59).empty());
  ASSERT_EQ(store.expired(kNow + 60).size(), 1U);
  EXPECT_EQ(store.expired(kNow + 60)[0].id, a.id);
  store.set_expires(a.id, kNow + 1000);
  EXPECT_EQ(store.expired(kNow + 200).size(), 1U);
  EXPECT_EQ(store.expired(kNow + 200)[0].id, b.id);
  EXPECT_EQ(utc_text(kNow), "2027-01-15T08:00:00Z");
  ::setenv("TZ", "America/New_York", 1);
  ::tzset();
  EXPECT_EQ(utc_text(kNow), "2027-01-15T08:00:00Z");  // never local time
  ::unsetenv("TZ");
  ::tzset();
}

TEST(SessionStore, ParsesTtlAndPortRanges) {
  EXPECT_EQ(parse_ttl("90s"), 90);
  EXPECT_EQ(parse_ttl("30m"), 1800);
  EXPECT_EQ(parse_ttl("8h"), 8 * 3600);
  EXPECT_EQ(parse_ttl("2d"), 2 * 86400);
  for (const char* bad : {"", "h", "0h", "-1h", "8", "8x", "1.5h", "99999d"}) {
    EXPECT_EQ(code_of([&] { (void)parse_ttl(bad); }), 64) << bad;
  }
  const PortRange r = parse_port_range("10000-20000", "[sessions] ports");
  EXPECT_EQ(r.first, 10000U);
  EXPECT_EQ(r.last, 20000U);
  for (const char* bad : {"", "80-90", "20000-10000", "10000-70000", "a-b", "10000-"}) {
    EXPECT_EQ(code_of([&] { (void)parse_port_range(bad, "ports"); }), 65) << bad;
  }
}

// Eight processes allocate at once: eight distinct ports, none lost (BEGIN IMMEDIATE + busy timeout).
TEST(SessionStore, ConcurrentCreatesGetDistinctPorts) {
  const test::TempDir tmp;
  const std::string path = tmp.sub("s.db");
  (void)Store::open(path);
  constexpr int kProcs = 8;
  std::vector<pid_t> kids;
  for (int i = 0; i < kProcs; ++i) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int rc = 0;
      try {
        Store s = Store::open(path);
        (void)s.allocate({"u" + std::to_string(i), {"MIG-x", "MIG-y"}, kNow, 60, "", 0, 0, ""}, {10000, 10100}, 0);
      } catch (const Error& e) {
        rc = static_cast<int>(e.code()) == 1 ? 10 : 20;  // 10: no slice left (expected for 6 of 8)
      } catch (...) {
        rc = 30;
      }
      ::_exit(rc);
    }
    kids.push_back(pid);
  }
  int no_slice = 0;
  for (const pid_t k : kids) {
    int status = 0;
    ASSERT_EQ(::waitpid(k, &status, 0), k);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_TRUE(WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 10) << WEXITSTATUS(status);
    no_slice += WEXITSTATUS(status) == 10 ? 1 : 0;
  }
  EXPECT_EQ(no_slice, kProcs - 2);
  const auto all = Store::open(path).list();
  ASSERT_EQ(all.size(), 2U);
  EXPECT_NE(all[0].slice, all[1].slice);
  EXPECT_NE(all[0].port, all[1].port);
}

TEST(SessionStore, ConcurrentCreatesWithoutGpuGetEightPorts) {
  const test::TempDir tmp;
  const std::string path = tmp.sub("s.db");
  (void)Store::open(path);
  std::vector<pid_t> kids;
  for (int i = 0; i < 8; ++i) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      try {
        Store s = Store::open(path);
        (void)s.allocate({"u", {}, kNow, 60, "", 0, 0, ""}, {10000, 10100}, 0);
      } catch (...) {
        ::_exit(1);
      }
      ::_exit(0);
    }
    kids.push_back(pid);
  }
  for (const pid_t k : kids) {
    int status = 0;
    ASSERT_EQ(::waitpid(k, &status, 0), k);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  std::set<unsigned> ports;
  for (const auto& s : Store::open(path).list()) {
    ports.insert(s.port);
  }
  EXPECT_EQ(ports.size(), 8U);
}

// The DDL of schema version 1, as aicactl first shipped it.
constexpr const char* kV1 = R"(
CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  user TEXT NOT NULL,
  port INTEGER NOT NULL UNIQUE,
  slice TEXT UNIQUE,
  container TEXT NOT NULL DEFAULT '',
  created INTEGER NOT NULL,
  expires INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user);
CREATE INDEX sessions_expires ON sessions(expires);
PRAGMA user_version = 1;
INSERT INTO sessions VALUES ('0123456789ab', 'alice', 10001, 'MIG-1', 'c0ffee', 1800000000, 1800028800);
)";

TEST(SessionStore, UpgradesAVersion1DatabaseKeepingItsRows) {
  const test::TempDir tmp;
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(::sqlite3_open(tmp.sub("v1.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(::sqlite3_exec(db, kV1, nullptr, nullptr, nullptr), SQLITE_OK);
    ::sqlite3_close(db);
  }
  Store store = Store::open(tmp.sub("v1.db"));
  EXPECT_EQ(store.schema_version(), 2);
  const auto old = store.find("0123456789ab");
  ASSERT_TRUE(old);
  EXPECT_EQ(old->user, "alice");
  EXPECT_EQ(old->port, 10001U);
  EXPECT_EQ(old->slice, "MIG-1");
  EXPECT_EQ(old->container, "c0ffee");
  EXPECT_EQ(old->expires, 1800028800);
  EXPECT_EQ(old->image, "");
  EXPECT_EQ(old->gpu_mode, "");
  // The old row still holds its port and slice; a new row records what re-creating it needs.
  const Session s = store.allocate(
      {"bob", {"MIG-1", "MIG-2"}, kNow, 60, "lab/session:1", 2'000'000'000, 1LL << 30, "runtime"}, {10001, 10002}, 0);
  EXPECT_EQ(s.port, 10002U);
  EXPECT_EQ(s.slice, "MIG-2");
  const auto back = store.find(s.id);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->image, "lab/session:1");
  EXPECT_EQ(back->nano_cpus, 2'000'000'000);
  EXPECT_EQ(back->memory, 1LL << 30);
  EXPECT_EQ(back->gpu_mode, "runtime");
  EXPECT_TRUE(valid_session_id(s.id)) << s.id;
  // Opening it again changes nothing.
  EXPECT_EQ(Store::open(tmp.sub("v1.db")).list().size(), 2U);
}

TEST(SessionStore, SessionIds) {
  EXPECT_TRUE(valid_session_id("0123456789ab"));
  EXPECT_FALSE(valid_session_id("0123456789AB"));
  EXPECT_FALSE(valid_session_id("0123456789a"));
  EXPECT_FALSE(valid_session_id("../../etc/xx"));
  EXPECT_FALSE(valid_session_id(""));
}

}  // namespace
}  // namespace aicactl::core::sessions
