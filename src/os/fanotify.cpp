// SPDX-License-Identifier: Apache-2.0
#include "aicactl/os/fanotify.hpp"

#include <fcntl.h>
#include <sys/fanotify.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <vector>

namespace aicactl::os {
namespace {

std::uint64_t fsid_value(const __kernel_fsid_t& fsid) {
  std::uint64_t out = 0;
  static_assert(sizeof(out) == sizeof(fsid));
  std::memcpy(&out, &fsid, sizeof(out));
  return out;
}

// Parses one event's info records: the DFID_NAME record carries fsid, handle and name.
void parse_info(const char* p, const char* end, FanEvent& ev) {
  while (p + sizeof(fanotify_event_info_header) <= end) {
    fanotify_event_info_header hdr{};
    std::memcpy(&hdr, p, sizeof(hdr));
    if (hdr.len < sizeof(hdr) || p + hdr.len > end) {
      return;
    }
    if (hdr.info_type == FAN_EVENT_INFO_TYPE_DFID_NAME || hdr.info_type == FAN_EVENT_INFO_TYPE_DFID) {
      const char* rec_end = p + hdr.len;
      const char* q = p + sizeof(hdr);
      __kernel_fsid_t fsid{};
      std::memcpy(&fsid, q, sizeof(fsid));
      ev.fsid = fsid_value(fsid);
      q += sizeof(fsid);
      file_handle fh{};
      if (q + sizeof(fh) > rec_end) {
        return;
      }
      std::memcpy(&fh, q, sizeof(fh));
      const std::size_t hlen = sizeof(fh) + fh.handle_bytes;
      if (q + hlen > rec_end) {
        return;
      }
      ev.handle.assign(q, hlen);
      q += hlen;
      if (hdr.info_type == FAN_EVENT_INFO_TYPE_DFID_NAME && q < rec_end) {
        ev.name.assign(q, strnlen(q, static_cast<std::size_t>(rec_end - q)));
      }
    }
    p += hdr.len;
  }
}

}  // namespace

Result<Fanotify> Fanotify::open() {
  // Event fds are not asked for (FID mode), so no O_LARGEFILE: it is 0 on 64-bit targets anyway.
  const int fd =
      ::fanotify_init(FAN_CLASS_NOTIF | FAN_REPORT_DFID_NAME | FAN_CLOEXEC | FAN_NONBLOCK, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return fail("start fanotify", "");
  }
  return Fanotify(UniqueFd(fd));
}

Result<void> Fanotify::mark_filesystem(int dirfd, std::uint64_t mask, const std::string& shown) {
  if (::fanotify_mark(fd_.get(), FAN_MARK_ADD | FAN_MARK_FILESYSTEM, mask, dirfd, nullptr) != 0) {
    return fail("watch the file system of", shown);
  }
  return {};
}

Result<void> Fanotify::read(std::vector<FanEvent>& out) {
  alignas(fanotify_event_metadata) std::array<char, 65536> buf{};
  // A few buffers per call at most, so that a flood cannot keep the caller from its other work.
  for (int round = 0; round < 8; ++round) {
    const ssize_t n = ::read(fd_.get(), buf.data(), buf.size());
    if (n < 0) {
      if (errno == EAGAIN) {
        return {};
      }
      if (errno == EINTR) {
        continue;
      }
      return fail("read fanotify events", "");
    }
    const char* p = buf.data();
    const char* end = p + n;
    while (p + sizeof(fanotify_event_metadata) <= end) {
      fanotify_event_metadata md{};
      std::memcpy(&md, p, sizeof(md));
      if (md.event_len < sizeof(md) || p + md.event_len > end || md.vers != FANOTIFY_METADATA_VERSION) {
        break;
      }
      FanEvent ev;
      ev.mask = md.mask;
      if (md.fd >= 0) {
        ::close(md.fd);  // not asked for (FID mode); closed in case
      }
      parse_info(p + md.metadata_len, p + md.event_len, ev);
      out.push_back(std::move(ev));
      p += md.event_len;
    }
  }
  return {};
}

Result<std::uint64_t> fanotify_fsid(int fd) {
  struct statfs st {};
  if (::fstatfs(fd, &st) != 0) {
    return fail("statfs", "");
  }
  __kernel_fsid_t fsid{};
  static_assert(sizeof(fsid) == sizeof(st.f_fsid));
  std::memcpy(&fsid, &st.f_fsid, sizeof(fsid));
  return fsid_value(fsid);
}

Result<UniqueFd> open_dir_by_handle(int mount_fd, const std::string& handle, int flags) {
  if (handle.size() < sizeof(file_handle)) {
    return fail("open directory by handle", "", EINVAL);
  }
  // file_handle ends in a flexible array: copy into aligned storage of the right size.
  std::vector<std::uint64_t> storage((handle.size() + sizeof(std::uint64_t) - 1) / sizeof(std::uint64_t));
  std::memcpy(storage.data(), handle.data(), handle.size());
  auto* fh = reinterpret_cast<file_handle*>(storage.data());  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
  const int fd = ::open_by_handle_at(mount_fd, fh, flags | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    return fail("open directory by handle", "");
  }
  return UniqueFd(fd);
}

}  // namespace aicactl::os
