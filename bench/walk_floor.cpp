// aicactl_walk_floor [--threads N] DIR: walks DIR with os::walk_tree and does nothing else.
// The walker lists every directory (getdents64) and statx's every entry, so this is the cost
// floor that `aicactl cache repair` is measured against: a no-op repair should come close.
#include <atomic>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>

#include "aicactl/os/walk.hpp"

namespace {

int usage() {
  std::fputs("usage: aicactl_walk_floor [--threads N] DIR\n", stderr);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  unsigned threads = 2;
  std::string dir;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg(argv[i]);
    if (arg == "--threads" && i + 1 < argc) {
      const std::string_view value(argv[++i]);
      const auto res = std::from_chars(value.data(), value.data() + value.size(), threads);
      if (res.ec != std::errc{} || res.ptr != value.data() + value.size() || threads == 0) {
        return usage();
      }
    } else if (dir.empty() && !arg.starts_with("-")) {
      dir = arg;
    } else {
      return usage();
    }
  }
  if (dir.empty()) {
    return usage();
  }
  // The walker wants an absolute path; do not resolve symlinks (a symlink root must fail).
  std::error_code ec;
  dir = std::filesystem::absolute(dir, ec).string();
  while (dir.size() > 1 && dir.back() == '/') {
    dir.pop_back();
  }
  std::atomic<std::uint64_t> seen{0};
  auto summary = aicactl::os::walk_tree(dir, aicactl::os::WalkOptions{threads}, [&seen](const aicactl::os::WalkEntry&) {
    seen.fetch_add(1, std::memory_order_relaxed);
  });
  if (!summary) {
    std::fprintf(stderr, "aicactl_walk_floor: %s\n", summary.error().message().c_str());
    return 1;
  }
  std::printf("%llu entries (%llu directories, %llu others), %zu errors, threads %u\n",
              static_cast<unsigned long long>(seen.load()), static_cast<unsigned long long>(summary->directories),
              static_cast<unsigned long long>(summary->others), summary->errors.size(), threads);
  return summary->errors.empty() ? 0 : 1;
}
