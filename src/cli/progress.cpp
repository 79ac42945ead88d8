// SPDX-License-Identifier: Apache-2.0
#include "aicactl/cli/progress.hpp"

#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "aicactl/core/ops/disk.hpp"
#include "aicactl/os/text.hpp"

namespace aicactl::cli {
namespace {

constexpr auto kRedraw = std::chrono::milliseconds(250);

std::chrono::milliseconds delay_from_environment() {
  const char* env = std::getenv("AICACTL_PROGRESS_AFTER_MS");
  unsigned ms = 1000;
  if (env != nullptr) {
    const std::string_view text(env);
    (void)std::from_chars(text.data(), text.data() + text.size(), ms);
  }
  return std::chrono::milliseconds(ms);
}

}  // namespace

ProgressDisplay::ProgressDisplay(const GlobalOptions& options, std::string what)
    : enabled_(!options.json && !options.quiet && ::isatty(STDERR_FILENO) == 1),
      what_(std::move(what)),
      after_(delay_from_environment()) {
  if (enabled_) {
    thread_ = std::jthread([this](const std::stop_token& stop) { run(stop); });
  }
}

ProgressDisplay::~ProgressDisplay() {
  if (!enabled_) {
    return;
  }
  thread_.request_stop();
  wake_.notify_all();
  thread_.join();
  if (std::chrono::steady_clock::now() - start_ >= after_) {
    draw();  // the final count, so even a walk shorter than a redraw shows once
  }
  if (drawn_) {
    (void)std::fputs("\r\033[K", stderr);  // the results follow on a clean line
    (void)std::fflush(stderr);
  }
}

void ProgressDisplay::run(const std::stop_token& stop) {
  std::unique_lock lock(mutex_);
  (void)wake_.wait_for(lock, stop, after_, [] { return false; });  // woken early only to stop
  while (!stop.stop_requested()) {
    draw();
    (void)wake_.wait_for(lock, stop, kRedraw, [] { return false; });
  }
}

void ProgressDisplay::draw() {
  const std::uint64_t entries = progress_.entries.load(std::memory_order_relaxed);
  const std::uint64_t bytes = progress_.bytes.load(std::memory_order_relaxed);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const auto rate = seconds > 0 ? static_cast<std::uint64_t>(static_cast<double>(entries) / seconds) : entries;
  (void)std::fprintf(stderr, "\raicactl: %s: %llu entries, %s, %llu entries/s\033[K", what_.c_str(),
                     static_cast<unsigned long long>(entries), os::human_size(bytes).c_str(),
                     static_cast<unsigned long long>(rate));
  (void)std::fflush(stderr);
  drawn_ = true;
}

}  // namespace aicactl::cli
