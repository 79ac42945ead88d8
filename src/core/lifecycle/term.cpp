// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/lifecycle/term.hpp"

#include <algorithm>
#include <optional>

#include "aicactl/core/lifecycle/expiry.hpp"
#include "aicactl/core/plan/errors.hpp"
#include "aicactl/core/users/users.hpp"
#include "aicactl/os/accounts.hpp"
#include "aicactl/os/btrfs.hpp"
#include "aicactl/os/fs.hpp"

namespace aicactl::core {

const char* to_string(BackupKind kind) {
  return kind == BackupKind::btrfs ? "btrfs" : "tar";
}

std::string term_name_problem(std::string_view name) {
  constexpr std::size_t kMaxTerm = 64;
  const bool plain = std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
  });
  if (name.empty() || !plain || name.size() > kMaxTerm || name.front() == '.' || name.front() == '-') {
    return "must be 1 to 64 letters, digits, '.', '_' and '-', not starting with '.' or '-'";
  }
  return "";
}

std::string purge_path_for(const std::string& pattern, const std::string& user, std::string& why) {
  std::string path;
  for (std::size_t i = 0; i < pattern.size();) {
    if (pattern.compare(i, 6, "{user}") == 0) {
      path += user;
      i += 6;
    } else {
      path += pattern[i++];
    }
  }
  why.clear();
  if (path.size() < 2 || path.front() != '/') {
    why = "not an absolute path";
  } else if (path.find_first_of("{}") != std::string::npos) {
    why = "only {user} may be substituted";
  } else if (pattern.find("{user}") == std::string::npos) {
    why = "has no {user}: it would remove the same path for every user";
  } else {
    std::size_t start = 1;
    while (why.empty() && start <= path.size()) {
      const std::size_t end = std::min(path.find('/', start), path.size());
      const std::string_view part(path.data() + start, end - start);
      if (part.empty() || part == "." || part == "..") {
        why = "has an empty, '.' or '..' component";
      }
      start = end + 1;
    }
  }
  return why.empty() ? path : "";
}

namespace {

[[noreturn]] void bad(const std::string& message) {
  throw Error(ExitCode::bad_data, message);
}

std::vector<const UserRecord*> select_users(const Config& config, const Registry& registry,
                                            const std::vector<std::string>& names, const std::string& today) {
  std::vector<const UserRecord*> out;
  if (!names.empty()) {
    for (const auto& n : names) {
      const UserRecord* rec = registry.find(n);
      if (rec == nullptr) {
        bad("User '" + n + "' is not registered (see: aicactl user list)");
      }
      if (auto why = protection(config.lifecycle, *rec, os::find_user(n), true); !why.empty()) {
        bad("User '" + n + "' is " + why + ": term close never removes it");
      }
      out.push_back(rec);
    }
    return out;
  }
  for (const auto& rec : registry.users) {
    if (is_expired(rec, today) && protection(config.lifecycle, rec, os::find_user(rec.name), false).empty()) {
      out.push_back(&rec);
    }
  }
  return out;
}

}  // namespace

TermClosePlan plan_term_close(const Config& config, const Registry& registry, const std::string& term,
                              const std::vector<std::string>& names, const std::string& today, const std::string& now) {
  TermClosePlan out;
  const std::string users_dir = config.under_root("users");
  out.term_dir = config.under_root(config.lifecycle.backup_dir + "/" + term);
  auto users_fd = os::open_dir(users_dir);
  out.kind = users_fd && os::is_subvolume(users_fd->get()).value_or(false) ? BackupKind::btrfs : BackupKind::tar;
  std::vector<std::pair<std::string, std::string>> paths;  // (user, path)
  for (const UserRecord* rec : select_users(config, registry, names, today)) {
    out.users.push_back(rec->name);
    for (const auto& pattern : config.lifecycle.purge_paths) {
      std::string why;
      std::string path = purge_path_for(pattern, rec->name, why);
      if (!why.empty()) {
        bad("Invalid [lifecycle] purge_paths entry '" + pattern + "': " + why);
      }
      paths.emplace_back(rec->name, std::move(path));
    }
  }
  const std::string home_path = out.kind == BackupKind::btrfs ? os::join_path(out.term_dir, "users") : out.term_dir;
  std::vector<std::string> with_home;
  for (const auto& name : out.users) {
    const UserRecord& rec = *registry.find(name);
    const std::string home = os::join_path(users_dir, name);
    const auto st = os::lstat_path(home);
    const bool has_home = st && *st && (*st)->is_dir();
    if (has_home) {
      with_home.push_back(name);
      if (out.kind == BackupKind::tar) {
        out.backup.items.push_back(
            PlanItem{"backup of '" + home + "'", {ArchiveHomeTar{users_dir, out.term_dir, name}}});
      }
    }
    auto add = [&out](const std::string& check, Action action) {
      out.purge.items.push_back(PlanItem{check, {std::move(action)}});
    };
    if (has_home) {
      add("home '" + home + "'", EmptyHome{users_dir, name});
    }
    for (const auto& [user, path] : paths) {
      if (user == name) {
        if (auto p = os::lstat_path(path); !p || *p) {
          add("'" + path + "'", RemovePath{path});
        }
      }
    }
    const std::string link = "/home/" + name;
    if (os::read_link(link) == home) {
      add("link '" + link + "'", RemoveLink{link, home});
    }
    if (os::find_user(name)) {
      add("account '" + name + "'", DeleteAccount{name});
    }
    out.gone.push_back(
        RemovedUser{name, rec.uid, rec.primary, has_home ? "archived" : "none", has_home ? home_path : "", now, term});
  }
  if (out.kind == BackupKind::btrfs && !with_home.empty()) {
    out.backup.items.insert(out.backup.items.begin(), PlanItem{"snapshot of '" + users_dir + "'",
                                                               {SnapshotHomes{users_dir, out.term_dir, with_home}}});
  }
  return out;
}

TermCloseResult run_term_close(const Config& config, Registry& registry, const TermClosePlan& plan, DryRun dry_run) {
  TermCloseResult result;
  result.report = apply_plan(plan.backup, dry_run);
  if (result.report.failed > 0) {
    result.backup_failed = true;
    result.report.notes.emplace_back("Nothing was removed: a backup failed");
    return result;
  }
  result.report.merge(apply_plan(plan.purge, dry_run));
  for (const auto& gone : plan.gone) {
    // A user whose purge failed somewhere stays registered, so a re-run finishes it.
    const bool failed = std::ranges::any_of(result.report.actions, [&](const ActionReport& a) {
      return a.status == Status::failed && (a.target == gone.name || a.target.ends_with("/" + gone.name) ||
                                            a.target.find("/" + gone.name + "/") != std::string::npos);
    });
    if (!failed) {
      (void)registry.remove(gone.name);
      registry.retire(gone);
    }
  }
  if (!plan.gone.empty()) {
    Plan reg;
    reg.items.push_back(plan_registry_write(config, registry));
    result.report.merge(apply_plan(reg, dry_run));
  }
  return result;
}

}  // namespace aicactl::core
