// SPDX-License-Identifier: Apache-2.0
// [sessions]: GPU sessions (see core/sessions/service.hpp): the image, the engine's socket, where
// workspaces are, the host ports and address, the limits and how a GPU is handed to a container.
#pragma once

#include <cstdint>
#include <string>

#include "aicactl/core/sessions/store.hpp"

namespace aicactl::core {

// How a GPU reaches a session's container: a DeviceRequest for the nvidia driver (Docker's
// --gpus), or the nvidia OCI runtime with NVIDIA_VISIBLE_DEVICES.
enum class GpuMode { device_requests, runtime };

struct SessionsConfig {
  std::string image = "aicactl/session:bookworm";
  std::string engine = "/var/run/docker.sock";
  std::string workspace_root;  // absolute; "" = <data_root>/users
  sessions::PortRange ports{10000, 20000};
  std::string bind = "0.0.0.0";
  std::string ssh_host;            // shown in the ssh command; "" = this host's name
  std::int64_t nano_cpus = 0;      // 0: no limit (cpus = 2.5 -> 2'500'000'000)
  std::int64_t memory = 0;         // bytes; 0: no limit
  std::int64_t pids_limit = 4096;  // 0: no limit
  std::int64_t default_ttl = std::int64_t{8} * 3600;
  std::int64_t max_ttl = std::int64_t{24} * 3600;  // seconds
  unsigned max_per_user = 2;                       // live sessions per user; 0: no limit
  GpuMode gpu_mode = GpuMode::device_requests;
  std::string runtime = "nvidia";
};

// "512m", "8g", "1t", "4096k" or bytes ("1073741824"); nullopt when malformed or zero.
[[nodiscard]] std::optional<std::int64_t> parse_memory_size(std::string_view text);
// "2", "2.5", "0.25": nano-CPUs; nullopt when malformed, not positive or above 1024.
[[nodiscard]] std::optional<std::int64_t> parse_cpus(std::string_view text);
// A duration as parse_ttl accepts it, shown back ("8h", "90m", "45s").
[[nodiscard]] std::string ttl_text(std::int64_t seconds);

}  // namespace aicactl::core
