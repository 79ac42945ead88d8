// SPDX-License-Identifier: Apache-2.0
// The configuration: /data/system/config/aicactl.toml (on the persistent disk, because /etc may
// not survive a re-image). Built-in defaults apply when it is absent; unknown keys and bad values
// are rejected with the key named (Error with ExitCode::bad_data).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aicactl/core/lifecycle/settings.hpp"
#include "aicactl/core/sessions/settings.hpp"

namespace aicactl::core {

inline constexpr std::string_view kDefaultConfigPath = "/data/system/config/aicactl.toml";
// The user registry (core/registry), below data_root.
inline constexpr std::string_view kRegistryFile = "system/config/users.toml";

enum class AclMode { automatic, on, off };

struct NamedPath {
  std::string name;
  std::string relative;  // below data_root; "" means disabled
};

// [disk]: what `disk check` watches and where it reports (see core/disk.hpp).
struct DiskConfig {
  int threshold = 90;              // percent of space used above which a mount alerts (1..100)
  int inode_threshold = 90;        // the same for inodes
  std::vector<std::string> paths;  // mounts checked besides data_root (absolute)
  std::string alert_log = "/var/log/aicactl-disk.log";
  bool wall = false;     // also `wall` the alert to logged-in users
  std::string mail_to;   // "" or recipients for `sendmail -t`
  std::string textfile;  // "" or a node_exporter textfile (*.prom) written on every check
  int top = 10;          // consumers listed with an alert (1..1000)
};

struct Config {
  std::string data_root = "/data";
  std::string group = "gpu-users";
  std::vector<NamedPath> caches;  // conda pip uv npm yarn, in this order
  std::vector<NamedPath> models;  // huggingface torch, then any configured, sorted
  AclMode acl_mode = AclMode::automatic;
  std::string lock_dir = "/run/aicactl";
  std::string log_file = "/var/log/aicactl.log";
  bool require_data_mount = true;  // every command refuses when data_root is not its own mount
  // The root disk's record of the data volume's id (see core/volume.hpp); not configurable.
  std::string volume_record = "/etc/aicactl/volume-id";
  // [apps]: shared tools installed by `aicactl install`, below data_root.
  std::string conda_prefix = "apps/miniconda3";
  std::string uv_dir = "apps/uv";
  DiskConfig disk;
  // [clean] incomplete_min_age_hours: `cache clean` never removes a `*.incomplete` download
  // (huggingface_hub's partial blobs) modified less than this many hours ago.
  int clean_incomplete_hours = 24;
  LifecycleConfig lifecycle;
  SessionsConfig sessions;  // [sessions]: GPU sessions (core/sessions)
  std::string source;       // the file it was read from; "" when it is the built-in defaults

  [[nodiscard]] std::string under_root(std::string_view relative) const;
  // Absolute paths of every enabled cache and model directory (the shared trees).
  [[nodiscard]] std::vector<std::string> shared_trees() const;
  [[nodiscard]] std::string cache_path(std::string_view name) const;  // "" when disabled/unknown
  [[nodiscard]] std::string model_path(std::string_view name) const;
};

[[nodiscard]] Config default_config();

// Parses TOML text; `origin` names the file in messages.
[[nodiscard]] Config parse_config(std::string_view text, const std::string& origin);

// Loads `path` (recorded in `source`). A missing file gives the defaults (with no source) unless
// `must_exist` (an explicit --config).
[[nodiscard]] Config load_config(const std::string& path, bool must_exist);

// The effective configuration as TOML that parse_config accepts.
[[nodiscard]] std::string render_config(const Config& config);

[[nodiscard]] std::string_view to_string(AclMode mode);

// shadow-utils rules for user and group names: [a-z_][a-z0-9_-]*[$]?, at most 32 chars, not all
// digits. Returns the problem, or "" when valid.
[[nodiscard]] std::string name_problem(std::string_view name);

}  // namespace aicactl::core
