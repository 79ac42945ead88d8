// SPDX-License-Identifier: Apache-2.0
// A one-line progress display on stderr for walks over large trees (entries, bytes, rate).
// Only on a terminal, never with --json or -q, and only once the walk has run for about a
// second; redrawn in place a few times a second and cleared when the walk ends.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "aicactl/cli/context.hpp"
#include "aicactl/os/walk.hpp"

namespace aicactl::cli {

class ProgressDisplay {
 public:
  // `what` names the work ("cache repair"). AICACTL_PROGRESS_AFTER_MS replaces the one-second
  // delay (tests use 0).
  ProgressDisplay(const GlobalOptions& options, std::string what);
  ProgressDisplay(const ProgressDisplay&) = delete;
  ProgressDisplay& operator=(const ProgressDisplay&) = delete;
  ProgressDisplay(ProgressDisplay&&) = delete;
  ProgressDisplay& operator=(ProgressDisplay&&) = delete;
  ~ProgressDisplay();

  // What the walk counts into; nullptr when there is no display (the walk then counts nothing).
  [[nodiscard]] os::WalkProgress* counter() { return enabled_ ? &progress_ : nullptr; }

 private:
  void draw();
  void run(const std::stop_token& stop);

  bool enabled_ = false;
  bool drawn_ = false;
  std::string what_;
  std::chrono::milliseconds after_{1000};
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  os::WalkProgress progress_;
  std::mutex mutex_;
  std::condition_variable_any wake_;
  std::jthread thread_;
};

}  // namespace aicactl::cli
