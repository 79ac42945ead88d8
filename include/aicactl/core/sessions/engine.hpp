// SPDX-License-Identifier: Apache-2.0
// The Docker Engine API over its unix socket (os::unix_socket_request), for session containers:
// the API version negotiated once (GET /version, capped at 1.41, Debian 12's engine), then
// create, start, stop, remove, inspect, list by label and image inspect. Errors are core::Error:
// an engine that does not answer exit 69, a missing image exit 65 (naming scripts/session-image),
// anything else the engine refuses exit 1 with its own {"message"}.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aicactl/core/sessions/settings.hpp"

namespace aicactl::core::sessions {

inline constexpr std::string_view kMaxApiVersion = "1.41";
inline constexpr std::string_view kSessionLabel = "aicactl.session";
inline constexpr std::string_view kUserLabel = "aicactl.user";
inline constexpr std::string_view kExpiresLabel = "aicactl.expires";
inline constexpr std::string_view kContainerPrefix = "aicactl-session-";
inline constexpr unsigned kSshdPort = 2222;  // sshd's port inside the container (> 1024: no capability)
inline constexpr std::string_view kSshdCommand = "/usr/local/sbin/aicactl-session-sshd";

// Everything a session's container is made of (see container_body).
struct ContainerSpec {
  std::string id;  // the session id: name aicactl-session-<id>, labels
  std::string user;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary gids
  std::string image;
  std::string workspace;  // host directory bound at /workspace
  std::string state_dir;  // host directory holding passwd, group and authorized_keys
  std::string bind;       // host address the port is published on
  unsigned port = 0;      // host port
  std::int64_t expires = 0;
  std::int64_t nano_cpus = 0;   // 0: no limit
  std::int64_t memory = 0;      // bytes; 0: no limit
  std::int64_t pids_limit = 0;  // 0: no limit
  GpuMode gpu_mode = GpuMode::device_requests;
  std::string runtime = "nvidia";  // the OCI runtime in GpuMode::runtime
  std::optional<std::string> gpu;  // GPU or MIG UUID; empty: no GPU
};

// The body of POST /containers/create for `spec`.
[[nodiscard]] nlohmann::json container_body(const ContainerSpec& spec);
// The API version to speak to an engine that offers `offered` ("1.43" -> "1.41", "1.40" -> "1.40").
[[nodiscard]] std::string negotiate_version(std::string_view offered);
// The engine's {"message": ...} of an error response, or the status and body when it has none.
[[nodiscard]] std::string engine_message(long status, std::string_view body);

struct ContainerInfo {
  std::string id;
  std::string name;     // without the leading '/'
  std::string session;  // label aicactl.session ("" without it)
  std::string user;     // label aicactl.user
  std::string state;    // "running", "exited", "created", ...
};

// A GET /containers/json answer; a GET /containers/<id>/json answer.
[[nodiscard]] std::vector<ContainerInfo> parse_container_list(std::string_view json);
[[nodiscard]] ContainerInfo parse_container_inspect(std::string_view json);
// Whether `image` is a plausible image reference (it is put into a URL path).
[[nodiscard]] bool valid_image_name(std::string_view image);

class Engine {
 public:
  // Connects to the engine on `socket` and negotiates the API version; exit 69 when it is down.
  explicit Engine(std::string socket);
  [[nodiscard]] const std::string& api_version() const { return version_; }
  [[nodiscard]] const std::string& socket() const { return socket_; }

  // Exit 65 naming scripts/session-image when the engine does not have `image`.
  void require_image(const std::string& image) const;
  [[nodiscard]] bool has_image(const std::string& image) const;
  // Creates the container named `name`; returns its id.
  [[nodiscard]] std::string create(const std::string& name, const nlohmann::json& body) const;
  void start(const std::string& id) const;
  // Stops (SIGTERM, then SIGKILL after `grace_seconds`); an already stopped or missing one is fine.
  void stop(const std::string& id, int grace_seconds) const;
  // Removes (forcibly, with its anonymous volumes); a missing one is fine.
  void remove(const std::string& id) const;
  // nullopt when there is no such container.
  [[nodiscard]] std::optional<ContainerInfo> inspect(const std::string& id_or_name) const;
  // Every container (running or not) carrying label `label`.
  [[nodiscard]] std::vector<ContainerInfo> list_labelled(std::string_view label) const;

 private:
  struct Reply {
    long status = 0;
    std::string body;
  };
  [[nodiscard]] Reply call(const std::string& method, const std::string& target, const std::string& body) const;
  std::string socket_;
  std::string version_;
};

}  // namespace aicactl::core::sessions
