// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/cache/acl_backup.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>

#include "aicactl/core/plan/errors.hpp"
#include "aicactl/os/accounts.hpp"
#include "aicactl/os/expected.hpp"
#include "aicactl/os/text.hpp"

namespace aicactl::core {
namespace {

constexpr mode_t kSpecialBits = S_ISUID | S_ISGID | S_ISVTX;
constexpr std::string_view kSpace = " \t";

std::string user_text(uid_t uid) {
  auto user = os::find_user(uid);
  return user ? user->name : std::to_string(uid);
}

std::string group_text(gid_t gid) {
  auto group = os::find_group(gid);
  return group ? group->name : std::to_string(gid);
}

// --- parsing -------------------------------------------------------------------------------

// Only leading blanks: a file name may end in a space (getfacl does not escape it there).
std::string_view trim_left(std::string_view s) {
  const auto b = s.find_first_not_of(kSpace);
  return b == std::string_view::npos ? std::string_view{} : s.substr(b);
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<std::uint32_t> parse_id(std::string_view s) {
  if (!all_digits(s) || s.size() > 10) {
    return std::nullopt;
  }
  const auto v = std::stoull(std::string(s));
  if (v >= os::kAclUndefinedId) {
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(v);
}

// A name as setfacl resolves it: the account of that name, else a number.
std::optional<uid_t> resolve_user(std::string_view name) {
  if (auto user = os::find_user(name)) {
    return user->uid;
  }
  return parse_id(name);
}

std::optional<gid_t> resolve_group(std::string_view name) {
  if (auto group = os::find_group(name)) {
    return group->gid;
  }
  return parse_id(name);
}

class Parser {
 public:
  explicit Parser(std::string_view origin) : origin_(origin) {}

  [[noreturn]] void bad(const std::string& why) const {
    throw Error(ExitCode::bad_data, "'" + origin_ + "' line " + std::to_string(line_) + ": " + why);
  }

  std::vector<AclRestoreEntry> parse(std::string_view text) {
    std::vector<AclRestoreEntry> out;
    bool in_entries = false;  // reading the entry lines of the current block
    bool block_open = false;  // a block has started and no empty line ended it
    std::size_t pos = 0;
    while (pos < text.size()) {
      auto end = text.find('\n', pos);
      if (end == std::string_view::npos) {
        end = text.size();
      }
      std::string_view raw = text.substr(pos, end - pos);
      pos = end + 1;
      ++line_;
      while (!raw.empty() && raw.back() == '\r') {
        raw.remove_suffix(1);
      }
      const std::string_view line = os::trim(raw, kSpace);
      if (line.empty()) {
        in_entries = false;
        block_open = false;
        continue;
      }
      if (line.front() == '#') {
        if (in_entries && !starts_block(line)) {
          continue;  // a comment among the entries
        }
        if (!block_open || in_entries) {
          out.emplace_back();
          block_open = true;
          in_entries = false;
        }
        header(trim_left(raw).substr(1), out.back());
        continue;
      }
      if (!block_open || out.back().path.empty()) {
        bad("ACL entry before a '# file:' line");
      }
      in_entries = true;
      entry(line, out.back());
    }
    for (auto& e : out) {
      line_ = e.line;
      if (e.path.empty()) {
        bad("a block without a '# file:' line");
      }
      complete(e);
    }
    return out;
  }

 private:
  static bool starts_block(std::string_view line) { return os::trim(line.substr(1), kSpace).starts_with("file:"); }

  void header(std::string_view comment, AclRestoreEntry& e) {
    comment = trim_left(comment);
    if (comment.starts_with("file:")) {
      if (!e.path.empty()) {
        bad("a second '# file:' line in one block");
      }
      e.line = line_;
      e.path = acl_unquote(trim_left(comment.substr(5)));
      check_path(e.path);
    } else if (comment.starts_with("owner:")) {
      e.owner = acl_unquote(os::trim(comment.substr(6), kSpace));
      e.uid = resolve_user(e.owner);
    } else if (comment.starts_with("group:")) {
      e.group = acl_unquote(os::trim(comment.substr(6), kSpace));
      e.gid = resolve_group(e.group);
    } else if (comment.starts_with("flags:")) {
      const auto f = os::trim(comment.substr(6), kSpace);
      if (f.size() != 3 || (f[0] != 's' && f[0] != '-') || (f[1] != 's' && f[1] != '-') ||
          (f[2] != 't' && f[2] != '-')) {
        bad("malformed flags '" + std::string(f) + "' (expected e.g. '-s-')");
      }
      e.flags = static_cast<mode_t>((f[0] == 's' ? S_ISUID : 0U) | (f[1] == 's' ? S_ISGID : 0U) |
                                    (f[2] == 't' ? S_ISVTX : 0U));
    }
  }

  void check_path(const std::string& path) const {
    if (path.empty()) {
      bad("empty file name");
    }
    if (path.find('\0') != std::string::npos) {
      bad("file name with a NUL byte");
    }
    if (path.front() == '/') {
      bad("absolute path '" + path + "' (a backup names paths relative to the base directory)");
    }
    std::size_t start = 0;
    while (start <= path.size()) {
      auto slash = path.find('/', start);
      if (slash == std::string::npos) {
        slash = path.size();
      }
      if (path.compare(start, slash - start, "..") == 0) {
        bad("path '" + path + "' has a '..' component");
      }
      start = slash + 1;
    }
  }

  // "[default:]tag:qualifier:perms [#comment]", tags spelled out or by their first letter.
  void entry(std::string_view line, AclRestoreEntry& e) {
    auto next_field = [&](std::string_view& rest) -> std::optional<std::string_view> {
      const auto colon = rest.find(':');
      if (colon == std::string_view::npos) {
        return std::nullopt;
      }
      auto field = os::trim(rest.substr(0, colon), kSpace);
      rest = rest.substr(colon + 1);
      return field;
    };
    auto is = [](std::string_view field, std::string_view word) { return field == word || field == word.substr(0, 1); };
    std::string_view rest = line;
    auto tag = next_field(rest);
    if (!tag) {
      bad("malformed ACL entry '" + std::string(line) + "'");
    }
    bool is_default = false;
    if (is(*tag, "default")) {
      is_default = true;
      tag = next_field(rest);
      if (!tag) {
        bad("malformed ACL entry '" + std::string(line) + "'");
      }
    }
    os::AclTag kind = os::AclTag::user_obj;
    std::string qualifier;
    const bool named_kind = is(*tag, "user") || is(*tag, "group");
    if (named_kind) {
      auto q = next_field(rest);
      if (!q) {
        bad("malformed ACL entry '" + std::string(line) + "'");
      }
      qualifier = acl_unquote(*q);
    } else if (is(*tag, "mask") || is(*tag, "other")) {
      // The empty qualifier field may be missing (Solaris spelling "mask:rwx").
      const auto colon = rest.find(':');
      if (colon != std::string_view::npos && os::trim(rest.substr(0, colon), kSpace).empty()) {
        rest = rest.substr(colon + 1);
      }
    } else {
      bad("unknown ACL entry type '" + std::string(*tag) + "'");
    }
    std::uint32_t id = os::kAclUndefinedId;
    if (is(*tag, "user")) {
      kind = qualifier.empty() ? os::AclTag::user_obj : os::AclTag::user;
      if (!qualifier.empty()) {
        auto uid = resolve_user(qualifier);
        if (!uid) {
          bad("unknown user '" + qualifier + "'");
        }
        id = *uid;
      }
    } else if (is(*tag, "group")) {
      kind = qualifier.empty() ? os::AclTag::group_obj : os::AclTag::group;
      if (!qualifier.empty()) {
        auto gid = resolve_group(qualifier);
        if (!gid) {
          bad("unknown group '" + qualifier + "'");
        }
        id = *gid;
      }
    } else {
      kind = is(*tag, "mask") ? os::AclTag::mask : os::AclTag::other;
    }
    auto& acl = is_default ? e.default_acl : e.access;
    if (!acl) {
      acl = os::Acl{};
    }
    acl->set(kind, id, perms(rest, line));
  }

  std::uint16_t perms(std::string_view rest, std::string_view line) const {
    rest = os::trim(rest, kSpace);
    std::uint16_t perm = 0;
    std::size_t i = 0;
    if (!rest.empty() && rest.front() >= '0' && rest.front() <= '7') {
      perm = static_cast<std::uint16_t>(rest.front() - '0');
      i = 1;
    } else {
      for (; i < rest.size(); ++i) {
        const char c = rest[i];
        std::uint16_t bit = 0;
        if (c == 'r') {
          bit = 4;
        } else if (c == 'w') {
          bit = 2;
        } else if (c == 'x') {
          bit = 1;
        } else if (c != '-') {
          break;
        }
        if ((perm & bit) != 0U) {
          bad("malformed permissions in '" + std::string(line) + "'");
        }
        perm = static_cast<std::uint16_t>(perm | bit);
      }
      if (i == 0) {
        bad("missing permissions in '" + std::string(line) + "'");
      }
    }
    const auto tail = os::trim(rest.substr(i), kSpace);
    if (!tail.empty() && tail.front() != '#') {
      bad("unexpected '" + std::string(tail) + "' after the permissions in '" + std::string(line) + "'");
    }
    return perm;
  }

  // Entries setfacl would fill in: a mask where named entries need one.
  void complete(AclRestoreEntry& e) const {
    for (auto* acl : {&e.access, &e.default_acl}) {
      if (*acl && !(*acl)->get(os::AclTag::mask) && !(*acl)->is_minimal()) {
        (*acl)->recalculate_mask();
      }
    }
  }

  std::string origin_;
  unsigned line_ = 0;
};

// --- restoring -------------------------------------------------------------------------------

// Resolves relative paths below the base directory without following symlinks, keeping the
// chain of directories of the previous path open: a backup lists a directory's entries
// together, so most lookups reuse it. A mount point is crossed only where its parent is
// root's and writable by nobody else (/, /data): below a shared tree a user could have
// mounted something (FUSE) and is not entered.
class Resolver {
 public:
  explicit Resolver(std::string base) : base_path_(std::move(base)) {}

  os::Result<void> open_base() {
    auto fd = os::open_dir(base_path_);
    AICACTL_RETURN_IF_ERROR(fd);
    auto info = os::stat_fd(fd->get());
    AICACTL_RETURN_IF_ERROR(info);
    base_info_ = *info;
    base_ = std::move(*fd);
    return {};
  }

  // The directory holding the last component of `comps` (the base for a single component).
  // Fails with ELOOP (a symlink on the way), ENOTDIR, ENOENT or EXDEV (an untrusted mount).
  os::Result<int> parent_of(const std::vector<std::string>& comps) {
    const std::size_t want = comps.size() - 1;
    std::size_t keep = 0;
    while (keep < names_.size() && keep < want && names_[keep] == comps[keep]) {
      ++keep;
    }
    names_.resize(keep);
    fds_.resize(keep);
    infos_.resize(keep);
    while (names_.size() < want) {
      const int at = fds_.empty() ? base_.get() : fds_.back().get();
      const os::FileInfo& parent = infos_.empty() ? base_info_ : infos_.back();
      const std::string& name = comps[names_.size()];
      auto fd = os::open_dir_at(at, name.c_str(), name);
      AICACTL_RETURN_IF_ERROR(fd);
      auto info = os::stat_fd(fd->get());
      AICACTL_RETURN_IF_ERROR(info);
      const bool mount =
          info->dev != parent.dev || (info->mnt_id != 0 && parent.mnt_id != 0 && info->mnt_id != parent.mnt_id);
      if (mount && (parent.uid != 0 || (parent.mode & 022) != 0)) {
        return os::fail("enter", name, EXDEV);
      }
      names_.push_back(name);
      fds_.push_back(std::move(*fd));
      infos_.push_back(*info);
    }
    return fds_.empty() ? base_.get() : fds_.back().get();
  }

  [[nodiscard]] int base_fd() const { return base_.get(); }

 private:
  std::string base_path_;
  os::UniqueFd base_;
  os::FileInfo base_info_;
  std::vector<std::string> names_;
  std::vector<os::UniqueFd> fds_;
  std::vector<os::FileInfo> infos_;
};

std::vector<std::string> components(const std::string& path) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto slash = path.find('/', start);
    if (slash == std::string::npos) {
      slash = path.size();
    }
    std::string comp = path.substr(start, slash - start);
    if (!comp.empty() && comp != ".") {
      out.push_back(std::move(comp));
    }
    start = slash + 1;
  }
  return out;
}

// Base entries the backup left out are kept from `from` (what setfacl does).
os::Acl completed(os::Acl acl, const os::Acl& from) {
  for (auto tag : {os::AclTag::user_obj, os::AclTag::group_obj, os::AclTag::other}) {
    if (!acl.get(tag)) {
      acl.set(tag, os::kAclUndefinedId, from.get(tag).value_or(0));
    }
  }
  return acl;
}

ActionReport report_for(const std::string& shown, DryRun dry_run) {
  ActionReport r;
  r.kind = "restore-acl";
  r.target = shown;
  r.description = (dry_run == DryRun::yes ? "Would set ACL of " : "Set ACL of ") + os::quoted(shown);
  return r;
}

void fail_with(ActionReport& r, std::string error) {
  r.status = Status::failed;
  r.error = std::move(error);
}

void restore_one(const AclRestoreEntry& e, int dirfd, const std::string& name, ActionReport& r, DryRun dry_run) {
  const std::string& shown = r.target;
  auto info = os::stat_at(dirfd, name.c_str());
  if (!info) {
    return fail_with(r, os::OsError{info.error().code, "stat", shown}.message() + ", skipped");
  }
  if (info->is_symlink()) {
    return fail_with(r, os::quoted(shown) + " is a symlink, skipped");
  }
  const bool dir = info->is_dir();
  if (e.default_acl && !dir) {
    return fail_with(r, os::quoted(shown) + " is not a directory but has a default ACL in the backup, skipped");
  }
  const uid_t want_uid = e.uid.value_or(info->uid);
  const gid_t want_gid = e.gid.value_or(info->gid);
  if (!dir && info->nlink > 1 && info->uid != want_uid) {
    return fail_with(
        r, os::quoted(shown) + " has " + std::to_string(info->nlink) + " hard links and another owner, skipped");
  }
  auto access = os::get_acl_at(dirfd, name.c_str(), os::AclKind::access, shown);
  if (!access) {
    return fail_with(r, access.error().message());
  }
  const os::Acl current_access = access->value_or(os::Acl::from_mode(info->mode));
  std::optional<os::Acl> current_default;
  if (dir) {
    auto def = os::get_acl_at(dirfd, name.c_str(), os::AclKind::default_, shown);
    if (!def) {
      return fail_with(r, def.error().message());
    }
    current_default = std::move(*def);
  }
  const os::Acl want_access = e.access ? completed(*e.access, current_access) : current_access;
  std::optional<os::Acl> want_default;
  if (e.default_acl) {
    want_default = completed(*e.default_acl, want_access);
  }
  // setuid/setgid are never added to a file (a hostile tree could have swapped it), only kept.
  mode_t want_special = e.flags;
  std::string refused;
  if (!dir && (e.flags & ~info->mode & (S_ISUID | S_ISGID)) != 0) {
    want_special &= static_cast<mode_t>(~static_cast<mode_t>(S_ISUID | S_ISGID) | info->mode);
    refused = "Not adding setuid/setgid to the file " + os::quoted(shown) + " (the backup has them)";
  }
  const bool same = want_access == current_access && want_default == current_default && want_uid == info->uid &&
                    want_gid == info->gid && (info->mode & kSpecialBits) == want_special;
  if (same) {
    r.status = refused.empty() ? Status::ok : Status::failed;
    r.error = refused;
    return;
  }
  if (dry_run == DryRun::yes) {
    r.status = Status::planned;
    return;
  }
  if (want_access != current_access) {
    auto set = os::set_acl_at(dirfd, name.c_str(), os::AclKind::access, want_access, shown);
    if (!set && (set.error().code == EOPNOTSUPP) && want_access.is_minimal()) {
      set = os::chmod_at(dirfd, name.c_str(), (info->mode & kSpecialBits) | want_access.mode_bits(), shown);
    }
    if (!set) {
      return fail_with(r, set.error().message());
    }
  }
  if (want_default != current_default) {
    auto set = want_default
                   ? os::set_acl_at(dirfd, name.c_str(), os::AclKind::default_, *want_default, shown)
                   : os::remove_xattr_at(dirfd, name.c_str(), os::acl_xattr_name(os::AclKind::default_), shown);
    if (!set) {
      return fail_with(r, set.error().message());
    }
  }
  if (want_uid != info->uid || want_gid != info->gid) {
    auto own = os::chown_at(dirfd, name.c_str(), want_uid, want_gid, shown);
    if (!own) {
      return fail_with(r, own.error().message());
    }
  }
  // chown clears setuid/setgid of a file, so the bits are set last, from a fresh stat.
  auto now = os::stat_at(dirfd, name.c_str());
  if (!now) {
    return fail_with(r, os::OsError{now.error().code, "stat", shown}.message());
  }
  if ((now->mode & kSpecialBits) != want_special) {
    auto mode = os::chmod_at(dirfd, name.c_str(), (now->mode & 0777) | want_special, shown);
    if (!mode) {
      return fail_with(r, mode.error().message());
    }
  }
  r.status = refused.empty() ? Status::changed : Status::failed;
  r.error = refused;
}

// --- backup ------------------------------------------------------------------------------

void emit(AclBackup& out, int dirfd, const char* name, const std::string& path, const os::FileInfo& info) {
  if (out.progress != nullptr) {
    out.progress->entries.fetch_add(1, std::memory_order_relaxed);
    out.progress->bytes.fetch_add(info.blocks * 512, std::memory_order_relaxed);
  }
  auto access = os::get_acl_at(dirfd, name, os::AclKind::access, path);
  if (!access) {
    out.errors.push_back(access.error().message());
    return;
  }
  std::optional<os::Acl> def;
  if (info.is_dir()) {
    auto got = os::get_acl_at(dirfd, name, os::AclKind::default_, path);
    if (!got) {
      out.errors.push_back(got.error().message());
      return;
    }
    if (*got && !(*got)->entries().empty()) {
      def = std::move(*got);
    }
  }
  out.text += format_acl_record(path, info, access->value_or(os::Acl::from_mode(info.mode)), def);
  ++out.entries;
}

struct Frame {
  os::UniqueFd fd;
  std::string path;
  std::vector<std::string> names;
  std::size_t next = 0;
};

bool same_mount(const os::FileInfo& a, const os::FileInfo& b) {
  return a.dev == b.dev && (a.mnt_id == 0 || b.mnt_id == 0 || a.mnt_id == b.mnt_id);
}

void backup_tree(AclBackup& out, std::string root) {
  while (root.size() > 1 && root.back() == '/') {
    root.pop_back();
  }
  os::UniqueFd holder;
  std::string name;
  if (root == "/") {
    auto fd = os::open_dir(root);
    if (!fd) {
      out.errors.push_back(fd.error().message());
      return;
    }
    holder = std::move(*fd);
  } else {
    auto parent = os::open_parent(root);
    if (!parent) {
      out.errors.push_back(parent.error().message());
      return;
    }
    holder = std::move(parent->first);
    name = std::move(parent->second);
  }
  auto info = os::stat_at(holder.get(), name.c_str());
  if (!info) {
    out.errors.push_back(os::OsError{info.error().code, "stat", root}.message());
    return;
  }
  if (info->is_symlink()) {
    out.errors.push_back(os::quoted(root) + " is a symlink, not followed");
    return;
  }
  emit(out, holder.get(), name.c_str(), root, *info);
  if (!info->is_dir()) {
    return;
  }
  const os::FileInfo root_info = *info;
  std::vector<Frame> stack;
  auto enter = [&](int at, const char* entry, const std::string& path) {
    auto fd = os::open_dir_at(at, entry, path);
    if (!fd) {
      out.errors.push_back(fd.error().message());
      return;
    }
    auto names = os::list_dir(fd->get(), path);
    if (!names) {
      out.errors.push_back(names.error().message());
      return;
    }
    stack.push_back(Frame{std::move(*fd), path, std::move(*names), 0});
  };
  enter(holder.get(), name.c_str(), root);
  while (!stack.empty()) {
    Frame& top = stack.back();
    if (top.next == top.names.size()) {
      stack.pop_back();
      continue;
    }
    const std::string entry = top.names[top.next++];
    const std::string path = os::join_path(top.path, entry);
    const int at = top.fd.get();
    auto st = os::stat_at(at, entry.c_str());
    if (!st) {
      if (st.error().code != ENOENT) {
        out.errors.push_back(os::OsError{st.error().code, "stat", path}.message());
      }
      continue;
    }
    if (st->is_symlink()) {
      continue;  // getfacl -R skips symlinks below its arguments too
    }
    if (st->is_dir() && !same_mount(*st, root_info)) {
      out.notes.push_back(os::quoted(path) + " is on another mount, not entered");
      continue;
    }
    emit(out, at, entry.c_str(), path, *st);
    if (st->is_dir()) {
      enter(at, entry.c_str(), path);  // may reallocate `stack`: `top` is not used after this
    }
  }
}

}  // namespace

std::string acl_quote(std::string_view text, std::string_view specials) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == '\\') {
      out += "\\\\";  // as getfacl 2.3.1 (Debian 12) does; later releases write \134
    } else if (specials.find(c) != std::string_view::npos) {
      const auto u = static_cast<unsigned char>(c);
      out += '\\';
      out += static_cast<char>('0' + ((u >> 6U) & 7U));
      out += static_cast<char>('0' + ((u >> 3U) & 7U));
      out += static_cast<char>('0' + (u & 7U));
    } else {
      out += c;
    }
  }
  return out;
}

std::string acl_unquote(std::string_view text) {
  auto octal = [](char c) { return c >= '0' && c <= '7'; };
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size() && octal(text[i + 1]) && octal(text[i + 2]) && octal(text[i + 3])) {
      const unsigned v = ((static_cast<unsigned>(text[i + 1] - '0')) << 6U) |
                         ((static_cast<unsigned>(text[i + 2] - '0')) << 3U) | static_cast<unsigned>(text[i + 3] - '0');
      out += static_cast<char>(v & 0xffU);
      i += 3;
    } else if (text[i] == '\\' && i + 1 < text.size() && text[i + 1] == '\\') {
      out += '\\';
      ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string format_acl_entries(const os::Acl& acl, std::string_view prefix) {
  const auto mask = acl.get(os::AclTag::mask);
  std::string out;
  for (const auto& e : acl.entries()) {
    out += prefix;
    bool masked = false;
    switch (e.tag) {
      case os::AclTag::user_obj: out += "user::"; break;
      case os::AclTag::user:
        out += "user:" + acl_quote(user_text(e.id), ":, \t\n\r") + ":";
        masked = true;
        break;
      case os::AclTag::group_obj:
        out += "group::";
        masked = true;
        break;
      case os::AclTag::group:
        out += "group:" + acl_quote(group_text(e.id), ":, \t\n\r") + ":";
        masked = true;
        break;
      case os::AclTag::mask: out += "mask::"; break;
      case os::AclTag::other: out += "other::"; break;
    }
    out += os::perm_text(e.perm);
    if (masked && mask && (e.perm & *mask) != e.perm) {
      out += "\t#effective:" + os::perm_text(static_cast<std::uint16_t>(e.perm & *mask));
    }
    out += '\n';
  }
  return out;
}

std::string format_acl_record(std::string_view path, const os::FileInfo& info, const os::Acl& access,
                              const std::optional<os::Acl>& default_acl) {
  while (!path.empty() && path.front() == '/') {
    path.remove_prefix(1);
  }
  std::string out = "# file: " + acl_quote(path, "\n\r") + "\n";
  out += "# owner: " + acl_quote(user_text(info.uid), " \t\n\r") + "\n";
  out += "# group: " + acl_quote(group_text(info.gid), " \t\n\r") + "\n";
  if ((info.mode & kSpecialBits) != 0) {
    out += "# flags: ";
    out += (info.mode & S_ISUID) != 0 ? 's' : '-';
    out += (info.mode & S_ISGID) != 0 ? 's' : '-';
    out += (info.mode & S_ISVTX) != 0 ? 't' : '-';
    out += '\n';
  }
  out += format_acl_entries(access, "");
  if (default_acl) {
    out += format_acl_entries(*default_acl, "default:");
  }
  out += '\n';
  return out;
}

AclBackup backup_acls(const std::vector<std::string>& roots, os::WalkProgress* progress) {
  AclBackup out;
  out.progress = progress;
  for (const auto& root : roots) {
    backup_tree(out, root);
  }
  return out;
}

std::vector<AclRestoreEntry> parse_acl_backup(std::string_view text, std::string_view origin) {
  return Parser(origin).parse(text);
}

Report restore_acls(const std::vector<AclRestoreEntry>& entries, std::string_view base, DryRun dry_run,
                    os::WalkProgress* progress) {
  Report report;
  Resolver resolver{std::string(base)};
  if (auto opened = resolver.open_base(); !opened) {
    throw Error(opened.error());
  }
  for (const auto& e : entries) {
    if (progress != nullptr) {
      progress->entries.fetch_add(1, std::memory_order_relaxed);
    }
    const auto comps = components(e.path);
    const std::string shown = comps.empty() ? std::string(base) : os::join_path(base, e.path);
    ActionReport r = report_for(shown, dry_run);
    if (!e.owner.empty() && !e.uid) {
      report.notes.push_back("Owner '" + e.owner + "' of " + os::quoted(shown) + " does not resolve, ignoring");
    }
    if (!e.group.empty() && !e.gid) {
      report.notes.push_back("Group '" + e.group + "' of " + os::quoted(shown) + " does not resolve, ignoring");
    }
    if (comps.empty()) {
      restore_one(e, resolver.base_fd(), "", r, dry_run);
    } else {
      auto parent = resolver.parent_of(comps);
      if (!parent) {
        const int code = parent.error().code;
        fail_with(r, code == ELOOP   ? os::quoted(shown) + " is reached through a symlink, skipped"
                     : code == EXDEV ? os::quoted(shown) +
                                           " is reached through a mount point in a directory others can write, skipped"
                                     : os::OsError{code, "open the directory of", shown}.message() + ", skipped");
      } else {
        restore_one(e, *parent, comps.back(), r, dry_run);
      }
    }
    switch (r.status) {
      case Status::changed: ++report.changed; break;
      case Status::failed: ++report.failed; break;
      case Status::ok: ++report.ok; break;
      case Status::planned: break;
    }
    if (r.status != Status::ok) {
      report.actions.push_back(std::move(r));
    }
  }
  return report;
}

}  // namespace aicactl::core
