// SPDX-License-Identifier: Apache-2.0
#include "aicactl/os/acl.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <random>

#include "aicactl/os/fs.hpp"

namespace aicactl::os {
namespace {

constexpr std::uint32_t kAclVersion = 2;
constexpr std::size_t kHeaderSize = 4;
constexpr std::size_t kEntrySize = 8;

void put_u16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v & 0xffU));
  out.push_back(static_cast<char>((v >> 8U) & 0xffU));
}
void put_u32(std::string& out, std::uint32_t v) {
  for (unsigned shift = 0; shift < 32; shift += 8) {
    out.push_back(static_cast<char>((v >> shift) & 0xffU));
  }
}
std::uint32_t get_u32(std::string_view in, std::size_t at) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    v |= static_cast<std::uint32_t>(static_cast<unsigned char>(in[at + i])) << (8 * i);
  }
  return v;
}
std::uint16_t get_u16(std::string_view in, std::size_t at) {
  return static_cast<std::uint16_t>(static_cast<unsigned char>(in[at]) |
                                    (static_cast<unsigned>(static_cast<unsigned char>(in[at + 1])) << 8U));
}

bool is_valid_tag(std::uint16_t tag) {
  switch (tag) {
    case 0x01:
    case 0x02:
    case 0x04:
    case 0x08:
    case 0x10:
    case 0x20: return true;
    default: return false;
  }
}

}  // namespace

Acl Acl::from_mode(mode_t mode) {
  Acl acl;
  acl.entries_.reserve(5);  // room for a named entry and the mask without moving
  acl.entries_.assign({
      {AclTag::user_obj, static_cast<std::uint16_t>((mode >> 6U) & 7U), kAclUndefinedId},
      {AclTag::group_obj, static_cast<std::uint16_t>((mode >> 3U) & 7U), kAclUndefinedId},
      {AclTag::other, static_cast<std::uint16_t>(mode & 7U), kAclUndefinedId},
  });
  return acl;
}

Result<Acl> Acl::decode(std::string_view xattr) {
  if (xattr.size() < kHeaderSize || (xattr.size() - kHeaderSize) % kEntrySize != 0 ||
      get_u32(xattr, 0) != kAclVersion) {
    return fail("decode ACL", "", EINVAL);
  }
  Acl acl;
  for (std::size_t at = kHeaderSize; at < xattr.size(); at += kEntrySize) {
    const std::uint16_t tag = get_u16(xattr, at);
    if (!is_valid_tag(tag)) {
      return fail("decode ACL", "", EINVAL);
    }
    AclEntry e{static_cast<AclTag>(tag), static_cast<std::uint16_t>(get_u16(xattr, at + 2) & 7U),
               get_u32(xattr, at + 4)};
    if (e.tag != AclTag::user && e.tag != AclTag::group) {
      e.id = kAclUndefinedId;
    }
    acl.entries_.push_back(e);
  }
  return acl;
}

std::string Acl::encode() const {
  std::string out;
  out.reserve(kHeaderSize + entries_.size() * kEntrySize);
  put_u32(out, kAclVersion);
  for (const auto& e : entries_) {
    put_u16(out, static_cast<std::uint16_t>(e.tag));
    put_u16(out, e.perm);
    put_u32(out, e.id);
  }
  return out;
}

void Acl::set(AclTag tag, std::uint32_t id, std::uint16_t perm) {
  if (tag != AclTag::user && tag != AclTag::group) {
    id = kAclUndefinedId;
  }
  for (auto& e : entries_) {
    if (e.tag == tag && e.id == id) {
      e.perm = perm;
      return;
    }
  }
  AclEntry entry{tag, perm, id};
  auto pos = std::find_if(entries_.begin(), entries_.end(), [&](const AclEntry& e) {
    return static_cast<std::uint16_t>(e.tag) > static_cast<std::uint16_t>(tag) || (e.tag == tag && e.id > id);
  });
  entries_.insert(pos, entry);
}

std::optional<std::uint16_t> Acl::get(AclTag tag, std::uint32_t id) const {
  for (const auto& e : entries_) {
    if (e.tag == tag && e.id == id) {
      return e.perm;
    }
  }
  return std::nullopt;
}

void Acl::recalculate_mask() {
  std::uint16_t mask = 0;
  bool named = false;
  for (const auto& e : entries_) {
    if (e.tag == AclTag::group_obj || e.tag == AclTag::user || e.tag == AclTag::group) {
      mask = static_cast<std::uint16_t>(mask | e.perm);
    }
    named = named || e.tag == AclTag::user || e.tag == AclTag::group;
  }
  if (named || get(AclTag::mask)) {
    set(AclTag::mask, kAclUndefinedId, mask);
  }
}

bool Acl::is_minimal() const {
  return std::none_of(entries_.begin(), entries_.end(), [](const AclEntry& e) {
    return e.tag == AclTag::user || e.tag == AclTag::group || e.tag == AclTag::mask;
  });
}

mode_t Acl::mode_bits() const {
  const auto u = get(AclTag::user_obj).value_or(0);
  const auto g = get(AclTag::mask).value_or(get(AclTag::group_obj).value_or(0));
  const auto o = get(AclTag::other).value_or(0);
  return static_cast<mode_t>((static_cast<unsigned>(u) << 6U) | (static_cast<unsigned>(g) << 3U) | o);
}

std::string Acl::to_short_text() const {
  std::string out;
  for (const auto& e : entries_) {
    if (!out.empty())
      out += ',';
    switch (e.tag) {
      case AclTag::user_obj: out += "user::"; break;
      case AclTag::user: out += "user:" + std::to_string(e.id) + ":"; break;
      case AclTag::group_obj: out += "group::"; break;
      case AclTag::group: out += "group:" + std::to_string(e.id) + ":"; break;
      case AclTag::mask: out += "mask::"; break;
      case AclTag::other: out += "other::"; break;
    }
    out += perm_text(e.perm);
  }
  return out;
}

const char* acl_xattr_name(AclKind kind) {
  return kind == AclKind::access ? "system.posix_acl_access" : "system.posix_acl_default";
}

Result<std::optional<Acl>> get_acl_at(int dirfd, const char* name, AclKind kind, std::string_view shown) {
  auto raw = get_xattr_at(dirfd, name, acl_xattr_name(kind), shown);
  if (!raw) {
    if (raw.error().code == EOPNOTSUPP) {
      return std::optional<Acl>{};
    }
    return std::unexpected(raw.error());
  }
  if (!raw->has_value()) {
    return std::optional<Acl>{};
  }
  auto acl = Acl::decode(**raw);
  if (!acl) {
    return fail("decode ACL of", std::string(shown), EINVAL);
  }
  return std::optional<Acl>{std::move(*acl)};
}

Result<void> set_acl_at(int dirfd, const char* name, AclKind kind, const Acl& acl, std::string_view shown) {
  return set_xattr_at(dirfd, name, acl_xattr_name(kind), acl.encode(), shown);
}

Result<bool> probe_acl_support(int dirfd, std::string_view shown) {
  std::random_device rd;
  const std::string scratch = ".aicactl-acl-probe-" + std::to_string(rd());
  if (::mkdirat(dirfd, scratch.c_str(), 0700) != 0) {
    return fail("create ACL probe directory in", std::string(shown));
  }
  Acl acl = Acl::from_mode(0700);
  acl.set(AclTag::group, 0, 7);
  acl.recalculate_mask();
  auto set = set_acl_at(dirfd, scratch.c_str(), AclKind::default_, acl, shown);
  ::unlinkat(dirfd, scratch.c_str(), AT_REMOVEDIR);
  if (set) {
    return true;
  }
  if (set.error().code == EOPNOTSUPP || set.error().code == ENOTSUP) {
    return false;
  }
  return std::unexpected(set.error());
}

std::string perm_text(std::uint16_t perm) {
  std::string s = "---";
  if ((perm & 4U) != 0U)
    s[0] = 'r';
  if ((perm & 2U) != 0U)
    s[1] = 'w';
  if ((perm & 1U) != 0U)
    s[2] = 'x';
  return s;
}

}  // namespace aicactl::os
