// SPDX-License-Identifier: Apache-2.0
// What a server set up by aicactl looks like: directories, the sharing group, the files under
// /etc and /data/system. Built from the configuration plus a few read-only facts (where this
// npm reads its global config, the running binary).
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

#include "aicactl/core/plan/actions.hpp"
#include "aicactl/core/setup/config.hpp"
#include "aicactl/core/setup/merge.hpp"

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
  // Created as a btrfs subvolume when its parent is on btrfs (snapshots and quotas need one);
  // an existing plain directory is left as it is, with a note.
  bool subvolume = false;
};

struct FileSpec {
  std::string path;
  std::vector<Setting> settings;  // the whole content, or settings merged into an existing file
  mode_t mode = 0644;
  uid_t uid = 0;
  gid_t gid = 0;
  FileCheck check = FileCheck::none;
  // When set, the file is only installed while this path and every directory above it are
  // root-owned and not writable by group/other, as setup leaves them (a sudo rule for a binary
  // that someone else could replace would hand out root).
  std::string trusted_path{};
  // A file aicactl writes whole: content that differs (edited by hand) is kept as
  // PATH.aicactl-old before it is replaced.
  bool keep_old = false;
};

// The suffix of the copy a hand-edited managed file is saved to before it is replaced.
inline constexpr const char* kOldSuffix = ".aicactl-old";

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
  std::vector<DirSpec> dirs;       // parents before children
  std::vector<FileSpec> files;     // their parents are in dirs
  std::vector<LinkSpec> links;     // after the files
  std::vector<std::string> notes;  // e.g. why the sudo rule is left out
  // (what, why): something the spec needs that could not be learned (npm did not say where its
  // global config is); each is a failed item of the plan, so setup exits 73 and doctor shows ✗.
  std::vector<std::pair<std::string, std::string>> problems;
};

// Facts read from the running system that the spec depends on.
struct HostKey {
  std::string name;  // ssh_host_ed25519_key, ssh_host_ed25519_key.pub, ...
  std::string content;
  mode_t mode = 0600;
};

struct HostFacts {
  std::string npm_globalconfig;         // "" when npm is not installed or did not answer
  std::string npm_problem;              // why npm, installed, did not say where it is
  std::string self_binary;              // content of the running executable
  std::vector<HostKey> etc_ssh_keys;    // /etc/ssh/ssh_host_*
  std::vector<HostKey> saved_ssh_keys;  // <data_root>/system/host/ssh/ssh_host_*
  bool have_visudo = false;             // sudo is installed: the sudoers drop-in can be validated
  std::string volume_id;                // the data volume's id (stamp and local record); "" = none yet
  std::string bash_completion;          // the bash completion script (made by the CLI); "": not installed
};

// Reads the facts; `config` says where the saved host keys live. volume_id is the stamp's id.
[[nodiscard]] HostFacts read_host_facts(const Config& config);

[[nodiscard]] ServerSpec build_spec(const Config& config, const HostFacts& facts);

// The profile script (also used by tests).
[[nodiscard]] std::string render_profile_script(const Config& config);

// The exact argv (as one line each) that members of the group may run through sudo: `cache clean`
// with --all and one flag per enabled cache and model tree that has one, `disk check`,
// `disk usage --mine`; the binary is <data_root>/system/bin/aicactl.
[[nodiscard]] std::vector<std::string> sudo_commands(const Config& config);
// /etc/sudoers.d/aicactl from the template etc/sudoers.in.
[[nodiscard]] std::string render_sudoers(const Config& config);
// /etc/cron.d/aicactl: `cache repair` every 15 minutes, `disk check` hourly, as root, both with
// --quiet (cron mails whatever a job prints).
[[nodiscard]] std::string render_cron(const Config& config);
// /etc/logrotate.d/aicactl: the logs under /var/log weekly, their copies on the data disk monthly.
[[nodiscard]] std::string render_logrotate(const Config& config);

inline constexpr const char* kInstalledBinary = "system/bin/aicactl";
inline constexpr const char* kSavedHostKeys = "system/host/ssh";
inline constexpr const char* kSudoersFile = "/etc/sudoers.d/aicactl";  // no dot: sudo skips those
inline constexpr const char* kCronFile = "/etc/cron.d/aicactl";        // no dot: cron skips those
inline constexpr const char* kLogrotateFile = "/etc/logrotate.d/aicactl";
// Copies of the log and the disk alert log on the data disk (under data_root), so the history
// survives a re-image.
inline constexpr const char* kPersistentLog = "system/log/aicactl.log";
inline constexpr const char* kPersistentDiskLog = "system/log/aicactl-disk.log";
// Whether the copies may be written: their directory exists, root-owned, not a symlink, not
// writable by group/other (as setup makes it).
[[nodiscard]] bool has_persistent_log_dir(const Config& config);
// Day one: `aicactl` on root's PATH (and sudo's secure_path), `man aicactl`, tab completion.
inline constexpr const char* kCommandLink = "/usr/local/sbin/aicactl";
inline constexpr const char* kManPageFile = "/usr/local/share/man/man8/aicactl.8";
inline constexpr const char* kBashCompletionFile = "/etc/bash_completion.d/aicactl";

}  // namespace aicactl::core
