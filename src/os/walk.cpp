// SPDX-License-Identifier: Apache-2.0
#include "aicactl/os/walk.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <ranges>
#include <thread>

#include "aicactl/os/expected.hpp"

namespace aicactl::os {
namespace {

struct LinuxDirent64 {
  std::uint64_t d_ino;
  std::int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[1];
};

// Where a directory sits: its name and identity, and its parent's. Lets a directory whose
// parent fd was not kept be re-opened from the root, component by component, verifying that
// every directory on the way is still the one that was listed.
struct DirNode {
  mutable std::shared_ptr<const DirNode> parent;  // null for the root; mutable for ~DirNode
  std::string name;
  std::uint64_t ino = 0;
  dev_t dev = 0;

  DirNode(std::shared_ptr<const DirNode> p, std::string n, std::uint64_t i, dev_t d)
      : parent(std::move(p)), name(std::move(n)), ino(i), dev(d) {}
  DirNode(const DirNode&) = delete;
  DirNode& operator=(const DirNode&) = delete;
  // Frees the ancestors that only this node holds one at a time: the default destructor would
  // recurse once per level, and a user can make a tree deep enough to overflow the stack.
  ~DirNode() {
    auto up = std::move(parent);
    while (up && up.use_count() == 1) {
      up = std::move(up->parent);
    }
  }
};

// A directory waiting to be opened. It keeps its parent's fd alive while the walk holds few
// fds; past the budget it keeps none and is re-opened through its DirNode chain instead.
struct PendingDir {
  std::shared_ptr<UniqueFd> parent_fd;
  std::shared_ptr<const DirNode> node;
  std::shared_ptr<const std::string> parent_path;
  unsigned depth = 0;
};

// Open directory fds kept for pending children, at most this share of RLIMIT_NOFILE.
std::size_t fd_budget() {
  struct rlimit lim {};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY) {
    return 1024;
  }
  return std::max<std::size_t>(4, static_cast<std::size_t>(lim.rlim_cur) / 4);
}

class Walker {
 public:
  Walker(const WalkOptions& options, const WalkVisitor& visit) : options_(options), visit_(visit) {}

  Result<WalkSummary> run(std::string_view root) {
    while (root.size() > 1 && root.back() == '/') {
      root.remove_suffix(1);
    }
    auto parent = open_parent(root);
    AICACTL_RETURN_IF_ERROR(parent);
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
    root_parent_ = std::make_shared<UniqueFd>(std::move(parent->first));
    root_node_ = std::make_shared<const DirNode>(nullptr, parent->second, info->ino, info->dev);
    stack_.push_back(PendingDir{root_parent_, root_node_, parent_path, 0});
    const unsigned threads = options_.threads == 0 ? 1 : options_.threads;
    counts_.resize(threads);
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
    for (const auto& c : counts_) {
      summary_.directories += c.directories;
      summary_.others += c.others;
    }
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

  // Opens a pending directory: through its parent's fd when kept, else from the root.
  UniqueFd open_pending(const PendingDir& dir) {
    if (dir.parent_fd) {
      return UniqueFd(
          ::openat(dir.parent_fd->get(), dir.node->name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    }
    std::vector<const DirNode*> chain;
    for (const DirNode* n = dir.node.get(); n != nullptr; n = n->parent.get()) {
      chain.push_back(n);
    }
    UniqueFd fd;
    int at = root_parent_->get();
    for (const DirNode* step : std::views::reverse(chain)) {
      UniqueFd next(::openat(at, step->name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!next) {
        return next;
      }
      auto info = stat_fd(next.get());
      if (!info || info->ino != step->ino || info->dev != step->dev) {
        errno = EAGAIN;
        return UniqueFd();
      }
      fd = std::move(next);
      at = fd.get();
    }
    return fd;
  }

  void process(PendingDir& dir, unsigned worker, std::vector<PendingDir>& found) {
    const std::string path = join_path(*dir.parent_path, dir.node->name);
    UniqueFd opened = open_pending(dir);
    if (!opened) {
      if (errno != ENOENT || dir.depth == 0) {
        if (dir.depth == 0) {
          root_failed_ = true;
        }
        record_error(
            OsError{errno, errno == EAGAIN ? "walk (directory replaced while walking)" : "open directory", path});
      }
      return;
    }
    auto info = stat_fd(opened.get());
    if (!info) {
      record_error(OsError{info.error().code, "stat", path});
      return;
    }
    if (info->ino != dir.node->ino || info->dev != dir.node->dev) {
      record_error(OsError{EAGAIN, "walk (directory replaced while walking)", path});
      return;
    }
    ++counts_[worker].directories;
    count_progress(*info);
    const int parent_fd = dir.parent_fd ? dir.parent_fd->get() : -1;
    visit_(
        WalkEntry{parent_fd, dir.node->name.c_str(), opened.get(), &*info, dir.parent_path.get(), dir.depth, worker});
    dir.parent_fd.reset();  // lets the parent's fd close as soon as possible
    list(std::move(opened), dir.node, std::make_shared<const std::string>(path), dir.depth + 1, worker, found);
  }

  void list(UniqueFd opened, const std::shared_ptr<const DirNode>& node, const std::shared_ptr<const std::string>& path,
            unsigned depth, unsigned worker, std::vector<PendingDir>& found) {
    const int dfd = opened.get();
    // The fd is shared with pending children only while the walk is within its fd budget.
    std::shared_ptr<UniqueFd> shared;
    bool shared_decided = false;
    alignas(LinuxDirent64) std::array<char, 32768> buf;  // not zero-filled: getdents64 fills it
    for (;;) {
      const long n = ::syscall(SYS_getdents64, dfd, buf.data(), buf.size());
      if (n < 0) {
        if (errno == EINTR) {
          continue;
        }
        record_error(OsError{errno, "list directory", *path});
        break;
      }
      if (n == 0) {
        break;
      }
      for (long off = 0; off < n;) {
        const auto* d = reinterpret_cast<const LinuxDirent64*>(buf.data() + off);
        off += d->d_reclen;
        const char* name = d->d_name;
        if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))) {
          continue;
        }
        auto info = stat_at(dfd, name);
        if (!info) {
          if (info.error().code != ENOENT) {
            record_error(OsError{info.error().code, "stat", join_path(*path, name)});
          }
          continue;
        }
        // A mount point (a directory, or a file bind-mounted over an entry): reported, left alone.
        if (!on_mount_of(*info, root_dev_, root_mnt_id_)) {
          std::lock_guard lock(mutex_);
          summary_.mounts_skipped.push_back(join_path(*path, name));
          continue;
        }
        if (info->is_dir()) {
          if (!shared_decided) {
            shared_decided = true;
            if (held_fds_.fetch_add(1) < budget_) {
              shared = std::shared_ptr<UniqueFd>(new UniqueFd(dfd), [this](UniqueFd* p) {
                delete p;
                held_fds_.fetch_sub(1);
              });
              (void)opened.release();
            } else {
              held_fds_.fetch_sub(1);
            }
          }
          found.push_back(
              PendingDir{shared, std::make_shared<const DirNode>(node, name, info->ino, info->dev), path, depth});
          continue;
        }
        ++counts_[worker].others;
        count_progress(*info);
        visit_(WalkEntry{dfd, name, -1, &*info, path.get(), depth, worker});
      }
    }
  }

  void count_progress(const FileInfo& info) const {
    if (options_.progress != nullptr) {
      options_.progress->entries.fetch_add(1, std::memory_order_relaxed);
      options_.progress->bytes.fetch_add(info.blocks * 512, std::memory_order_relaxed);
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
  std::shared_ptr<UniqueFd> root_parent_;
  std::shared_ptr<const DirNode> root_node_;
  const std::size_t budget_ = fd_budget();
  std::atomic<std::size_t> held_fds_{0};
  // One cache line per thread: counters shared by both threads would bounce on every entry.
  struct alignas(64) Counts {
    std::uint64_t directories = 0;
    std::uint64_t others = 0;
  };
  std::vector<Counts> counts_;
  WalkSummary summary_;
};

}  // namespace

Result<WalkSummary> walk_tree(std::string_view root, const WalkOptions& options, const WalkVisitor& visit) {
  Walker walker(options, visit);
  return walker.run(root);
}

}  // namespace aicactl::os
