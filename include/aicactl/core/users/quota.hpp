// SPDX-License-Identifier: Apache-2.0
// Per-user quotas: a home on btrfs is a subvolume of its own, and its qgroup (0/<subvolume id>)
// carries the limit recorded in the registry. Sizes as admins write them (500M, 20G, 1.5T,
// bytes; 1024-based), what a home's quota looks like now (read-only), and why a server cannot
// have quotas. Elsewhere (ext4, XFS project quotas) the kernel here lacks CONFIG_QUOTA: none.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "aicactl/core/setup/config.hpp"

namespace aicactl::core {

// "500M", "20G", "1.5T", "1048576": digits with at most one fraction part, then K, M, G, T or P
// (1024-based; a fraction needs a unit), rounded down to whole bytes; nullopt when malformed, 0
// or above 2^62.
[[nodiscard]] std::optional<std::uint64_t> parse_size(std::string_view text);
// What a bad SIZE is told.
inline constexpr std::string_view kSizeHint = "must be a size like 500M, 20G, 1.5T or a number of bytes (1024-based)";

// The fraction of `limit` that `used` is, in whole percent rounded up as df does (0 when no limit).
[[nodiscard]] int quota_percent(std::uint64_t used, std::uint64_t limit);
// A quota at or above this many percent is reported by doctor and disk check.
inline constexpr int kQuotaAlertPercent = 90;

// What a home's quota looks like now.
struct HomeQuota {
  bool exists = false;     // the home is there
  bool subvolume = false;  // it is a btrfs subvolume (its own qgroup)
  bool enabled = false;    // quotas are on, and its qgroup was found
  std::uint64_t referenced = 0;
  std::uint64_t limit = 0;  // 0: none
  std::string problem;      // what could not be read
};
[[nodiscard]] HomeQuota inspect_home_quota(const std::string& home);

// "" when every home below <data_root>/users can get a quota (the users dir is a btrfs
// subvolume); otherwise the one line saying why not, naming the file system found.
[[nodiscard]] std::string quota_unsupported(const Config& config);

// What `user add --quota` and `user set --quota` check before they change anything: throws
// Error(bad_data) with quota_unsupported's line, or Error(temp_failure) when the user's home is
// a plain directory (made before quotas) that must become a subvolume while the user still has
// processes (the copy would miss their writes).
void require_quota_support(const Config& config, const std::string& user);

}  // namespace aicactl::core
