// SPDX-License-Identifier: Apache-2.0
// The state of GPU sessions: an SQLite database on the data volume
// (/data/system/state/sessions.db; WAL, busy timeout), so a restart, a dockerd restart or a
// re-image loses no session. Ports and GPU slices are allocated inside one BEGIN IMMEDIATE
// transaction (and guarded by unique indexes), so two concurrent creates never get the same port
// or slice. Times are UTC epoch seconds. Errors are core::Error: a locked database exit 75, a
// corrupt or newer one exit 65, an exhausted port range or a taken slice exit 1.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;

namespace aicactl::core::sessions {

// 1: id, user, port, slice, container, times. 2: + image, nano_cpus, memory, gpu_mode (what
// re-creating a session's container needs); a v1 database is upgraded in place when opened.
inline constexpr int kSchemaVersion = 2;

struct PortRange {
  unsigned first = 0;
  unsigned last = 0;
};

// "10000-20000" (1024 < first <= last <= 65535); throws bad_data naming `what` otherwise.
[[nodiscard]] PortRange parse_port_range(std::string_view text, const std::string& what);
// "90s", "30m", "8h", "2d" (a positive number and one unit) in seconds; throws bad usage otherwise.
[[nodiscard]] std::int64_t parse_ttl(std::string_view text);
// An epoch time as ISO 8601 UTC: "2026-11-30T16:00:00Z".
[[nodiscard]] std::string utc_text(std::int64_t epoch);

struct Session {
  std::string id;
  std::string user;
  unsigned port = 0;
  std::optional<std::string> slice;  // GPU or MIG UUID; empty: no GPU
  std::string container;             // engine container id; "" until it is created
  std::int64_t created = 0;
  std::int64_t expires = 0;
  std::string image;
  std::int64_t nano_cpus = 0;  // 0: no limit
  std::int64_t memory = 0;     // bytes; 0: no limit
  std::string gpu_mode;        // "device-requests" or "runtime" ("" without a slice)
};

struct NewSession {
  std::string user;
  std::vector<std::string> slices;  // acceptable slices, first free one wins; empty: no GPU
  std::int64_t now = 0;
  std::int64_t ttl = 0;
  std::string image;
  std::int64_t nano_cpus = 0;
  std::int64_t memory = 0;
  std::string gpu_mode;
};

// Whether `id` has the form of a session id (12 lower-case hex digits).
[[nodiscard]] bool valid_session_id(std::string_view id);

class Store {
 public:
  // Opens (creating it and its schema if missing) the database at `path`.
  [[nodiscard]] static Store open(const std::string& path);
  Store(Store&& other) noexcept;
  Store& operator=(Store&&) = delete;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  ~Store();

  // Allocates the lowest free port in `ports` and the first free slice of `request.slices`, and
  // records the session, in one transaction. `max_per_user` 0: no limit.
  [[nodiscard]] Session allocate(const NewSession& request, PortRange ports, unsigned max_per_user);
  void set_container(const std::string& id, const std::string& container);
  void set_expires(const std::string& id, std::int64_t expires);
  // Frees the session's port and slice; false when there was no such session.
  bool remove(const std::string& id);
  [[nodiscard]] std::optional<Session> find(const std::string& id) const;
  [[nodiscard]] std::vector<Session> list() const;
  [[nodiscard]] std::vector<Session> expired(std::int64_t now) const;
  [[nodiscard]] int schema_version() const;

 private:
  Store(sqlite3* db, std::string path);
  sqlite3* db_;
  std::string path_;
};

}  // namespace aicactl::core::sessions
