// SPDX-License-Identifier: Apache-2.0
#include "aicactl/os/usage.hpp"

#include <sys/statvfs.h>

#include <array>
#include <functional>
#include <mutex>
#include <unordered_set>

#include "aicactl/os/expected.hpp"
#include "aicactl/os/fs.hpp"
#include "aicactl/os/walk.hpp"

namespace aicactl::os {
namespace {

struct FileId {
  dev_t dev = 0;
  std::uint64_t ino = 0;
  bool operator==(const FileId&) const = default;
};

struct FileIdHash {
  std::size_t operator()(const FileId& id) const noexcept {
    return std::hash<std::uint64_t>{}(id.ino * 0x9E3779B97F4A7C15ULL ^ static_cast<std::uint64_t>(id.dev));
  }
};

// Files with several links seen so far, sharded so that two walker threads rarely wait for
// each other (most files have one link and never get here).
class SeenLinks {
 public:
  // True the first time an id is offered.
  bool first_time(const FileId& id) {
    auto& shard = shards_[FileIdHash{}(id) % shards_.size()];
    std::lock_guard lock(shard.mutex);
    return shard.ids.insert(id).second;
  }

 private:
  struct Shard {
    std::mutex mutex;
    std::unordered_set<FileId, FileIdHash> ids;
  };
  std::array<Shard, 16> shards_;
};

// One counter block per walker thread, each on its own cache line.
struct alignas(64) PerWorker {
  UsageTotals totals;
};

}  // namespace

Result<UsageScan> scan_usage(std::string_view root, const UsageOptions& options) {
  const unsigned threads = options.threads == 0 ? 1 : options.threads;
  std::vector<PerWorker> counts(threads);
  SeenLinks seen;
  const auto visit = [&](const WalkEntry& e) {
    const FileInfo& info = *e.info;
    if (options.only_uid && info.uid != *options.only_uid) {
      return;
    }
    if (!info.is_dir() && info.nlink > 1 && !seen.first_time(FileId{info.dev, info.ino})) {
      return;
    }
    UsageTotals& t = counts[e.worker].totals;
    t.disk_bytes += info.blocks * 512;
    t.apparent_bytes += info.size;
    ++t.entries;
  };
  auto walked = walk_tree(root, WalkOptions{threads, options.progress}, visit);
  AICACTL_RETURN_IF_ERROR(walked);
  UsageScan scan;
  for (const auto& c : counts) {
    scan.totals.disk_bytes += c.totals.disk_bytes;
    scan.totals.apparent_bytes += c.totals.apparent_bytes;
    scan.totals.entries += c.totals.entries;
  }
  scan.mounts_skipped = std::move(walked->mounts_skipped);
  scan.errors = std::move(walked->errors);
  return scan;
}

Result<FsStats> fs_stats(std::string_view path) {
  auto dir = open_dir(path);
  AICACTL_RETURN_IF_ERROR(dir);
  struct statvfs st {};
  if (::fstatvfs(dir->get(), &st) != 0) {
    return fail("get file system statistics of", std::string(path));
  }
  FsStats out;
  out.block_size = st.f_frsize != 0 ? st.f_frsize : st.f_bsize;
  out.blocks = st.f_blocks;
  out.blocks_free = st.f_bfree;
  out.blocks_avail = st.f_bavail;
  out.inodes = st.f_files;
  out.inodes_free = st.f_ffree;
  out.inodes_avail = st.f_favail;
  return out;
}

}  // namespace aicactl::os
