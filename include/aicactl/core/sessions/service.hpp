// SPDX-License-Identifier: Apache-2.0
// GPU sessions: a container per session (core/sessions/engine) running as the user's own uid with
// the user's workspace at /workspace and sshd on a host port, recorded in the store
// (core/sessions/store). create allocates in the store first, then writes the session's state
// files (passwd, group, a copy of the user's authorized_keys) under
// <data_root>/system/state/sessions/<id>/, then creates and starts the container; any failure
// undoes all of it in reverse (container, state dir, row). reap ends expired sessions and
// reconciles the store with the engine. Errors are core::Error (see the man page, SESSIONS).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "aicactl/core/gpu/status.hpp"
#include "aicactl/core/plan/plan.hpp"
#include "aicactl/core/sessions/store.hpp"
#include "aicactl/core/setup/config.hpp"

namespace aicactl::core::sessions {

inline constexpr std::size_t kMaxAuthorizedKeys = std::size_t{64} * 1024;

enum class GpuKind { automatic, none, device, mig };

struct GpuChoice {
  GpuKind kind = GpuKind::automatic;  // automatic: a free slice when NVML finds one, else none
  std::string value;                  // device: UUID or index; mig: a profile ("3g.40gb")
};

struct CreateRequest {
  std::string user;
  GpuChoice gpu;
  std::optional<std::int64_t> ttl;  // default [sessions] default_ttl
  std::string image;                // "" = [sessions] image
  std::int64_t nano_cpus = 0;       // 0 = [sessions] cpus
  std::int64_t memory = 0;          // 0 = [sessions] memory
  bool limit_per_user = false;      // self-service: at most [sessions] max_per_user sessions
};

// A GPU or MIG instance a session can hold.
struct Slice {
  std::string uuid;
  unsigned gpu_index = 0;
  std::string profile;      // MIG profile; "" for a whole GPU
  bool mig_parent = false;  // a whole GPU in MIG mode: only its instances can be given
};

// The slices on this machine; throws Error(69) without a driver. Replaceable for tests.
using SliceSource = std::function<std::vector<Slice>()>;
[[nodiscard]] std::vector<Slice> nvml_slices();

// The candidate slices for `choice` among `slices` (empty: no GPU). Throws bad_data for a GPU
// or profile that is not there.
[[nodiscard]] std::vector<std::string> resolve_gpu(const GpuChoice& choice, const std::vector<Slice>& slices);

// The files bound into a session's container: /etc/passwd and /etc/group.
[[nodiscard]] std::string session_passwd(const std::string& user, uid_t uid, gid_t gid);
[[nodiscard]] std::string session_group(const std::vector<std::pair<std::string, gid_t>>& groups,
                                        const std::string& user);

struct ReapReport {
  std::vector<std::string> lines;  // what was done, one line each ("Removed expired session ...")
  unsigned failed = 0;
};

struct SessionCheck {
  std::string name;
  bool ok = true;
  std::string detail;
};

// recover's step: reap (expired sessions, reconciliation) when a session database exists and an
// engine answers; without an engine one line says so and nothing fails.
[[nodiscard]] ReapReport recover_sessions(const Config& config, std::int64_t now, DryRun dry);
// doctor's checks, when a session database exists: the engine, the image, the database, expired
// sessions not yet reaped. Empty when sessions are not in use.
[[nodiscard]] std::vector<SessionCheck> session_checks(const Config& config, std::int64_t now);

// gpu status: which live session holds a slice, and whose container a process runs in.
void attribute_sessions(gpu::Attribution& attribution, const std::vector<Session>& sessions, std::int64_t now);
// The sessions of the database when it exists and can be read; none otherwise (never an error:
// gpu status needs no data volume and no root).
[[nodiscard]] std::vector<Session> readable_sessions(const Config& config);

class Service {
 public:
  explicit Service(const Config& config, SliceSource slices = nvml_slices);

  [[nodiscard]] Session create(const CreateRequest& request, std::int64_t now);
  // Every check create makes before it changes anything (for --dry-run).
  void check_create(const CreateRequest& request) const;
  [[nodiscard]] std::vector<Session> list(const std::string& user) const;  // "" = all
  // Throws bad_data for a malformed or unknown id.
  [[nodiscard]] Session show(const std::string& id) const;
  // The container's state ("running", ...), "missing", or "unknown" when the engine is down.
  [[nodiscard]] std::string container_state(const Session& session) const;
  [[nodiscard]] Session extend(const std::string& id, std::int64_t ttl, std::int64_t now);
  // Stops and removes the container, the state dir and the row.
  Session remove(const std::string& id);
  // Expired sessions ended; labelled containers the store does not know removed; live rows
  // whose container is gone re-created (same port and slice).
  // With DryRun::yes only says ("Would ...") what it would do.
  [[nodiscard]] ReapReport reap(std::int64_t now, DryRun dry = DryRun::no);

  [[nodiscard]] std::string database_path() const;
  [[nodiscard]] std::string state_dir() const;
  [[nodiscard]] std::string workspace_root() const;
  [[nodiscard]] std::string ssh_command(const Session& session) const;
  [[nodiscard]] static std::string container_name(const std::string& id);

 private:
  struct Prepared {
    std::int64_t ttl = 0;
    std::string image;
    std::vector<std::string> candidates;
  };
  [[nodiscard]] Prepared prepare(const CreateRequest& request) const;
  [[nodiscard]] Store open_store() const;
  void start_container(const Session& session) const;
  const Config& config_;
  SliceSource slices_;
};

}  // namespace aicactl::core::sessions
