// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/sessions/store.hpp"

#include <sqlite3.h>
#include <sys/random.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <ctime>
#include <set>
#include <utility>

#include "aicactl/core/plan/errors.hpp"

namespace aicactl::core::sessions {
namespace {

constexpr int kBusyTimeoutMs = 5000;
constexpr unsigned kMinPort = 1025;
constexpr unsigned kMaxPort = 65535;
constexpr std::int64_t kMinute = 60;
constexpr std::int64_t kHour = 60 * kMinute;
constexpr std::int64_t kDay = 24 * kHour;
constexpr std::size_t kIdBytes = 6;

// Version 1 as it was first shipped; a new database is made as v1 and upgraded like an old one.
constexpr const char* kSchemaV1 = R"(
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
)";

constexpr const char* kUpgradeV2 = R"(
ALTER TABLE sessions ADD COLUMN image TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN nano_cpus INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN memory INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN gpu_mode TEXT NOT NULL DEFAULT '';
PRAGMA user_version = 2;
)";

std::optional<std::uint64_t> number(std::string_view s) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) {
    return std::nullopt;
  }
  return v;
}

[[noreturn]] void fail(sqlite3* db, int rc, const std::string& path, const std::string& doing) {
  const std::string why = db != nullptr ? ::sqlite3_errmsg(db) : ::sqlite3_errstr(rc);
  const int primary = rc & 0xff;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
    throw Error(ExitCode::temp_failure, "Session database '" + path + "' is locked (" + doing + "): " + why);
  }
  if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) {
    throw Error(ExitCode::bad_data, "Session database '" + path + "' is corrupt (" + doing + "): " + why);
  }
  throw Error(ExitCode::failure, "Session database '" + path + "': failed to " + doing + ": " + why);
}

// One prepared statement, finalised on scope exit.
class Statement {
 public:
  Statement(sqlite3* db, const std::string& path, const char* sql) : db_(db), path_(path) {
    if (const int rc = ::sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr); rc != SQLITE_OK) {
      fail(db, rc, path, "prepare a query");
    }
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement() { ::sqlite3_finalize(stmt_); }

  Statement& bind(int i, const std::string& v) {
    ::sqlite3_bind_text(stmt_, i, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& bind(int i, std::int64_t v) {
    ::sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  Statement& bind_null(int i) {
    ::sqlite3_bind_null(stmt_, i);
    return *this;
  }
  // true: a row is there; false: done.
  bool step(const char* doing) {
    const int rc = ::sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) {
      return true;
    }
    if (rc != SQLITE_DONE) {
      fail(db_, rc, path_, doing);
    }
    return false;
  }
  [[nodiscard]] std::int64_t integer(int col) const { return ::sqlite3_column_int64(stmt_, col); }
  [[nodiscard]] std::optional<std::string> text(int col) const {
    const auto* p = ::sqlite3_column_text(stmt_, col);
    if (p == nullptr) {
      return std::nullopt;
    }
    return std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(::sqlite3_column_bytes(stmt_, col)));
  }

 private:
  sqlite3* db_;
  const std::string& path_;
  sqlite3_stmt* stmt_ = nullptr;
};

void exec(sqlite3* db, const std::string& path, const char* sql, const char* doing) {
  if (const int rc = ::sqlite3_exec(db, sql, nullptr, nullptr, nullptr); rc != SQLITE_OK) {
    fail(db, rc, path, doing);
  }
}

constexpr const char* kColumns =
    "SELECT id, user, port, slice, container, created, expires, image, nano_cpus, memory, gpu_mode FROM sessions ";

Session read_row(const Statement& s) {
  return Session{s.text(0).value_or(""),
                 s.text(1).value_or(""),
                 static_cast<unsigned>(s.integer(2)),
                 s.text(3),
                 s.text(4).value_or(""),
                 s.integer(5),
                 s.integer(6),
                 s.text(7).value_or(""),
                 s.integer(8),
                 s.integer(9),
                 s.text(10).value_or("")};
}

std::string new_id() {
  std::array<unsigned char, kIdBytes> bytes{};
  if (::getrandom(bytes.data(), bytes.size(), 0) != static_cast<ssize_t>(bytes.size())) {
    throw Error(ExitCode::failure, "getrandom failed");
  }
  static constexpr std::string_view kHex = "0123456789abcdef";
  std::string id;
  for (const unsigned char b : bytes) {
    id += kHex[b >> 4U];
    id += kHex[b & 0xfU];
  }
  return id;
}

// Rolls back unless committed.
class Transaction {
 public:
  Transaction(sqlite3* db, const std::string& path) : db_(db), path_(path) {
    exec(db, path, "BEGIN IMMEDIATE", "begin a transaction");
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction() {
    if (!done_) {
      ::sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
  }
  void commit() {
    exec(db_, path_, "COMMIT", "commit");
    done_ = true;
  }

 private:
  sqlite3* db_;
  const std::string& path_;
  bool done_ = false;
};

}  // namespace

bool valid_session_id(std::string_view id) {
  return id.size() == 2 * kIdBytes &&
         std::ranges::all_of(id, [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

PortRange parse_port_range(std::string_view text, const std::string& what) {
  const auto dash = text.find('-');
  const auto first = number(text.substr(0, dash));
  const auto last = dash == std::string_view::npos ? first : number(text.substr(dash + 1));
  if (!first || !last || *first < kMinPort || *last > kMaxPort || *first > *last) {
    throw Error(ExitCode::bad_data,
                "Invalid " + what + " '" + std::string(text) + "': expected FIRST-LAST, ports between 1025 and 65535");
  }
  return PortRange{static_cast<unsigned>(*first), static_cast<unsigned>(*last)};
}

std::int64_t parse_ttl(std::string_view text) {
  std::int64_t unit = 0;
  if (!text.empty()) {
    switch (text.back()) {
      case 's': unit = 1; break;
      case 'm': unit = kMinute; break;
      case 'h': unit = kHour; break;
      case 'd': unit = kDay; break;
      default: break;
    }
  }
  constexpr std::uint64_t kMaxDays = 3650;
  const auto n = unit == 0 ? std::nullopt : number(text.substr(0, text.size() - 1));
  if (!n || *n == 0 || *n * static_cast<std::uint64_t>(unit) > kMaxDays * kDay) {
    throw Error(ExitCode::usage,
                "Invalid TTL '" + std::string(text) + "': expected a positive number and s, m, h or d (e.g. 8h)");
  }
  return static_cast<std::int64_t>(*n) * unit;
}

std::string utc_text(std::int64_t epoch) {
  const std::time_t t = epoch;
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  std::array<char, 32> buf{};
  const std::size_t n = std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return {buf.data(), n};
}

Store Store::open(const std::string& path) {
  sqlite3* db = nullptr;
  const int rc =
      ::sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW, nullptr);
  Store store(db, path);  // closes db on a throw below
  if (rc != SQLITE_OK) {
    fail(db, rc, path, "open");
  }
  ::sqlite3_busy_timeout(db, kBusyTimeoutMs);
  exec(db, path, "PRAGMA journal_mode=WAL", "switch to WAL");
  exec(db, path, "PRAGMA foreign_keys=ON", "set pragmas");
  const int version = store.schema_version();
  if (version < kSchemaVersion) {
    Transaction t(db, path);
    // Another process may have created or upgraded it between our check and our lock.
    const int now = store.schema_version();
    if (now == 0) {
      exec(db, path, kSchemaV1, "create the schema");
    }
    if (now < 2) {
      exec(db, path, kUpgradeV2, "upgrade the schema to version 2");
    }
    t.commit();
  } else if (version > kSchemaVersion) {
    throw Error(ExitCode::bad_data, "Session database '" + path + "' has schema " + std::to_string(version) +
                                        ", newer than this aicactl's " + std::to_string(kSchemaVersion));
  }
  return store;
}

Store::Store(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
Store::Store(Store&& other) noexcept : db_(std::exchange(other.db_, nullptr)), path_(std::move(other.path_)) {}
Store::~Store() {
  if (db_ != nullptr) {
    ::sqlite3_close_v2(db_);
  }
}

int Store::schema_version() const {
  Statement s(db_, path_, "PRAGMA user_version");
  return s.step("read the schema version") ? static_cast<int>(s.integer(0)) : 0;
}

Session Store::allocate(const NewSession& request, PortRange ports, unsigned max_per_user) {
  Transaction t(db_, path_);
  std::set<unsigned> used_ports;
  std::set<std::string> used_slices;
  unsigned mine = 0;
  {
    Statement s(db_, path_, "SELECT port, slice, user FROM sessions");
    while (s.step("read the allocations")) {
      used_ports.insert(static_cast<unsigned>(s.integer(0)));
      if (auto slice = s.text(1)) {
        used_slices.insert(std::move(*slice));
      }
      mine += s.text(2) == request.user ? 1U : 0U;
    }
  }
  if (max_per_user != 0 && mine >= max_per_user) {
    throw Error(ExitCode::bad_data, "User '" + request.user + "' already has " + std::to_string(mine) +
                                        " session(s), the most [sessions] max_per_user allows");
  }
  std::optional<std::string> slice;
  if (!request.slices.empty()) {
    for (const auto& candidate : request.slices) {
      if (!used_slices.contains(candidate)) {
        slice = candidate;
        break;
      }
    }
    if (!slice) {
      throw Error(ExitCode::failure, request.slices.size() == 1
                                         ? "GPU slice '" + request.slices.front() + "' is held by another session"
                                         : "Every matching GPU slice is held by another session");
    }
  }
  std::optional<unsigned> port;
  for (unsigned p = ports.first; p <= ports.last; ++p) {
    if (!used_ports.contains(p)) {
      port = p;
      break;
    }
  }
  if (!port) {
    throw Error(ExitCode::failure, "No free port in " + std::to_string(ports.first) + "-" + std::to_string(ports.last) +
                                       " ([sessions] ports): every one is held by a session");
  }
  Session session{new_id(),
                  request.user,
                  *port,
                  slice,
                  "",
                  request.now,
                  request.now + request.ttl,
                  request.image,
                  request.nano_cpus,
                  request.memory,
                  slice ? request.gpu_mode : std::string()};
  Statement s(db_, path_,
              "INSERT INTO sessions (id, user, port, slice, container, created, expires, image, nano_cpus, memory, "
              "gpu_mode) VALUES (?, ?, ?, ?, '', ?, ?, ?, ?, ?, ?)");
  s.bind(1, session.id).bind(2, session.user).bind(3, static_cast<std::int64_t>(session.port));
  if (slice) {
    s.bind(4, *slice);
  } else {
    s.bind_null(4);
  }
  s.bind(5, session.created).bind(6, session.expires).bind(7, session.image).bind(8, session.nano_cpus);
  s.bind(9, session.memory).bind(10, session.gpu_mode);
  s.step("record the session");
  t.commit();
  return session;
}

void Store::set_container(const std::string& id, const std::string& container) {
  Statement s(db_, path_, "UPDATE sessions SET container = ? WHERE id = ?");
  s.bind(1, container).bind(2, id);
  s.step("record the container");
}

void Store::set_expires(const std::string& id, std::int64_t expires) {
  Statement s(db_, path_, "UPDATE sessions SET expires = ? WHERE id = ?");
  s.bind(1, expires).bind(2, id);
  s.step("change the expiry");
}

bool Store::remove(const std::string& id) {
  Statement s(db_, path_, "DELETE FROM sessions WHERE id = ?");
  s.bind(1, id);
  s.step("remove the session");
  return ::sqlite3_changes(db_) > 0;
}

std::optional<Session> Store::find(const std::string& id) const {
  Statement s(db_, path_, (std::string(kColumns) + "WHERE id = ?").c_str());
  s.bind(1, id);
  if (!s.step("read a session")) {
    return std::nullopt;
  }
  return read_row(s);
}

std::vector<Session> Store::list() const {
  std::vector<Session> out;
  Statement s(db_, path_, (std::string(kColumns) + "ORDER BY created, id").c_str());
  while (s.step("list the sessions")) {
    out.push_back(read_row(s));
  }
  return out;
}

std::vector<Session> Store::expired(std::int64_t now) const {
  std::vector<Session> out;
  Statement s(db_, path_, (std::string(kColumns) + "WHERE expires <= ? ORDER BY expires, id").c_str());
  s.bind(1, now);
  while (s.step("list expired sessions")) {
    out.push_back(read_row(s));
  }
  return out;
}

}  // namespace aicactl::core::sessions
