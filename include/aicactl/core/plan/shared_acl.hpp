// SPDX-License-Identifier: Apache-2.0
// The ACLs that make a tree shared by one group: group:<gid> and group:: get rwX (x only for
// directories and files the owner may execute), the mask follows; other entries are kept.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "aicactl/os/acl.hpp"

namespace aicactl::core {

// The access ACL an entry should have, given its current ACL (nullopt = only the mode).
[[nodiscard]] os::Acl want_access_acl(const std::optional<os::Acl>& current, mode_t mode, gid_t gid);
// The default ACL a directory should have, given its current default ACL (nullopt = none).
[[nodiscard]] os::Acl want_default_acl(const std::optional<os::Acl>& current, mode_t mode, gid_t gid);
// The permission bits the group gets: rwx for dirs, rw- for files (+x if the owner has x).
[[nodiscard]] std::uint16_t shared_perm(mode_t mode);

// Read-only probe: does the file system at `path` (or its nearest existing ancestor) store
// POSIX ACLs? A file system without them answers EOPNOTSUPP to reading one.
[[nodiscard]] bool acl_supported_at(std::string path);

}  // namespace aicactl::core
