// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/users/quota.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>

#include "aicactl/core/plan/errors.hpp"
#include "aicactl/os/accounts.hpp"
#include "aicactl/os/btrfs.hpp"
#include "aicactl/os/fs.hpp"
#include "aicactl/os/procs.hpp"

namespace aicactl::core {

std::optional<std::uint64_t> parse_size(std::string_view text) {
  constexpr std::uint64_t kMax = std::uint64_t{1} << 62U;
  constexpr std::size_t kMaxFraction = 6;
  std::size_t i = 0;
  std::uint64_t whole = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    whole = whole * 10 + static_cast<std::uint64_t>(text[i] - '0');
    if (whole > kMax) {
      return std::nullopt;
    }
    ++i;
  }
  if (i == 0) {
    return std::nullopt;
  }
  std::uint64_t fraction = 0;
  std::uint64_t scale = 1;
  if (i < text.size() && text[i] == '.') {
    ++i;
    const std::size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (i - start >= kMaxFraction) {
        return std::nullopt;
      }
      fraction = fraction * 10 + static_cast<std::uint64_t>(text[i] - '0');
      scale *= 10;
      ++i;
    }
    if (i == start || i == text.size()) {  // "1." and "1.5" (a fraction of a byte) are refused
      return std::nullopt;
    }
  }
  unsigned shift = 0;
  if (i < text.size()) {
    static constexpr std::string_view kUnits = "KMGTP";
    const auto at = kUnits.find(text[i]);
    if (at == std::string_view::npos || i + 1 != text.size()) {
      return std::nullopt;
    }
    shift = 10U * static_cast<unsigned>(at + 1);
  }
  if (whole > (kMax >> shift)) {
    return std::nullopt;
  }
  const std::uint64_t unit = std::uint64_t{1} << shift;
  // fraction * unit / scale without overflow: scale and fraction are below 10^6.
  const std::uint64_t bytes = (whole << shift) + (unit / scale) * fraction + (unit % scale) * fraction / scale;
  if (bytes == 0 || bytes > kMax) {
    return std::nullopt;
  }
  return bytes;
}

int quota_percent(std::uint64_t used, std::uint64_t limit) {
  if (limit == 0) {
    return 0;
  }
  return static_cast<int>(std::ceil(static_cast<long double>(used) * 100 / static_cast<long double>(limit)));
}

HomeQuota inspect_home_quota(const std::string& home) {
  HomeQuota q;
  auto fd = os::open_dir(home);
  if (!fd) {
    if (fd.error().code != ENOENT) {
      q.problem = fd.error().message();
    }
    return q;
  }
  q.exists = true;
  auto sub = os::is_subvolume(fd->get());
  if (!sub || !*sub) {
    return q;
  }
  q.subvolume = true;
  auto id = os::subvolume_id(fd->get());
  if (!id) {
    q.problem = id.error().message();
    return q;
  }
  auto usage = os::qgroup_usage(fd->get(), *id);
  if (!usage) {
    if (usage.error().code != ENOENT) {
      q.problem = usage.error().message();
    }
    return q;
  }
  q.enabled = true;
  q.referenced = usage->referenced;
  q.limit = usage->limit;
  return q;
}

std::string quota_unsupported(const Config& config) {
  const std::string users = config.under_root("users");
  auto fd = os::open_dir(users);
  if (!fd) {
    return "Quotas need the users directory '" + users + "': " + fd.error().message();
  }
  auto sub = os::is_subvolume(fd->get());
  if (sub && *sub) {
    return "";
  }
  auto type = os::fs_type_name(fd->get());
  const std::string fs = type ? *type : "unknown";
  if (fs == "btrfs") {
    return "Quotas need '" + users + "' to be a btrfs subvolume (run 'aicactl setup' on an empty users directory)";
  }
  return "Quotas need btrfs: per-user limits are btrfs qgroups ('" + config.data_root + "' is " + fs +
         "; ext4 and XFS quotas need a kernel with CONFIG_QUOTA)";
}

void require_quota_support(const Config& config, const std::string& user) {
  if (auto why = quota_unsupported(config); !why.empty()) {
    throw Error(ExitCode::bad_data, why);
  }
  const std::string home = config.under_root("users/" + user);
  const HomeQuota q = inspect_home_quota(home);
  if (!q.problem.empty()) {
    throw Error(ExitCode::failure, q.problem);
  }
  const auto account = os::find_user(user);
  if (!q.exists || q.subvolume || !account) {
    return;
  }
  auto procs = os::list_processes();
  if (!procs) {
    throw Error(ExitCode::failure, procs.error().message());
  }
  const auto running = std::ranges::count_if(
      *procs, [&](const os::ProcInfo& p) { return os::runs_as(p, [&](uid_t u) { return u == account->uid; }); });
  if (running > 0) {
    throw Error(ExitCode::temp_failure, "'" + user + "' has " + std::to_string(running) +
                                            " running process(es): the home '" + home +
                                            "' becomes a btrfs subvolume (for the quota) only while " + user +
                                            " is logged out; nothing changed");
  }
}

}  // namespace aicactl::core
