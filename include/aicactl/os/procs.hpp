// SPDX-License-Identifier: Apache-2.0
// The processes in /proc: who runs them (real, effective and saved uid) and their terminal, and
// ending them by pidfd, so a pid reused between the scan and the signal is never hit.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string_view>
#include <vector>

#include "aicactl/os/error.hpp"

namespace aicactl::os {

struct ProcInfo {
  pid_t pid = 0;
  uid_t ruid = 0;
  uid_t euid = 0;
  uid_t suid = 0;
  dev_t tty = 0;  // the controlling terminal (0: none)
};

// Every process in `proc_root` (normally /proc) whose status can be read; processes that end
// during the scan are left out. Kernel threads (no uid of their own) count as root's.
[[nodiscard]] Result<std::vector<ProcInfo>> list_processes(const char* proc_root = "/proc");

// Whether any of the process's uids is one `owned` accepts.
[[nodiscard]] bool runs_as(const ProcInfo& p, const std::function<bool(uid_t)>& owned);

struct EndResult {
  std::size_t terminated = 0;  // processes gone after SIGTERM
  std::size_t killed = 0;      // processes that needed SIGKILL
  std::size_t left = 0;        // still there after SIGKILL (e.g. in uninterruptible sleep)
};

// Sends SIGTERM to every process for which `owned` accepts one of its uids, waits up to
// `grace_ms` for them to end, then SIGKILLs the rest and waits up to a second more. Processes
// forked meanwhile are found by scanning again (up to a few rounds). Our own process is never
// signalled.
[[nodiscard]] Result<EndResult> end_processes(const std::function<bool(uid_t)>& owned, int grace_ms,
                                              const char* proc_root = "/proc");

// Writes `text` to the terminal device `tty` (a ProcInfo::tty: /dev/pts/N or /dev/ttyN) when that
// device belongs to `uid` (or to root, as a pty opened by su's caller does); never follows a
// link, never blocks, never becomes our terminal.
[[nodiscard]] Result<void> write_to_tty(dev_t tty, uid_t uid, std::string_view text);

}  // namespace aicactl::os
