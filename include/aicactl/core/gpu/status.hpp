// SPDX-License-Identifier: Apache-2.0
// gpu status: what NVML reports (os/nvml) joined with who it belongs to. A process's user is the
// account of its real uid (/proc/<pid>/status); a uid inside a user's /etc/subuid range (a
// rootless-Docker container) is shown as that user; a process in a session's container as the
// session's user. Read-only; needs no lock and no data volume.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aicactl/os/nvml.hpp"

namespace aicactl::core::gpu {

struct Owner {
  std::string user;                    // account name; "uid N" when the uid has no account; "?" when unknown
  std::optional<uid_t> uid;            // the process's real uid (empty: the process is gone)
  std::string via;                     // "uid", "subuid" (owner of the range) or "session"
  std::optional<std::string> session;  // the session whose container runs it
};

struct Process {
  unsigned pid = 0;
  std::optional<std::uint64_t> gpu_memory;  // bytes
  std::optional<unsigned> gpu_instance_id;  // the MIG instance it runs in
  Owner owner;
  std::string command;  // the command line, arguments joined by blanks ("" when gone)
};

struct MigInstance {
  unsigned index = 0;
  std::string profile;  // as NVML names it: "3g.40gb"
  std::string uuid;
  std::optional<unsigned> gpu_instance_id;
  std::optional<os::NvmlMemory> memory;
  std::optional<std::string> session;  // the live session holding it
};

struct Gpu {
  unsigned index = 0;
  std::string name;
  std::string uuid;
  std::optional<os::NvmlMemory> memory;
  std::optional<unsigned> utilization;
  std::optional<unsigned> temperature;
  std::optional<bool> mig_enabled;
  std::vector<MigInstance> mig;
  std::vector<Process> processes;
};

struct Status {
  std::string driver_version;
  std::vector<Gpu> gpus;
};

struct SubidRange {
  std::string owner;
  std::uint64_t first = 0;
  std::uint64_t count = 0;
};

struct SessionRef {
  std::string id;
  std::string user;
};

// Where owners come from; host_attribution() fills it from this machine.
struct Attribution {
  std::string proc_root = "/proc";
  std::vector<SubidRange> subids;
  std::map<std::string, SessionRef> session_by_container;  // full container id -> session
  std::map<std::string, std::string> session_by_uuid;      // GPU or MIG UUID -> session id
  std::function<std::optional<std::string>(uid_t)> user_name;
};

// Lines "owner:first:count" of /etc/subuid; comments, blanks and malformed lines are skipped.
[[nodiscard]] std::vector<SubidRange> parse_subid(std::string_view text);
// The MIG profile in a MIG device's NVML name ("NVIDIA A100-SXM4-40GB MIG 3g.20gb" -> "3g.20gb");
// the whole name when it names none.
[[nodiscard]] std::string mig_profile(std::string_view nvml_name);
// The Docker container id (64 hex digits) in a /proc/<pid>/cgroup text, for the cgroupfs
// ("/docker/ID") and systemd ("docker-ID.scope") drivers.
[[nodiscard]] std::optional<std::string> container_of(std::string_view cgroup_text);
// The owner of a process of `uid` (running in `container`, if any).
[[nodiscard]] Owner owner_of(std::optional<uid_t> uid, const std::optional<std::string>& container,
                             const Attribution& attribution);
// The status of every GPU in `snapshot`, with owners.
[[nodiscard]] Status build_status(const os::NvmlSnapshot& snapshot, const Attribution& attribution);
// /proc, /etc/subuid and the account database of this machine.
[[nodiscard]] Attribution host_attribution();

// Loads NVML and reads the status; throws core::Error with exit code 69 with
// "NVIDIA driver not found: libnvidia-ml.so.1" without a driver, "No NVIDIA GPU found" without a GPU.
class Reader {
 public:
  explicit Reader(const std::string& library = os::kNvmlLibrary);
  [[nodiscard]] Status read() const;
  // With owners from `attribution` (host_attribution() plus the sessions, for gpu status).
  [[nodiscard]] Status read(const Attribution& attribution) const;

 private:
  os::Nvml nvml_;
};

}  // namespace aicactl::core::gpu
