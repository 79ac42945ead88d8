// SPDX-License-Identifier: Apache-2.0
#include "aicactl/os/passwd_db.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <string_view>
#include <thread>

#include "aicactl/os/atomic_file.hpp"
#include "aicactl/os/expected.hpp"
#include "aicactl/os/fd.hpp"
#include "aicactl/os/fs.hpp"
#include "aicactl/os/text.hpp"

namespace aicactl::os {
namespace {

// One account file: its lines as they are (comments and NIS "+" lines kept verbatim), its mode
// and owner, and whether it exists at all.
struct DbFile {
  std::string path;
  bool present = false;
  std::vector<std::string> lines;
  std::string original;
  mode_t mode = 0644;
  uid_t uid = 0;
  gid_t gid = 0;
  bool changed = false;
};

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const auto pos = s.find(sep, start);
    out.emplace_back(s.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
    if (pos == std::string_view::npos) {
      return out;
    }
    start = pos + 1;
  }
}

enum class Required { no, yes };

Result<DbFile> load(const std::string& path, Required required) {
  DbFile db;
  db.path = path;
  auto info = lstat_path(path);
  AICACTL_RETURN_IF_ERROR(info);
  if (!*info) {
    if (required == Required::yes) {
      return fail("read", path, ENOENT);
    }
    return db;
  }
  if (!(*info)->is_regular()) {
    return fail("read", path, EINVAL);
  }
  auto text = read_file(path);
  AICACTL_RETURN_IF_ERROR(text);
  db.present = true;
  db.original = text->value_or("");
  db.mode = (*info)->perms();
  db.uid = (*info)->uid;
  db.gid = (*info)->gid;
  std::string_view body = db.original;
  if (!body.empty() && body.back() == '\n') {
    body.remove_suffix(1);
  }
  if (!body.empty()) {
    db.lines = split(body, '\n');
  }
  return db;
}

std::string field(const std::string& line, std::size_t index) {
  const auto parts = split(line, ':');
  return index < parts.size() ? parts[index] : std::string();
}

// The line of `name` in an account file, or nullptr.
std::string* find_line(DbFile& db, const std::string& name) {
  for (auto& line : db.lines) {
    if (line.starts_with(name + ":")) {
      return &line;
    }
  }
  return nullptr;
}

std::optional<std::string> name_with_id(const DbFile& db, unsigned long id) {
  const std::string wanted = std::to_string(id);
  for (const auto& line : db.lines) {
    if (!line.empty() && line[0] != '#' && line[0] != '+' && line[0] != '-' && field(line, 2) == wanted) {
      return field(line, 0);
    }
  }
  return std::nullopt;
}

// Adds `user` to the member list in field `index` of `line`; false when already there.
bool add_member(std::string& line, std::size_t index, const std::string& user) {
  auto parts = split(line, ':');
  if (parts.size() <= index) {
    parts.resize(index + 1);
  }
  auto members = parts[index].empty() ? std::vector<std::string>{} : split(parts[index], ',');
  if (std::find(members.begin(), members.end(), user) != members.end()) {
    return false;
  }
  members.push_back(user);
  parts[index] = join(members, ",");
  line = join(parts, ":");
  return true;
}

bool bad_field(std::string_view s) {
  return s.find_first_of(":\n,") != std::string_view::npos;
}

// The new content of a changed file and of its `<file>-` backup (the previous content, as
// shadow-utils keeps it, so an admin can always go back), written and synced to temp files.
struct Staged {
  AtomicFile backup;
  AtomicFile file;
};

Result<std::optional<Staged>> stage(const DbFile& db) {
  if (!db.changed) {
    return std::nullopt;
  }
  std::string text;
  for (const auto& line : db.lines) {
    text += line + "\n";
  }
  auto backup = AtomicFile::create(db.path + "-", db.mode, db.uid, db.gid);
  AICACTL_RETURN_IF_ERROR(backup);
  auto file = AtomicFile::create(db.path, db.mode, db.uid, db.gid);
  AICACTL_RETURN_IF_ERROR(file);
  for (auto [f, content] :
       {std::pair{&*backup, std::string_view(db.original)}, std::pair{&*file, std::string_view(text)}}) {
    if (auto w = f->write(content); !w) {
      return std::unexpected(w.error());
    }
    if (auto s = f->sync(); !s) {
      return std::unexpected(s.error());
    }
  }
  return Staged{std::move(*backup), std::move(*file)};
}

// The lckpwdf(3) lock: a write lock on <etc>/.pwd.lock, which shadow-utils, sysusers and
// glibc's lckpwdf all take before they edit the account files.
Result<UniqueFd> lock_account_files(const std::string& etc_dir, int timeout_s) {
  const std::string path = join_path(etc_dir, ".pwd.lock");
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd) {
    return fail("open", path);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (true) {
    struct flock fl {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (::fcntl(fd.get(), F_SETLK, &fl) == 0) {
      return fd;
    }
    if ((errno != EACCES && errno != EAGAIN) || std::chrono::steady_clock::now() >= deadline) {
      return fail("lock", path);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace

ShadowDefaults read_shadow_defaults(const std::string& login_defs) {
  ShadowDefaults d;
  auto text = read_file(login_defs);
  if (!text || !text->has_value()) {
    return d;
  }
  for (const auto& raw : split(**text, '\n')) {
    std::string_view line = raw;
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
      line.remove_prefix(1);
    }
    if (line.empty() || line.front() == '#') {
      continue;
    }
    const auto space = line.find_first_of(" \t");
    if (space == std::string_view::npos) {
      continue;
    }
    const std::string key(line.substr(0, space));
    std::string value(line.substr(space));
    value.erase(0, value.find_first_not_of(" \t"));
    value.erase(value.find_last_not_of(" \t\r") + 1);
    long number = 0;
    try {
      std::size_t used = 0;
      number = std::stol(value, &used);
      if (used != value.size()) {
        continue;
      }
    } catch (const std::exception&) {
      continue;
    }
    if (key == "PASS_MIN_DAYS") {
      d.min_days = number;
    } else if (key == "PASS_MAX_DAYS") {
      d.max_days = number;
    } else if (key == "PASS_WARN_AGE") {
      d.warn_days = number;
    }
  }
  return d;
}

Result<LocalAccounts> read_local_accounts(const std::string& etc_dir) {
  LocalAccounts out;
  const std::pair<const char*, std::set<std::string>*> files[] = {
      {"passwd", &out.passwd}, {"shadow", &out.shadow}, {"group", &out.group}, {"gshadow", &out.gshadow}};
  for (const auto& [name, names] : files) {
    auto db = load(join_path(etc_dir, name), Required::no);
    AICACTL_RETURN_IF_ERROR(db);
    if (std::string_view(name) == "shadow") {
      out.has_shadow = db->present;
    } else if (std::string_view(name) == "gshadow") {
      out.has_gshadow = db->present;
    }
    for (const auto& line : db->lines) {
      if (!line.empty() && line[0] != '#' && line[0] != '+' && line[0] != '-') {
        names->insert(field(line, 0));
      }
    }
  }
  return out;
}

Result<BatchOutcome> apply_account_batch(const AccountBatch& batch, const std::string& etc_dir, long today,
                                         int lock_timeout_s) {
  auto lock = lock_account_files(etc_dir, lock_timeout_s);
  AICACTL_RETURN_IF_ERROR(lock);
  auto passwd = load(join_path(etc_dir, "passwd"), Required::yes);
  auto group = load(join_path(etc_dir, "group"), Required::yes);
  auto shadow = load(join_path(etc_dir, "shadow"), Required::no);
  auto gshadow = load(join_path(etc_dir, "gshadow"), Required::no);
  for (const auto* r : {&passwd, &group, &shadow, &gshadow}) {
    if (!*r) {
      return std::unexpected(r->error());
    }
  }
  const ShadowDefaults defaults = read_shadow_defaults(join_path(etc_dir, "login.defs"));
  BatchOutcome out;

  for (const auto& g : batch.groups) {
    if (bad_field(g.name) || g.name.empty()) {
      out.refused.emplace_back(g.name, "not a valid group name");
      continue;
    }
    if (find_line(*group, g.name) != nullptr) {
      if (field(*find_line(*group, g.name), 2) != std::to_string(g.gid)) {
        out.refused.emplace_back(g.name, "group exists with gid " + field(*find_line(*group, g.name), 2));
      } else if (gshadow->present && find_line(*gshadow, g.name) == nullptr) {
        // Half-written by an interrupted groupadd or batch: complete it.
        gshadow->lines.push_back(g.name + ":!::");
        gshadow->changed = true;
        out.completed.push_back("gshadow entry of group '" + g.name + "'");
      }
      continue;
    }
    if (auto holder = name_with_id(*group, g.gid)) {
      out.refused.emplace_back(g.name, "gid " + std::to_string(g.gid) + " already belongs to group '" + *holder + "'");
      continue;
    }
    group->lines.push_back(g.name + ":x:" + std::to_string(g.gid) + ":");
    group->changed = true;
    if (gshadow->present && find_line(*gshadow, g.name) == nullptr) {
      gshadow->lines.push_back(g.name + ":!::");
      gshadow->changed = true;
    }
    out.groups_created.push_back(g.name);
  }

  for (const auto& a : batch.accounts) {
    if (a.name.empty() || bad_field(a.name) || bad_field(a.home) || bad_field(a.shell)) {
      out.refused.emplace_back(a.name, "name, home or shell holds ':', ',' or a newline");
      continue;
    }
    const auto shadow_line = [&] {
      // No password, as useradd leaves it: the user logs in with a key or the admin sets one.
      return a.name + ":!:" + std::to_string(today) + ":" + std::to_string(defaults.min_days) + ":" +
             std::to_string(defaults.max_days) + ":" + std::to_string(defaults.warn_days) +
             "::" + (a.expire_day ? std::to_string(*a.expire_day) : std::string()) + ":";
    };
    if (find_line(*passwd, a.name) != nullptr) {
      if (field(*find_line(*passwd, a.name), 2) != std::to_string(a.uid)) {
        out.refused.emplace_back(a.name, "account exists with uid " + field(*find_line(*passwd, a.name), 2));
      } else if (shadow->present && find_line(*shadow, a.name) == nullptr) {
        // Half-written by an interrupted useradd or batch: without it the user cannot log in.
        shadow->lines.push_back(shadow_line());
        shadow->changed = true;
        out.completed.push_back("shadow entry of '" + a.name + "'");
      }
      continue;
    }
    if (auto holder = name_with_id(*passwd, a.uid)) {
      out.refused.emplace_back(a.name, "uid " + std::to_string(a.uid) + " already belongs to '" + *holder + "'");
      continue;
    }
    if (!name_with_id(*group, a.gid)) {
      out.refused.emplace_back(a.name, "its primary group (gid " + std::to_string(a.gid) + ") does not exist");
      continue;
    }
    passwd->lines.push_back(a.name + ":x:" + std::to_string(a.uid) + ":" + std::to_string(a.gid) + "::" + a.home + ":" +
                            a.shell);
    passwd->changed = true;
    if (shadow->present && find_line(*shadow, a.name) == nullptr) {
      shadow->lines.push_back(shadow_line());
      shadow->changed = true;
    }
    out.accounts_created.push_back(a.name);
  }

  for (const auto& [group_name, user] : batch.memberships) {
    std::string* line = find_line(*group, group_name);
    if (line == nullptr) {
      out.refused.emplace_back(user, "group '" + group_name + "' is not in " + group->path);
      continue;
    }
    if (bad_field(user)) {
      out.refused.emplace_back(user, "not a valid user name");
      continue;
    }
    if (add_member(*line, 3, user)) {
      group->changed = true;
      out.memberships_added.emplace_back(group_name, user);
    }
    if (gshadow->present) {
      if (std::string* gs = find_line(*gshadow, group_name); gs != nullptr && add_member(*gs, 3, user)) {
        gshadow->changed = true;
      }
    }
  }

  // As sysusers' write_files: every new file is written and synced first, so a failure there
  // changes nothing; then they are renamed in an order that never shows an entry without its
  // shadow entry, nor an account without its primary group: gshadow, group, shadow, passwd.
  // A failure between two renames leaves at most a shadow entry without its entry, which the
  // next batch completes.
  std::vector<Staged> staged;
  for (auto* db : {&*gshadow, &*group, &*shadow, &*passwd}) {
    auto s = stage(*db);
    AICACTL_RETURN_IF_ERROR(s);
    if (*s) {
      staged.push_back(std::move(**s));
    }
  }
  for (auto& s : staged) {
    if (auto r = s.backup.commit(); !r) {
      return std::unexpected(r.error());
    }
    if (auto r = s.file.commit(); !r) {
      return std::unexpected(r.error());
    }
  }
  return out;
}

}  // namespace aicactl::os
