// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/plan/shared_acl.hpp"

#include <sys/stat.h>

#include "aicactl/os/fs.hpp"

namespace aicactl::core {

std::uint16_t shared_perm(mode_t mode) {
  if (S_ISDIR(mode) || (mode & S_IXUSR) != 0U) {
    return 7;
  }
  return 6;
}

os::Acl want_access_acl(const std::optional<os::Acl>& current, mode_t mode, gid_t gid) {
  os::Acl acl = current.value_or(os::Acl::from_mode(mode));
  const auto perm = shared_perm(mode);
  acl.set(os::AclTag::group_obj, os::kAclUndefinedId, perm);
  acl.set(os::AclTag::group, gid, perm);
  acl.recalculate_mask();
  return acl;
}

os::Acl want_default_acl(const std::optional<os::Acl>& current, mode_t mode, gid_t gid) {
  os::Acl acl;
  if (current) {
    acl = *current;
  } else {
    acl = os::Acl::from_mode(mode);
    acl.set(os::AclTag::user_obj, os::kAclUndefinedId, 7);
  }
  acl.set(os::AclTag::group_obj, os::kAclUndefinedId, 7);
  acl.set(os::AclTag::group, gid, 7);
  acl.recalculate_mask();
  return acl;
}

bool acl_supported_at(std::string path) {
  while (path.size() > 1) {
    auto fd = os::open_dir(path);
    if (fd) {
      auto r = os::get_xattr_at(fd->get(), "", os::acl_xattr_name(os::AclKind::default_), path);
      return r.has_value() || (r.error().code != EOPNOTSUPP && r.error().code != ENOTSUP);
    }
    path = path.substr(0, path.find_last_of('/'));
  }
  return true;
}

}  // namespace aicactl::core
