// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/setup/volume.hpp"

#include <fcntl.h>

#include <algorithm>
#include <array>
#include <random>

#include "aicactl/core/setup/spec.hpp"
#include "aicactl/os/fs.hpp"

namespace aicactl::core {
namespace {

constexpr std::size_t kIdHexDigits = 32;

std::string parent_path(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

bool exists(const std::string& path) {
  auto info = os::lstat_path(path);
  return info && info->has_value();
}

// Reads an id file: nullopt when absent; "" when present but not a stamp.
std::optional<std::string> read_id(const std::string& path) {
  auto text = os::read_file(path);
  if (text && !text->has_value()) {
    return std::nullopt;
  }
  return text ? parse_volume_stamp(**text) : std::string();
}

}  // namespace

std::string data_mount_problem(const Config& config) {
  const std::string& root = config.data_root;
  auto data = os::lstat_path(root);
  if (!data || !*data) {
    return "'" + root + "' does not exist";
  }
  if (!(*data)->is_dir()) {
    return "'" + root + "' is not a directory";
  }
  auto parent = os::stat_at(AT_FDCWD, parent_path(root).c_str());  // "/" has no parent to open
  if (!parent) {
    return "cannot stat the parent of '" + root + "': " + parent.error().message();
  }
  const os::FileInfo& d = **data;
  const os::FileInfo& p = *parent;
  const bool same_mount = d.dev == p.dev && (d.mnt_id == 0 || p.mnt_id == 0 || d.mnt_id == p.mnt_id);
  if (same_mount) {
    return "'" + root + "' is not a mounted file system (it is a directory on the file system of '" +
           parent_path(root) +
           "'); mount the data disk, or set [recover] require_mount = false if it really lives there";
  }
  return "";
}

std::string render_volume_stamp(std::string_view id) {
  return "# aicactl volume identity, written by 'aicactl setup --init'. Do not edit or remove:\n"
         "# every aicactl command compares it before it uses this disk.\nid=" +
         std::string(id) + "\n";
}

std::string parse_volume_stamp(std::string_view text) {
  std::string id;
  std::size_t at = 0;
  while (at < text.size()) {
    auto end = text.find('\n', at);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    const std::string_view line = text.substr(at, end - at);
    at = end + 1;
    if (line.empty() || line.front() == '#') {
      continue;
    }
    if (!line.starts_with("id=") || !id.empty()) {
      return "";
    }
    id = std::string(line.substr(3));
  }
  const bool hex =
      std::all_of(id.begin(), id.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
  return id.size() == kIdHexDigits && hex ? id : "";
}

std::string new_volume_id() {
  std::random_device random;  // getrandom(2) on Linux
  std::string id;
  constexpr std::array<char, 16> kHex = {'0', '1', '2', '3', '4', '5', '6', '7',
                                         '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
  while (id.size() < kIdHexDigits) {
    const unsigned word = random();
    for (unsigned shift = 0; shift < 32 && id.size() < kIdHexDigits; shift += 4) {
      id += kHex.at((word >> shift) & 0xFU);
    }
  }
  return id;
}

VolumeFacts inspect_volume(const Config& config) {
  VolumeFacts facts;
  if (config.require_data_mount) {
    facts.mount_problem = data_mount_problem(config);
  }
  if (auto stamp = read_id(config.under_root(kVolumeStampFile))) {
    facts.stamp_invalid = stamp->empty();
    if (!stamp->empty()) {
      facts.stamp = std::move(*stamp);
    }
  }
  if (auto record = read_id(config.volume_record); record && !record->empty()) {
    facts.record = std::move(*record);
  }
  facts.has_layout = exists(config.under_root(kRegistryFile)) || exists(config.under_root(kInstalledBinary));
  return facts;
}

VolumeVerdict judge_volume(const Config& config, const VolumeFacts& facts, VolumeUse use, const std::string& new_id) {
  const std::string root = "'" + config.data_root + "'";
  const std::string stamp = "'" + config.under_root(kVolumeStampFile) + "'";
  VolumeVerdict v;
  if (!facts.mount_problem.empty()) {
    v.problem = facts.mount_problem;
    return v;
  }
  if (facts.stamp_invalid) {
    v.problem = stamp + " is not a volume stamp aicactl wrote (edited or damaged); refusing to use " + root;
    return v;
  }
  if (facts.stamp) {
    if (facts.record && *facts.record != *facts.stamp && use != VolumeUse::init) {
      v.problem =
          root + " is volume " + *facts.stamp + ", but this server was set up on volume " + *facts.record + " ('" +
          config.volume_record +
          "'): another disk is mounted there. If it replaces the old one on purpose, run 'aicactl setup --init'";
      return v;
    }
    v.id = *facts.stamp;
    return v;
  }
  if (use == VolumeUse::init) {
    v.id = new_id;
    v.notice = "Adopting " + root + " as a new aicactl volume (stamp " + stamp + ")";
    return v;
  }
  if (facts.has_layout && use == VolumeUse::adopt && !facts.record) {
    v.id = new_id;
    v.notice = root + " holds an aicactl layout without a volume stamp: adopting it (stamp " + stamp + ")";
    return v;
  }
  if (facts.has_layout && !facts.record) {
    v.problem =
        root + " holds an aicactl layout but no volume stamp " + stamp + "; run 'aicactl setup' once to adopt it";
    return v;
  }
  v.problem =
      root + " is not the aicactl data volume (no stamp " + stamp +
      "): refusing to use an unknown or empty disk. If it is a new, empty data disk, run 'aicactl setup --init'";
  return v;
}

VolumeVerdict check_volume(const Config& config, VolumeUse use) {
  const VolumeFacts facts = inspect_volume(config);
  return judge_volume(config, facts, use, use == VolumeUse::existing || facts.stamp ? "" : new_volume_id());
}

}  // namespace aicactl::core
