// SPDX-License-Identifier: Apache-2.0
// aicactl_walk_floor [--threads N] [--first-run-syscalls GID] DIR
//
// Without --first-run-syscalls: walks DIR with os::walk_tree and does nothing else. The walker
// lists every directory (getdents64) and statx's every entry, so this is the cost floor that a
// no-op `aicactl cache repair` is measured against.
//
// With --first-run-syscalls GID: the floor of a first repair. On the same walk it makes exactly
// the calls that `cache repair` makes on a plain tree, with values computed once, not per entry:
// directories get fchown, fchmod (setgid, g+rwx), both ACLs read and both written; regular files
// get fchownat, their access ACL read and written (group GID rw, as for 0644 files). It changes
// DIR: run it on a tree made for it.
#include <sys/stat.h>

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "aicactl/os/acl.hpp"
#include "aicactl/os/fs.hpp"
#include "aicactl/os/walk.hpp"

namespace {

namespace os = aicactl::os;

int usage() {
  std::fputs("usage: aicactl_walk_floor [--threads N] [--first-run-syscalls GID] DIR\n", stderr);
  return 2;
}

template <class T>
bool parse_number(std::string_view value, T& out) {
  const auto res = std::from_chars(value.data(), value.data() + value.size(), out);
  return res.ec == std::errc{} && res.ptr == value.data() + value.size();
}

std::string shared_acl(mode_t mode, gid_t gid, std::uint16_t perm) {
  os::Acl acl = os::Acl::from_mode(mode);
  acl.set(os::AclTag::group, gid, perm);
  acl.recalculate_mask();
  return acl.encode();
}

// One cache line per walker thread, as in cache repair.
struct alignas(64) Count {
  std::uint64_t entries = 0;
  std::uint64_t failed = 0;
};

}  // namespace

int main(int argc, char** argv) {
  unsigned threads = 2;
  bool first_run = false;
  gid_t gid = 0;
  std::string dir;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg(argv[i]);
    if (arg == "--threads" && i + 1 < argc) {
      if (!parse_number(argv[++i], threads) || threads == 0) {
        return usage();
      }
    } else if (arg == "--first-run-syscalls" && i + 1 < argc) {
      first_run = true;
      if (!parse_number(argv[++i], gid)) {
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
  const char* access = os::acl_xattr_name(os::AclKind::access);
  const char* dflt = os::acl_xattr_name(os::AclKind::default_);
  const std::string dir_acl = shared_acl(0775, gid, 7);
  const std::string file_acl = shared_acl(0664, gid, 6);
  std::vector<Count> counts(threads);
  auto summary = os::walk_tree(dir, os::WalkOptions{threads}, [&](const os::WalkEntry& e) {
    Count& c = counts[e.worker];
    ++c.entries;
    if (!first_run) {
      return;
    }
    bool ok = true;
    if (e.info->is_dir()) {
      ok = os::chown_fd(e.fd, static_cast<uid_t>(-1), gid, e.name).has_value() &&
           os::chmod_fd(e.fd, S_ISGID | 0775, e.name).has_value() && os::get_xattr_at(e.fd, "", access, e.name) &&
           os::get_xattr_at(e.fd, "", dflt, e.name) && os::set_xattr_at(e.fd, "", access, dir_acl, e.name) &&
           os::set_xattr_at(e.fd, "", dflt, dir_acl, e.name);
    } else if (e.info->is_regular()) {
      ok = os::chown_at(e.dirfd, e.name, static_cast<uid_t>(-1), gid, e.name).has_value() &&
           os::get_xattr_at(e.dirfd, e.name, access, e.name) &&
           os::set_xattr_at(e.dirfd, e.name, access, file_acl, e.name);
    }
    if (!ok) {
      ++c.failed;
    }
  });
  if (!summary) {
    std::fprintf(stderr, "aicactl_walk_floor: %s\n", summary.error().message().c_str());
    return 1;
  }
  Count total;
  for (const auto& c : counts) {
    total.entries += c.entries;
    total.failed += c.failed;
  }
  std::printf("%llu entries (%llu directories, %llu others), %zu errors, %llu failed changes, threads %u\n",
              static_cast<unsigned long long>(total.entries), static_cast<unsigned long long>(summary->directories),
              static_cast<unsigned long long>(summary->others), summary->errors.size(),
              static_cast<unsigned long long>(total.failed), threads);
  return summary->errors.empty() && total.failed == 0 ? 0 : 1;
}
