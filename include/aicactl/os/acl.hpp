// SPDX-License-Identifier: Apache-2.0
// POSIX ACLs in the kernel's xattr format (system.posix_acl_access / _default), read and
// written relative to a directory fd so that a symlink is never followed.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aicactl/os/error.hpp"

namespace aicactl::os {

enum class AclTag : std::uint16_t {
  user_obj = 0x01,
  user = 0x02,
  group_obj = 0x04,
  group = 0x08,
  mask = 0x10,
  other = 0x20
};
enum class AclKind { access, default_ };

inline constexpr std::uint32_t kAclUndefinedId = 0xffffffffU;

struct AclEntry {
  AclTag tag = AclTag::user_obj;
  std::uint16_t perm = 0;  // rwx bits: 4 2 1
  std::uint32_t id = kAclUndefinedId;
  bool operator==(const AclEntry&) const = default;
};

// An ACL kept in the kernel's canonical order (by tag, then id).
class Acl {
 public:
  Acl() = default;
  // The minimal ACL that a mode implies (user::, group::, other::).
  static Acl from_mode(mode_t mode);
  // Parses the xattr value; fails with EINVAL on a malformed value.
  static Result<Acl> decode(std::string_view xattr);
  [[nodiscard]] std::string encode() const;

  // Sets (adds or replaces) one entry.
  void set(AclTag tag, std::uint32_t id, std::uint16_t perm);
  [[nodiscard]] std::optional<std::uint16_t> get(AclTag tag, std::uint32_t id = kAclUndefinedId) const;
  // Sets the mask to the union of all group-class entries (what setfacl does); adds one when
  // named entries exist.
  void recalculate_mask();
  [[nodiscard]] bool is_minimal() const;
  [[nodiscard]] const std::vector<AclEntry>& entries() const { return entries_; }
  // The permission bits that the kernel derives from this ACL (u, mask-or-group, o).
  [[nodiscard]] mode_t mode_bits() const;
  // "user::rwx,group::r-x,group:1000:rwx,mask::rwx,other::r-x" (numeric ids).
  [[nodiscard]] std::string to_short_text() const;
  bool operator==(const Acl&) const = default;

 private:
  std::vector<AclEntry> entries_;
};

[[nodiscard]] const char* acl_xattr_name(AclKind kind);
// "rwx", "r-x", ... of the permission bits 4 2 1.
[[nodiscard]] std::string perm_text(std::uint16_t perm);

// Reads the ACL of `name` below `dirfd` ("" = dirfd itself). An access ACL that is not stored
// is returned as nullopt (the mode is the ACL); so is a missing default ACL.
[[nodiscard]] Result<std::optional<Acl>> get_acl_at(int dirfd, const char* name, AclKind kind, std::string_view shown);
[[nodiscard]] Result<void> set_acl_at(int dirfd, const char* name, AclKind kind, const Acl& acl,
                                      std::string_view shown);

// Whether the file system holding `dirfd` stores POSIX ACLs: tries a default ACL on a scratch
// directory it creates and removes below `dirfd`.
[[nodiscard]] Result<bool> probe_acl_support(int dirfd, std::string_view shown);

}  // namespace aicactl::os
