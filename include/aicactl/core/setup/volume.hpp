// SPDX-License-Identifier: Apache-2.0
// The data volume's identity. The first `setup --init` stamps data_root with a random id
// (<data_root>/system/volume-id) and records the same id on the root disk
// (/etc/aicactl/volume-id). Every command that reads or writes data_root first checks that it
// is a mount point of its own (unless [recover] require_mount = false) and carries the stamp,
// and that the stamp matches the local record where one exists: a data disk that failed to
// mount (an empty directory on the root disk) or another disk mounted in its place is refused
// instead of being filled or reported on.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "aicactl/core/setup/config.hpp"

namespace aicactl::core {

inline constexpr std::string_view kVolumeStampFile = "system/volume-id";

enum class VolumeUse {
  existing,  // every command but setup: the stamp must be there
  adopt,     // plain `setup`: also stamps an unstamped volume that holds an aicactl layout
  init,      // `setup --init`: also stamps a new (empty) volume; a new id replaces a local record
};

// What was found, read-only.
struct VolumeFacts {
  std::string mount_problem;          // "" when data_root is a mount point (or need not be)
  std::optional<std::string> stamp;   // the id in the stamp; nullopt when absent
  bool stamp_invalid = false;         // present but not a stamp aicactl wrote
  std::optional<std::string> record;  // the id in the local record; nullopt when absent
  bool has_layout = false;            // an aicactl layout from before stamps (binary or registry)
};

struct VolumeVerdict {
  std::string problem;  // "" when the command may go on; else one line saying why not
  std::string id;       // the id both files must hold (new when the volume is adopted now)
  std::string notice;   // e.g. that an existing layout is being adopted
};

[[nodiscard]] VolumeFacts inspect_volume(const Config& config);
// Pure: what `use` may do on a volume in the state `facts`; `new_id` is the id an adoption uses.
[[nodiscard]] VolumeVerdict judge_volume(const Config& config, const VolumeFacts& facts, VolumeUse use,
                                         const std::string& new_id);
// inspect + judge with a fresh random id.
[[nodiscard]] VolumeVerdict check_volume(const Config& config, VolumeUse use);

// "" when data_root is a directory whose mount differs from its parent's, else why not.
[[nodiscard]] std::string data_mount_problem(const Config& config);

// The stamp's content for `id`, and the id in a stamp's content ("" when it is not one).
[[nodiscard]] std::string render_volume_stamp(std::string_view id);
[[nodiscard]] std::string parse_volume_stamp(std::string_view text);
// 128 random bits as 32 lower-case hex digits.
[[nodiscard]] std::string new_volume_id();

}  // namespace aicactl::core
