#include "aicactl/os/tree_ops.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <mutex>
#include <vector>

#include "aicactl/os/fd.hpp"
#include "aicactl/os/fs.hpp"
#include "aicactl/os/walk.hpp"

namespace aicactl::os {
namespace {

constexpr std::uint64_t kFnvOffset = 1469598103934665603ULL;
constexpr std::uint64_t kFnvPrime = 1099511628211ULL;

std::uint64_t fnv(std::uint64_t h, const char* data, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    h ^= static_cast<unsigned char>(data[i]);
    h *= kFnvPrime;
  }
  return h;
}

Result<void> remove_children(int fd, const std::string& shown, dev_t dev) {
  auto names = list_dir(fd, shown);
  if (!names) {
    return std::unexpected(names.error());
  }
  for (const auto& n : *names) {
    const std::string path = join_path(shown, n);
    auto info = stat_at(fd, n.c_str());
    if (!info) {
      if (info.error().code == ENOENT) {
        continue;
      }
      return fail("stat", path, info.error().code);
    }
    if (!info->is_dir()) {
      if (::unlinkat(fd, n.c_str(), 0) != 0 && errno != ENOENT) {
        return fail("remove", path);
      }
      continue;
    }
    if (info->dev != dev) {
      return fail("remove (another file system is mounted there)", path, EXDEV);
    }
    auto sub = open_dir_at(fd, n.c_str(), path);
    if (!sub) {
      return std::unexpected(sub.error());
    }
    if (auto r = remove_children(sub->get(), path, dev); !r) {
      return r;
    }
    if (::unlinkat(fd, n.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
      return fail("remove directory", path);
    }
  }
  return {};
}

}  // namespace

Result<void> remove_tree_at(int dirfd, const char* name, const std::string& shown) {
  auto info = stat_at(dirfd, name);
  if (!info) {
    return info.error().code == ENOENT ? Result<void>{} : fail("stat", shown, info.error().code);
  }
  if (!info->is_dir()) {
    if (::unlinkat(dirfd, name, 0) != 0) {
      return fail("remove", shown);
    }
    return {};
  }
  auto fd = open_dir_at(dirfd, name, shown);
  if (!fd) {
    return std::unexpected(fd.error());
  }
  if (auto r = remove_children(fd->get(), shown, info->dev); !r) {
    return r;
  }
  if (::unlinkat(dirfd, name, AT_REMOVEDIR) != 0) {
    return fail("remove directory", shown);
  }
  return {};
}

Result<TreeDigest> digest_tree(const std::string& root) {
  TreeDigest digest;
  std::mutex mutex;
  std::string first_error;
  const std::string prefix = root.back() == '/' ? root : root + "/";
  auto summary = walk_tree(root, WalkOptions{1}, [&](const WalkEntry& e) {
    if (e.depth == 0) {
      return;
    }
    const FileInfo& info = *e.info;
    TreeEntry t{info.mode, info.uid, info.gid, info.is_dir() ? 0 : info.size, kFnvOffset};
    if (info.is_regular()) {
      UniqueFd fd(::openat(e.dirfd, e.name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY));
      std::array<char, 65536> buf{};
      ssize_t n = 0;
      while (fd && (n = ::read(fd.get(), buf.data(), buf.size())) > 0) {
        t.hash = fnv(t.hash, buf.data(), static_cast<std::size_t>(n));
      }
      if (!fd || n < 0) {
        std::lock_guard lock(mutex);
        first_error = first_error.empty() ? e.path() : first_error;
      }
    } else if (info.is_symlink()) {
      std::array<char, 4096> buf{};
      const ssize_t n = ::readlinkat(e.dirfd, e.name, buf.data(), buf.size());
      t.hash = n > 0 ? fnv(t.hash, buf.data(), static_cast<std::size_t>(n)) : 0;
    }
    std::string rel = e.path().substr(prefix.size());
    std::lock_guard lock(mutex);
    digest.emplace(std::move(rel), t);
  });
  if (!summary) {
    return std::unexpected(summary.error());
  }
  if (!summary->errors.empty()) {
    return std::unexpected(summary->errors.front());
  }
  if (!first_error.empty()) {
    return fail("read", first_error, EIO);
  }
  return digest;
}

}  // namespace aicactl::os
