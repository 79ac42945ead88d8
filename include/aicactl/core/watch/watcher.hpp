// SPDX-License-Identifier: Apache-2.0
// cache watch: repairs each new, moved-in or changed entry of the shared trees as the kernel
// reports it (fanotify, whole file systems), with the rules of `cache repair` (core/repair) for
// one entry. Events outside the trees are dropped after one look at the directory's ancestry,
// whose answer is kept per directory handle. A queue overflow is reported to the caller, which
// runs one incremental `cache repair` pass instead.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "aicactl/core/cache/repair.hpp"
#include "aicactl/core/ops/doctor.hpp"
#include "aicactl/os/error.hpp"
#include "aicactl/os/fanotify.hpp"
#include "aicactl/os/fd.hpp"

namespace aicactl::core::watch {

struct WatchTree {
  std::string root;
  RepairPolicy policy;  // gid, group, use_acl
};

struct WatchStats {
  std::uint64_t events = 0;     // events read from the kernel
  std::uint64_t repaired = 0;   // entries changed
  std::uint64_t dropped = 0;    // events outside the trees, on entries gone or on other mounts
  std::uint64_t overflows = 0;  // queue overflows (each followed by a repair pass)
  std::uint64_t passes = 0;     // incremental repair passes (start, overflow)
  std::uint64_t skipped = 0;    // hard-linked files of non-members left alone
  std::uint64_t errors = 0;
  double lag_ms_last = 0;  // from the entry's ctime to its repair, for the last entry changed
  double lag_ms_max = 0;   // the same, the largest since the start
  std::int64_t started = 0;
  std::int64_t updated = 0;
};

// In the lock directory: the state the watcher saves, and the file it holds locked while it runs.
inline constexpr const char* kStateFile = "cache-watch.state";
inline constexpr const char* kInstanceFile = "cache-watch.lock";

// doctor's check: on a host booted with systemd (/run/systemd/system), whether the watcher runs
// (with its lag and counts); nullopt elsewhere (no service manager to run it).
[[nodiscard]] std::optional<Check> watch_check(const std::string& lock_dir);

// The state file (/run/aicactl/cache-watch.state): "key value" lines of WatchStats and the pid.
[[nodiscard]] std::string render_state(const WatchStats& stats, long pid);
// Parses it back; unknown keys are ignored, a bad value gives 0.
[[nodiscard]] std::map<std::string, std::string> parse_state(const std::string& text);

class Watcher {
 public:
  // Opens a fanotify group and marks the file system of every tree that exists. Fails when the
  // kernel has no fanotify (or this process lacks CAP_SYS_ADMIN) or no tree could be watched.
  static os::Result<std::unique_ptr<Watcher>> start(const std::vector<WatchTree>& trees);
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;
  ~Watcher();

  // The fd to poll for events.
  [[nodiscard]] int fd() const;
  // Reads and handles the queued events. Returns true when the queue overflowed (the caller
  // runs a repair pass: events were lost). `on_error` gets each failure's message.
  bool handle_pending(const std::function<void(const std::string&)>& on_error);
  [[nodiscard]] WatchStats& stats() { return stats_; }
  // Forgets the remembered answers (directories, group membership), so that a user added to or
  // removed from the group counts as such; run_loop calls it every kForgetSeconds.
  void forget();
  static constexpr int kForgetSeconds = 600;
  // The trees that could not be watched, each with why (e.g. a file system without handles).
  [[nodiscard]] const std::vector<std::string>& unwatched() const { return unwatched_; }

 private:
  struct Tree;
  struct DirAnswer {
    int tree = -1;  // index into trees_, -1: outside every tree
    std::string path;
    std::shared_ptr<os::UniqueFd> fd;  // kept open for directories inside a tree
  };
  explicit Watcher(os::Fanotify fan);
  void handle(const os::FanEvent& ev, const std::function<void(const std::string&)>& on_error);
  const DirAnswer& classify(const os::FanEvent& ev, int mount_fd);

  os::Fanotify fan_;
  std::vector<std::unique_ptr<Tree>> trees_;
  std::map<std::uint64_t, int> mount_fds_;  // fsid -> an fd on that file system (a tree's root)
  std::map<std::string, DirAnswer> answers_;
  std::size_t open_dirs_ = 0;  // answers_ holding an fd
  WatchStats stats_;
  std::vector<std::string> unwatched_;
};

// The watcher's instance lock: an exclusive flock on `file` (in the root-only lock directory;
// created 0600, never through a link) held while it runs. EWOULDBLOCK: another one runs.
[[nodiscard]] os::Result<os::UniqueFd> claim_instance(const std::string& file);
// Whether a watcher holds that lock now (false when the file is absent).
[[nodiscard]] bool instance_running(const std::string& file);

struct LoopHooks {
  std::function<void()> on_overflow;                  // runs a repair pass
  std::function<void(const std::string&)> on_error;   // logs
  std::function<void(const WatchStats&)> save_state;  // writes the state file
  int save_every_ms = 1000;                           // the state is saved at most this often while events come in
  int idle_save_ms = 30000;                           // and this often when nothing happens (a heartbeat)
  int pause_ms = 0;                                   // tests only: wait this long before the first read (a full queue)
};

// Handles events until SIGTERM, SIGINT or SIGHUP (blocked for the process and read from a
// signalfd), then saves the state once more. Fails only when the signals cannot be set up.
[[nodiscard]] os::Result<void> run_loop(Watcher& watcher, const LoopHooks& hooks);

}  // namespace aicactl::core::watch
