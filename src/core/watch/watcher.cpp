// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/watch/watcher.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/fanotify.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>

#include <array>
#include <chrono>
#include <csignal>
#include <ctime>
#include <sstream>
#include <thread>

#include "aicactl/os/expected.hpp"
#include "aicactl/os/fs.hpp"
#include "aicactl/os/walk.hpp"

namespace aicactl::core::watch {
namespace {

constexpr std::uint64_t kMask = FAN_CREATE | FAN_MOVED_TO | FAN_MOVED_FROM | FAN_ATTRIB | FAN_ONDIR;
// Directory answers kept at most; the map is emptied when full (answers are cheap to find again).
constexpr std::size_t kMaxAnswers = 65536;
// Directory fds kept open with their answers (a burst lands in a few directories); the answers
// are emptied when this many are open.
constexpr std::size_t kMaxOpenDirs = 256;
// Deeper than any real tree: an ancestry walk gives up (outside) after this many levels.
constexpr int kMaxDepth = 4096;

double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string fd_path(int fd) {
  auto path = os::read_link("/proc/self/fd/" + std::to_string(fd));
  return path.empty() ? "(fd " + std::to_string(fd) + ")" : path;
}

}  // namespace

struct Watcher::Tree {
  std::string root;
  os::UniqueFd fd;
  os::FileInfo info;
  std::unique_ptr<EntryRepairer> repairer;
};

std::string render_state(const WatchStats& s, long pid) {
  std::ostringstream out;
  out << "pid " << pid << "\nstarted " << s.started << "\nupdated " << s.updated << "\nevents " << s.events
      << "\nrepaired " << s.repaired << "\ndropped " << s.dropped << "\noverflows " << s.overflows << "\npasses "
      << s.passes << "\nskipped " << s.skipped << "\nerrors " << s.errors << "\nlag_ms_last " << s.lag_ms_last
      << "\nlag_ms_max " << s.lag_ms_max << "\n";
  return out.str();
}

std::map<std::string, std::string> parse_state(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string key;
  std::string value;
  while (in >> key >> value) {
    out[key] = value;
  }
  return out;
}

std::optional<Check> watch_check(const std::string& lock_dir) {
  if (!os::lstat_path("/run/systemd/system").value_or(std::nullopt)) {
    return std::nullopt;
  }
  Check check{"cache watch (aicactl-cache-watch.service) runs", true, ""};
  if (!instance_running(os::join_path(lock_dir, kInstanceFile))) {
    check.ok = false;
    check.detail =
        "not running: files that tools create 0600 in the shared caches stay unshared until cron's "
        "'cache repair' (see 'systemctl status aicactl-cache-watch')";
    return check;
  }
  auto text = os::read_file(os::join_path(lock_dir, kStateFile));
  auto state = parse_state(text && *text ? **text : "");
  check.name += ": lag " + state["lag_ms_last"] + " ms (max " + state["lag_ms_max"] + " ms), " + state["repaired"] +
                " repaired, " + state["overflows"] + " overflows";
  return check;
}

os::Result<std::unique_ptr<Watcher>> Watcher::start(const std::vector<WatchTree>& trees) {
  auto fan = os::Fanotify::open();
  AICACTL_RETURN_IF_ERROR(fan);
  std::unique_ptr<Watcher> w(new Watcher(std::move(*fan)));
  std::optional<os::OsError> last_error;
  auto unwatched = [&](os::OsError err) {
    w->unwatched_.push_back(err.message());
    last_error = std::move(err);
  };
  for (const auto& t : trees) {
    auto fd = os::open_dir(t.root);
    if (!fd) {
      unwatched(fd.error());
      continue;
    }
    auto info = os::stat_fd(fd->get());
    auto fsid = os::fanotify_fsid(fd->get());
    if (!info || !fsid) {
      unwatched(info ? fsid.error() : info.error());
      continue;
    }
    if (!w->mount_fds_.contains(*fsid)) {
      if (auto marked = w->fan_.mark_filesystem(fd->get(), kMask, t.root); !marked) {
        unwatched(marked.error());
        continue;
      }
      w->mount_fds_[*fsid] = fd->get();
    }
    auto tree = std::make_unique<Tree>();
    tree->root = t.root;
    tree->fd = std::move(*fd);
    tree->info = *info;
    tree->repairer = std::make_unique<EntryRepairer>(t.policy);
    w->trees_.push_back(std::move(tree));
  }
  if (w->trees_.empty()) {
    return std::unexpected(last_error.value_or(os::OsError{ENOENT, "find a shared tree to watch", ""}));
  }
  return w;
}

Watcher::Watcher(os::Fanotify fan) : fan_(std::move(fan)) {}

Watcher::~Watcher() = default;

int Watcher::fd() const {
  return fan_.fd();
}

void Watcher::forget() {
  answers_.clear();
  open_dirs_ = 0;
  for (auto& tree : trees_) {
    tree->repairer = std::make_unique<EntryRepairer>(tree->repairer->policy());
  }
}

bool Watcher::handle_pending(const std::function<void(const std::string&)>& on_error) {
  std::vector<os::FanEvent> events;
  if (auto r = fan_.read(events); !r) {
    ++stats_.errors;
    on_error(r.error().message());
  }
  bool overflow = false;
  for (const auto& ev : events) {
    ++stats_.events;
    if ((ev.mask & FAN_Q_OVERFLOW) != 0U) {
      ++stats_.overflows;
      overflow = true;
      continue;
    }
    handle(ev, on_error);
  }
  return overflow;
}

// Whether the directory of `ev` lies below a tree: its ancestry ("..", never leaving the file
// system) is compared with the trees' roots once, and the answer kept for its handle.
const Watcher::DirAnswer& Watcher::classify(const os::FanEvent& ev, int mount_fd) {
  if (auto it = answers_.find(ev.handle); it != answers_.end()) {
    return it->second;
  }
  if (answers_.size() >= kMaxAnswers || open_dirs_ >= kMaxOpenDirs) {
    answers_.clear();
    open_dirs_ = 0;
  }
  static const DirAnswer kOutside{};
  auto fd = os::open_dir_by_handle(mount_fd, ev.handle, O_RDONLY);
  if (!fd) {
    return kOutside;  // gone (ESTALE): nothing to repair, nothing worth remembering
  }
  DirAnswer answer;
  auto info = os::stat_fd(fd->get());
  os::UniqueFd cur;
  int cur_fd = fd->get();
  for (int depth = 0; info && depth < kMaxDepth && answer.tree < 0; ++depth) {
    for (std::size_t i = 0; i < trees_.size(); ++i) {
      if (trees_[i]->info.dev == info->dev && trees_[i]->info.ino == info->ino) {
        answer.tree = static_cast<int>(i);
      }
    }
    if (answer.tree >= 0) {
      break;
    }
    const int parent = ::openat(cur_fd, "..", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (parent < 0) {
      break;
    }
    os::UniqueFd parent_fd(parent);
    auto parent_info = os::stat_fd(parent);
    if (!parent_info || parent_info->dev != info->dev || parent_info->ino == info->ino) {
      break;  // the file system's (or the mount's) top
    }
    cur = std::move(parent_fd);
    cur_fd = cur.get();
    info = parent_info;
  }
  if (answer.tree >= 0) {
    answer.path = fd_path(fd->get());
    answer.fd = std::make_shared<os::UniqueFd>(std::move(*fd));
    ++open_dirs_;
  }
  return answers_.emplace(ev.handle, std::move(answer)).first->second;
}

void Watcher::handle(const os::FanEvent& ev, const std::function<void(const std::string&)>& on_error) {
  if ((ev.mask & FAN_ONDIR) != 0U && (ev.mask & (FAN_MOVED_FROM | FAN_MOVED_TO)) != 0U) {
    answers_.clear();  // a directory moved: the ancestry of everything below it changed
    open_dirs_ = 0;
  }
  if ((ev.mask & (FAN_CREATE | FAN_MOVED_TO | FAN_ATTRIB)) == 0U || ev.handle.empty() || ev.name.empty()) {
    ++stats_.dropped;
    return;
  }
  auto mount = mount_fds_.find(ev.fsid);
  if (mount == mount_fds_.end()) {
    ++stats_.dropped;
    return;
  }
  // A copy: a directory moved in below clears the answers while this entry is repaired.
  const DirAnswer answer = classify(ev, mount->second);
  if (answer.tree < 0 || !answer.fd) {
    ++stats_.dropped;
    return;
  }
  Tree& tree = *trees_[static_cast<std::size_t>(answer.tree)];
  const os::UniqueFd& dirfd = *answer.fd;
  const bool self = ev.name == ".";
  auto info = self ? os::stat_fd(dirfd.get()) : os::stat_at(dirfd.get(), ev.name.c_str());
  if (!info || !os::on_mount_of(*info, tree.info.dev, tree.info.mnt_id)) {
    ++stats_.dropped;  // gone already, or a mount point (a bind mount is not entered)
    return;
  }
  os::UniqueFd own;
  os::WalkEntry entry;
  entry.dirfd = dirfd.get();
  entry.name = ev.name.c_str();
  entry.info = &*info;
  entry.dir_path = &answer.path;
  entry.depth = 1;
  if (self) {
    entry.fd = dirfd.get();
  } else if (info->is_dir()) {
    auto fd = os::open_dir_at(dirfd.get(), ev.name.c_str(), ev.name);
    if (!fd) {
      ++stats_.dropped;
      return;
    }
    auto again = os::stat_fd(fd->get());
    if (!again || again->ino != info->ino || again->dev != info->dev) {
      ++stats_.dropped;  // replaced between the stat and the open
      return;
    }
    own = std::move(*fd);
    entry.fd = own.get();
  }
  const RepairResult r = tree.repairer->repair(entry);
  stats_.skipped += r.skipped.size();
  stats_.errors += r.errors.size();
  for (const auto& e : r.errors) {
    on_error(e);
  }
  if (r.changed > 0) {
    ++stats_.repaired;
    const double ctime_ms = static_cast<double>(info->ctime_sec) * 1e3 + static_cast<double>(info->ctime_nsec) / 1e6;
    stats_.lag_ms_last = std::max(0.0, now_ms() - ctime_ms);
    stats_.lag_ms_max = std::max(stats_.lag_ms_max, stats_.lag_ms_last);
  }
  // A directory moved in brings its content without an event for each entry.
  if (!self && info->is_dir() && (ev.mask & FAN_MOVED_TO) != 0U) {
    RepairPolicy policy = tree.repairer->policy();
    const RepairResult sub = repair_tree(entry.path(), policy, DryRun::no);
    stats_.repaired += sub.changed;
    stats_.skipped += sub.skipped.size();
    stats_.errors += sub.errors.size();
    for (const auto& e : sub.errors) {
      on_error(e);
    }
  }
}

os::Result<os::UniqueFd> claim_instance(const std::string& file) {
  os::UniqueFd fd(::open(file.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) {
    return os::fail("open", file);
  }
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    return os::fail("lock", file);
  }
  return fd;
}

bool instance_running(const std::string& file) {
  const os::UniqueFd fd(::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) {
    return false;
  }
  if (::flock(fd.get(), LOCK_SH | LOCK_NB) != 0) {
    return errno == EWOULDBLOCK;
  }
  ::flock(fd.get(), LOCK_UN);
  return false;
}

os::Result<void> run_loop(Watcher& watcher, const LoopHooks& hooks) {
  sigset_t stop{};
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGHUP);
  if (::sigprocmask(SIG_BLOCK, &stop, nullptr) != 0) {
    return os::fail("block signals", "");
  }
  const os::UniqueFd sigfd(::signalfd(-1, &stop, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!sigfd) {
    return os::fail("open a signalfd", "");
  }
  WatchStats& stats = watcher.stats();
  auto save = [&] {
    stats.updated = std::time(nullptr);
    hooks.save_state(stats);
  };
  save();
  if (hooks.pause_ms > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(hooks.pause_ms));
  }
  auto last_save = std::chrono::steady_clock::now();
  auto last_forget = last_save;
  std::uint64_t saved_events = stats.events;
  for (;;) {
    std::array<pollfd, 2> fds{pollfd{watcher.fd(), POLLIN, 0}, pollfd{sigfd.get(), POLLIN, 0}};
    const int n = ::poll(fds.data(), fds.size(), hooks.save_every_ms);
    if (n < 0 && errno != EINTR) {
      return os::fail("wait for events", "");
    }
    if ((fds[1].revents & POLLIN) != 0) {
      break;
    }
    if ((fds[0].revents & POLLIN) != 0 && watcher.handle_pending(hooks.on_error)) {
      hooks.on_overflow();
    }
    const auto now = std::chrono::steady_clock::now();
    const auto since = std::chrono::duration_cast<std::chrono::milliseconds>(now - last_save).count();
    if (now - last_forget >= std::chrono::seconds(Watcher::kForgetSeconds)) {
      watcher.forget();
      last_forget = now;
    }
    if ((stats.events != saved_events && since >= hooks.save_every_ms) || since >= hooks.idle_save_ms) {
      save();
      last_save = now;
      saved_events = stats.events;
    }
  }
  save();
  return {};
}

}  // namespace aicactl::core::watch
