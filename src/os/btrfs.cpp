// SPDX-License-Identifier: Apache-2.0
#include "aicactl/os/btrfs.hpp"

#include <linux/btrfs.h>
#include <linux/btrfs_tree.h>
#include <linux/magic.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <cstdio>
#include <cstring>

namespace aicactl::os {

namespace {

constexpr std::uint64_t kFirstFreeObjectId = 256;  // BTRFS_FIRST_FREE_OBJECTID: a subvolume's root inode

Result<void> copy_name(char* dst, std::size_t size, const std::string& name, std::string_view shown) {
  if (name.empty() || name.size() >= size || name.find('/') != std::string::npos || name == "." || name == "..") {
    return fail("use the subvolume name", std::string(shown), EINVAL);
  }
  std::memcpy(dst, name.data(), name.size());
  dst[name.size()] = '\0';
  return {};
}

}  // namespace

Result<std::string> fs_type_name(int fd) {
  struct statfs sf {};
  if (::fstatfs(fd, &sf) != 0) {
    return fail("read the file system type of", "");
  }
  switch (static_cast<unsigned long>(sf.f_type)) {
    case BTRFS_SUPER_MAGIC: return "btrfs";
    case EXT4_SUPER_MAGIC: return "ext4";
    case TMPFS_MAGIC: return "tmpfs";
    case XFS_SUPER_MAGIC: return "xfs";
    case OVERLAYFS_SUPER_MAGIC: return "overlayfs";
    case NFS_SUPER_MAGIC: return "nfs";
    default: {
      char hex[32];
      (void)std::snprintf(hex, sizeof hex, "0x%lx", static_cast<unsigned long>(sf.f_type));
      return std::string(hex);
    }
  }
}

Result<bool> is_btrfs(int fd) {
  struct statfs sf {};
  if (::fstatfs(fd, &sf) != 0) {
    return fail("read the file system type of", "");
  }
  return static_cast<unsigned long>(sf.f_type) == BTRFS_SUPER_MAGIC;
}

Result<bool> is_subvolume(int fd) {
  auto btrfs = is_btrfs(fd);
  if (!btrfs || !*btrfs) {
    return btrfs;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    return fail("stat", "");
  }
  return S_ISDIR(st.st_mode) && st.st_ino == kFirstFreeObjectId;
}

Result<void> create_subvolume(int parent_fd, const std::string& name, std::string_view shown) {
  btrfs_ioctl_vol_args args{};
  if (auto r = copy_name(args.name, sizeof args.name, name, shown); !r) {
    return r;
  }
  if (::ioctl(parent_fd, BTRFS_IOC_SUBVOL_CREATE, &args) != 0) {
    return fail("create subvolume", std::string(shown));
  }
  return {};
}

Result<void> snapshot_subvolume(int source_fd, int parent_fd, const std::string& name, SnapshotMode mode,
                                std::string_view shown) {
  btrfs_ioctl_vol_args_v2 args{};
  args.fd = source_fd;
  args.flags = mode == SnapshotMode::read_only ? BTRFS_SUBVOL_RDONLY : 0;
  if (auto r = copy_name(args.name, sizeof args.name, name, shown); !r) {
    return r;
  }
  if (::ioctl(parent_fd, BTRFS_IOC_SNAP_CREATE_V2, &args) != 0) {
    return fail("create snapshot", std::string(shown));
  }
  return {};
}

Result<void> set_subvolume_read_only(int fd, bool read_only, std::string_view shown) {
  std::uint64_t flags = 0;
  if (::ioctl(fd, BTRFS_IOC_SUBVOL_GETFLAGS, &flags) != 0) {
    return fail("read the flags of subvolume", std::string(shown));
  }
  flags = read_only ? (flags | BTRFS_SUBVOL_RDONLY) : (flags & ~std::uint64_t{BTRFS_SUBVOL_RDONLY});
  if (::ioctl(fd, BTRFS_IOC_SUBVOL_SETFLAGS, &flags) != 0) {
    return fail("set the flags of subvolume", std::string(shown));
  }
  return {};
}

Result<void> delete_subvolume(int parent_fd, const std::string& name, std::string_view shown) {
  btrfs_ioctl_vol_args args{};
  if (auto r = copy_name(args.name, sizeof args.name, name, shown); !r) {
    return r;
  }
  if (::ioctl(parent_fd, BTRFS_IOC_SNAP_DESTROY, &args) != 0) {
    return fail("delete subvolume", std::string(shown));
  }
  return {};
}

Result<std::uint64_t> subvolume_id(int fd) {
  btrfs_ioctl_ino_lookup_args args{};
  args.treeid = 0;
  args.objectid = kFirstFreeObjectId;
  if (::ioctl(fd, BTRFS_IOC_INO_LOOKUP, &args) != 0) {
    return fail("look up the subvolume id of", "");
  }
  return static_cast<std::uint64_t>(args.treeid);
}

Result<void> enable_quota(int fd, std::string_view shown) {
  btrfs_ioctl_quota_ctl_args args{};
  args.cmd = BTRFS_QUOTA_CTL_ENABLE;
  if (::ioctl(fd, BTRFS_IOC_QUOTA_CTL, &args) != 0 && errno != EEXIST) {
    return fail("enable quotas on", std::string(shown));
  }
  return {};
}

Result<void> limit_qgroup(int fd, std::uint64_t subvol_id, std::uint64_t max_bytes, std::string_view shown) {
  btrfs_ioctl_qgroup_limit_args args{};
  args.qgroupid = subvol_id;  // level 0: 0/<subvol_id>
  args.lim.flags = BTRFS_QGROUP_LIMIT_MAX_RFER;
  args.lim.max_rfer = max_bytes == 0 ? ~std::uint64_t{0} : max_bytes;
  if (::ioctl(fd, BTRFS_IOC_QGROUP_LIMIT, &args) != 0) {
    return fail("set the quota of", std::string(shown));
  }
  return {};
}

Result<QgroupUsage> qgroup_usage(int fd, std::uint64_t subvol_id) {
  QgroupUsage usage;
  bool found = false;
  for (const std::uint32_t type : {std::uint32_t{BTRFS_QGROUP_INFO_KEY}, std::uint32_t{BTRFS_QGROUP_LIMIT_KEY}}) {
    btrfs_ioctl_search_args args{};
    args.key.tree_id = BTRFS_QUOTA_TREE_OBJECTID;
    args.key.min_objectid = 0;
    args.key.max_objectid = 0;
    args.key.min_type = type;
    args.key.max_type = type;
    args.key.min_offset = subvol_id;
    args.key.max_offset = subvol_id;
    args.key.max_transid = ~std::uint64_t{0};
    args.key.nr_items = 1;
    if (::ioctl(fd, BTRFS_IOC_TREE_SEARCH, &args) != 0) {
      return fail("read the quota tree of", "");
    }
    if (args.key.nr_items == 0) {
      continue;
    }
    btrfs_ioctl_search_header header{};
    std::memcpy(&header, args.buf, sizeof header);
    const char* item = args.buf + sizeof header;
    std::uint64_t fields[2] = {0, 0};
    if (header.len >= sizeof fields) {
      std::memcpy(fields, item, sizeof fields);  // little-endian on every host aicactl runs on
    }
    if (type == BTRFS_QGROUP_INFO_KEY) {
      usage.referenced = fields[1];  // generation, rfer
      found = true;
    } else if ((fields[0] & BTRFS_QGROUP_LIMIT_MAX_RFER) != 0 && fields[1] != ~std::uint64_t{0}) {
      usage.limit = fields[1];  // flags, max_rfer
    }
  }
  if (!found) {
    return fail("find the qgroup of", "", ENOENT);
  }
  return usage;
}

}  // namespace aicactl::os
