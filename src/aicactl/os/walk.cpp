#include "aicactl/os/walk.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>

namespace aicactl::os {
namespace {

struct LinuxDirent64 {
  std::uint64_t d_ino;
  std::int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[1];
};

// A directory waiting to be opened: it keeps its parent's fd alive, nothing more, so that
// open fds stay proportional to the depth of the walk, not its width.
struct PendingDir {
  std::shared_ptr<UniqueFd> parent;
  std::string name;
  std::shared_ptr<const std::string> parent_path;
  std::uint64_t ino = 0;
  dev_t dev = 0;
  unsigned depth = 0;
};

class Walker {
 public:
  Walker(const WalkOptions& options, const WalkVisitor& visit) : options_(options), visit_(visit) {}

  Result<WalkSummary> run(std::string_view root) {
    auto parent = open_parent(root);
    if (!parent) {
      return std::unexpected(parent.error());
    }
    auto info = stat_at(parent->first.get(), parent->second.c_str());
    if (!info) {
      return fail("stat", std::string(root), info.error().code);
    }
    if (!info->is_dir()) {
      return fail("walk", std::string(root), info->is_symlink() ? ELOOP : ENOTDIR);
    }
    root_mnt_id_ = info->mnt_id;
    root_dev_ = info->dev;
    std::string root_str(root);
    auto slash = root_str.find_last_of('/');
    auto parent_path = std::make_shared<const std::string>(slash == 0 ? "/" : root_str.substr(0, slash));
    stack_.push_back(PendingDir{std::make_shared<UniqueFd>(std::move(parent->first)), parent->second, parent_path,
                                info->ino, info->dev, 0});
    const unsigned threads = options_.threads == 0 ? 1 : options_.threads;
    if (threads == 1) {
      work(0);
    } else {
      std::vector<std::jthread> pool;
      for (unsigned i = 0; i < threads; ++i) {
        pool.emplace_back([this, i] { work(i); });
      }
    }
    if (root_failed_) {
      return std::unexpected(summary_.errors.front());
    }
    summary_.directories = dirs_.load();
    summary_.others = others_.load();
    return std::move(summary_);
  }

 private:
  void work(unsigned worker) {
    std::vector<PendingDir> found;
    for (;;) {
      PendingDir next;
      {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [this] { return !stack_.empty() || active_ == 0; });
        if (stack_.empty()) {
          return;
        }
        next = std::move(stack_.back());
        stack_.pop_back();
        ++active_;
      }
      found.clear();
      process(next, worker, found);
      {
        std::lock_guard lock(mutex_);
        for (auto& dir : found) {
          stack_.push_back(std::move(dir));
        }
        --active_;
      }
      cv_.notify_all();
    }
  }

  void record_error(OsError err) {
    std::lock_guard lock(mutex_);
    summary_.errors.push_back(std::move(err));
  }

  void process(PendingDir& dir, unsigned worker, std::vector<PendingDir>& found) {
    const std::string path = join_path(*dir.parent_path, dir.name);
    auto fd = std::make_shared<UniqueFd>(
        ::openat(dir.parent->get(), dir.name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!*fd) {
      if (errno != ENOENT || dir.depth == 0) {
        if (dir.depth == 0) {
          root_failed_ = true;
        }
        record_error(OsError{errno, "open directory", path});
      }
      return;
    }
    auto info = stat_fd(fd->get());
    if (!info) {
      record_error(OsError{info.error().code, "stat", path});
      return;
    }
    if (info->ino != dir.ino || info->dev != dir.dev) {
      record_error(OsError{EAGAIN, "walk (directory replaced while walking)", path});
      return;
    }
    ++dirs_;
    visit_(WalkEntry{dir.parent->get(), dir.name.c_str(), fd->get(), &*info, dir.parent_path.get(), dir.depth, worker});
    dir.parent.reset();  // lets the grandparent's fd close as soon as possible
    list(fd, std::make_shared<const std::string>(path), dir.depth + 1, worker, found);
  }

  void list(const std::shared_ptr<UniqueFd>& fd, const std::shared_ptr<const std::string>& path, unsigned depth,
            unsigned worker, std::vector<PendingDir>& found) {
    alignas(LinuxDirent64) std::array<char, 32768> buf{};
    for (;;) {
      const long n = ::syscall(SYS_getdents64, fd->get(), buf.data(), buf.size());
      if (n < 0) {
        if (errno == EINTR) {
          continue;
        }
        record_error(OsError{errno, "list directory", *path});
        return;
      }
      if (n == 0) {
        return;
      }
      for (long off = 0; off < n;) {
        const auto* d = reinterpret_cast<const LinuxDirent64*>(buf.data() + off);
        off += d->d_reclen;
        const char* name = d->d_name;
        if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))) {
          continue;
        }
        auto info = stat_at(fd->get(), name);
        if (!info) {
          if (info.error().code != ENOENT) {
            record_error(OsError{info.error().code, "stat", join_path(*path, name)});
          }
          continue;
        }
        if (info->is_dir()) {
          if (info->dev != root_dev_ || (root_mnt_id_ != 0 && info->mnt_id != root_mnt_id_)) {
            std::lock_guard lock(mutex_);
            summary_.mounts_skipped.push_back(join_path(*path, name));
            continue;
          }
          found.push_back(PendingDir{fd, name, path, info->ino, info->dev, depth});
          continue;
        }
        ++others_;
        visit_(WalkEntry{fd->get(), name, -1, &*info, path.get(), depth, worker});
      }
    }
  }

  const WalkOptions& options_;
  const WalkVisitor& visit_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<PendingDir> stack_;
  unsigned active_ = 0;
  std::uint64_t root_mnt_id_ = 0;
  dev_t root_dev_ = 0;
  bool root_failed_ = false;
  std::atomic<std::uint64_t> dirs_{0};
  std::atomic<std::uint64_t> others_{0};
  WalkSummary summary_;
};

}  // namespace

Result<WalkSummary> walk_tree(std::string_view root, const WalkOptions& options, const WalkVisitor& visit) {
  Walker walker(options, visit);
  return walker.run(root);
}

}  // namespace aicactl::os
