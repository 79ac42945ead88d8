// What a server set up by aicactl looks like: directories, the sharing group, the files under
// /etc and /data/system. Built from the configuration plus a few read-only facts (where this
// npm reads its global config, the running binary).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "aicactl/core/config.hpp"
#include "aicactl/core/merge.hpp"

namespace aicactl::core {

enum class ModePolicy {
  exact,        // owner, group and mode are enforced
  strip_write,  // owner root and no group/other write; other bits are the admin's
  create_only,  // created with this mode when missing, otherwise left alone (system dirs)
};

struct DirSpec {
  std::string path;
  std::string group;  // "root" or the sharing group
  mode_t mode = 0755;
  ModePolicy policy = ModePolicy::exact;
  bool shared = false;  // gets the group:<group>:rwx access and default ACL
};

struct FileSpec {
  std::string path;
  std::vector<Setting> settings;  // the whole content, or settings merged into an existing file
  mode_t mode = 0644;
  uid_t uid = 0;
  gid_t gid = 0;
};

// The content `file` should have, given its current content ("" when absent).
[[nodiscard]] std::string desired_content(const FileSpec& file, std::string_view current);

// A symlink that must exist and point to `target` (e.g. enabling a unit).
struct LinkSpec {
  std::string path;
  std::string target;
};

struct ServerSpec {
  std::string group;
  std::string data_root;
  AclMode acl_mode = AclMode::automatic;
  std::vector<DirSpec> dirs;    // parents before children
  std::vector<FileSpec> files;  // their parents are in dirs
  std::vector<LinkSpec> links;  // after the files
};

// Facts read from the running system that the spec depends on.
struct HostKey {
  std::string name;  // ssh_host_ed25519_key, ssh_host_ed25519_key.pub, ...
  std::string content;
  mode_t mode = 0600;
};

struct HostFacts {
  std::string npm_globalconfig;         // "" when npm is not installed
  std::string self_binary;              // content of the running executable
  std::vector<HostKey> etc_ssh_keys;    // /etc/ssh/ssh_host_*
  std::vector<HostKey> saved_ssh_keys;  // <data_root>/system/host/ssh/ssh_host_*
};

// Reads the facts; `config` says where the saved host keys live.
[[nodiscard]] HostFacts read_host_facts(const Config& config);

[[nodiscard]] ServerSpec build_spec(const Config& config, const HostFacts& facts);

// The profile script (also used by tests).
[[nodiscard]] std::string render_profile_script(const Config& config);

inline constexpr const char* kInstalledBinary = "system/bin/aicactl";
inline constexpr const char* kSavedHostKeys = "system/host/ssh";

}  // namespace aicactl::core
