// SPDX-License-Identifier: Apache-2.0
// aicactl user add | repair | list | remove | import: registered users with homes on /data.
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <utility>

#include "aicactl/cli/context.hpp"
#include "aicactl/cli/lifecycle_cmd.hpp"
#include "aicactl/cli/progress.hpp"
#include "aicactl/cli/render.hpp"
#include "aicactl/core/lifecycle/clock.hpp"
#include "aicactl/core/lifecycle/user_set.hpp"
#include "aicactl/core/ops/disk.hpp"
#include "aicactl/core/ops/doctor.hpp"
#include "aicactl/core/ops/user_changes.hpp"
#include "aicactl/core/plan/actions.hpp"
#include "aicactl/core/plan/errors.hpp"
#include "aicactl/core/users/quota.hpp"
#include "aicactl/core/users/registry.hpp"
#include "aicactl/core/users/removal.hpp"
#include "aicactl/core/users/users.hpp"
#include "aicactl/os/accounts.hpp"
#include "aicactl/os/fs.hpp"
#include "aicactl/os/text.hpp"
#include "aicactl/os/walk.hpp"

namespace aicactl::cli {
namespace {

struct AddOptions {
  std::string name;
  std::vector<std::string> groups;
  long long uid = -1;
  std::string shell = "/bin/bash";
  std::string expires;
  std::string email;
  std::string quota;  // SIZE (core::parse_size), "" = none given
  bool force = false;
  std::vector<std::string> allowed_groups;  // --allow-group: system groups allowed for this run
};

struct ImportOptions {
  std::string file;
  std::vector<std::string> allowed_groups;
};

struct NamesOptions {
  std::vector<std::string> names;
  bool all = false;
  bool usage = false;
};

struct RemoveOptions {
  std::string name;
  bool archive = false;
  bool purge = false;
  bool yes = false;
};

[[noreturn]] void bad_input(const std::string& message) {
  throw core::Error(core::ExitCode::bad_data, message);
}
[[noreturn]] void bad_usage(const std::string& message) {
  throw core::Error(core::ExitCode::usage, message);
}

void validate_add(const AddOptions& o) {
  core::validate_user_name(o.name);
  for (const auto& g : o.groups) {
    if (auto why = core::name_problem(g); !why.empty()) {
      bad_input("Invalid group name '" + g + "': " + why);
    }
  }
  if (o.uid != -1 && (o.uid < 1000 || o.uid > 60000)) {
    bad_input("Invalid --uid " + std::to_string(o.uid) + ": must be between 1000 and 60000 (regular accounts)");
  }
  if (o.shell.empty() || o.shell.front() != '/' || o.shell.find_first_of(":\n") != std::string::npos) {
    bad_input("Invalid --shell '" + o.shell + "': must be an absolute path");
  }
  if (!o.expires.empty()) {
    if (auto why = core::date_problem(o.expires); !why.empty()) {
      bad_input("Invalid --expires '" + o.expires + "': " + why);
    }
  }
  if (auto why = core::email_problem(o.email); !why.empty() || o.email == "none") {
    bad_input("Invalid mail address '" + o.email + "': " + (why.empty() ? "must be an address" : why));
  }
  if (!o.quota.empty() && !core::parse_size(o.quota)) {
    bad_input("Invalid --quota '" + o.quota + "': " + std::string(core::kSizeHint));
  }
}

// Every problem with the supplementary groups of `o` (see core::supplementary_group_problem);
// `will_exist` names groups an earlier line of the same import makes (a user's own group).
std::vector<std::string> group_problems(const core::Config& config, const AddOptions& o,
                                        const std::vector<std::string>& will_exist) {
  std::vector<std::string> problems;
  for (const auto& g : o.groups) {
    if (g == config.group) {
      continue;
    }
    const bool later = std::find(will_exist.begin(), will_exist.end(), g) != will_exist.end();
    if (auto why = core::supplementary_group_problem(g, os::find_group(g), later, o.allowed_groups); !why.empty()) {
      problems.push_back(why);
    }
  }
  return problems;
}

// Adds one user: core::add_user with the progress display of a home copy.
core::Report add_one(const GlobalOptions& options, const core::Config& config, core::Registry& registry,
                     const AddOptions& o) {
  const core::AddUserRequest request{
      .name = o.name,
      .groups = o.groups,
      .uid = o.uid == -1 ? std::nullopt : std::optional<uid_t>(static_cast<uid_t>(o.uid)),
      .shell = o.shell,
      .expires = o.expires,
      .email = o.email,
      .replace_link = o.force,
      .quota = o.quota.empty() ? 0 : core::parse_size(o.quota).value_or(0)};
  ProgressDisplay progress(options, "home copy");  // cleared before anything else is printed
  return core::add_user(config, registry, request, options.dry(), progress.counter());
}

int run_add(const GlobalOptions& options, const AddOptions& o) {
  validate_add(o);
  require_root(options, "user add");
  const core::Config config = load_data_config(options, "user add");
  if (const auto problems = group_problems(config, o, {}); !problems.empty()) {
    bad_input("Refusing to add '" + o.name + "': " + problems.front());
  }
  const auto lock = begin_mutation(options, config, "user add");
  if (!o.quota.empty()) {
    core::require_quota_support(config, o.name);
  }
  core::Registry registry = core::load_registry(config.under_root(core::kRegistryFile));
  const core::Report report = add_one(options, config, registry, o);
  render_report(options, "user add", report);
  return static_cast<int>(report.failed > 0 ? core::ExitCode::partial : core::ExitCode::ok);
}

// `name:group[,group...]` or `name group...` per line, '#' comments: the users.txt of older
// installs. Every line is checked (name, duplicates, groups) before anything is created; all
// bad lines are reported at once, each with its number.
std::vector<AddOptions> parse_users_txt(const std::string& text, const std::string& origin, const core::Config& config,
                                        const std::vector<std::string>& allowed) {
  std::vector<AddOptions> out;
  std::vector<std::string> problems;
  std::vector<std::string> made_groups;  // the own groups of users made by earlier lines
  std::map<std::string, int> seen;
  std::istringstream in(text);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    const std::string where = "'" + origin + "' line " + std::to_string(number) + ": ";
    if (auto hash = line.find('#'); hash != std::string::npos) {
      line.erase(hash);
    }
    if (line.find_first_not_of(" \t\r") == std::string::npos) {
      continue;
    }
    const auto first = line.find_first_not_of(" \t");
    if (line[first] == ':' || line[first] == ',') {
      problems.push_back(where + "no user name before '" + line[first] + "'");
      continue;
    }
    for (char& c : line) {
      if (c == ':' || c == '\t' || c == ',' || c == '\r') {
        c = ' ';
      }
    }
    std::istringstream fields(line);
    AddOptions o;
    o.allowed_groups = allowed;
    fields >> o.name;
    std::string g;
    while (fields >> g) {
      if (g.size() == 10 && g[4] == '-' && g[7] == '-' && std::isdigit(static_cast<unsigned char>(g[0])) != 0) {
        o.expires = g;  // an expiry column YYYY-MM-DD
      } else if (g.find('@') != std::string::npos) {
        o.email = g;  // a mail address column
      } else {
        o.groups.push_back(g);
      }
    }
    try {
      validate_add(o);
    } catch (const core::Error& e) {
      problems.push_back(where + e.what());
      continue;
    }
    if (auto [it, fresh] = seen.emplace(o.name, number); !fresh) {
      problems.push_back(where + "'" + o.name + "' is already on line " + std::to_string(it->second));
      continue;
    }
    for (const auto& why : group_problems(config, o, made_groups)) {
      problems.push_back(where + why);
    }
    if (!os::find_user(o.name)) {
      made_groups.push_back(o.name);
    }
    out.push_back(std::move(o));
  }
  if (!problems.empty()) {
    std::string message = std::to_string(problems.size()) + " bad line" + (problems.size() == 1 ? "" : "s") + " in '" +
                          origin + "', nothing was imported:";
    for (const auto& p : problems) {
      message += "\n  " + p;
    }
    bad_input(message);
  }
  return out;
}

int run_import(const GlobalOptions& options, const ImportOptions& io) {
  const std::string& file = io.file;
  auto text =
      os::read_file(file.front() == '/' ? file : os::join_path(std::getenv("PWD") ? std::getenv("PWD") : "/", file));
  if (!text || !text->has_value()) {
    bad_input("Cannot read '" + file + "'");
  }
  require_root(options, "user import");
  const core::Config config = load_data_config(options, "user import");
  // every line validated before anything changes
  const auto users = parse_users_txt(**text, file, config, io.allowed_groups);
  const auto lock = begin_mutation(options, config, "user import");
  core::Registry registry = core::load_registry(config.under_root(core::kRegistryFile));
  core::Report all;
  for (const auto& o : users) {
    all.merge(add_one(options, config, registry, o));
  }
  render_report(options, "user import", all);
  return static_cast<int>(all.failed > 0 ? core::ExitCode::partial : core::ExitCode::ok);
}

int run_repair(const GlobalOptions& options, const NamesOptions& o) {
  if (o.all == !o.names.empty()) {
    bad_usage("user repair: name users or give --all (not both)");
  }
  for (const auto& n : o.names) {
    core::validate_user_name(n);
  }
  require_root(options, "user repair");
  const core::Config config = load_data_config(options, "user repair");
  const auto lock = begin_mutation(options, config, "user repair");
  const core::Registry registry = core::load_registry(config.under_root(core::kRegistryFile));
  std::vector<core::UserRecord> users;
  if (o.all) {
    users = registry.users;
  } else {
    for (const auto& n : o.names) {
      const core::UserRecord* rec = registry.find(n);
      if (rec == nullptr) {
        bad_input("User '" + n + "' is not registered (see: aicactl user list)");
      }
      users.push_back(*rec);
    }
  }
  core::Report report;
  {
    ProgressDisplay progress(options, "home copy");
    report = core::repair_users(config, registry, users, options.dry(), progress.counter());
  }
  render_report(options, "user repair", report);
  return static_cast<int>(report.failed > 0 ? core::ExitCode::partial : core::ExitCode::ok);
}

// `text` and blanks up to `width` terminal columns: UTF-8 counted by code points (the marks are
// three bytes and one column), so the columns line up.
std::string padded(std::string text, std::size_t width) {
  const auto columns = static_cast<std::size_t>(
      std::ranges::count_if(text, [](char c) { return (static_cast<unsigned char>(c) & 0xC0U) != 0x80U; }));
  if (columns < width) {
    text.append(width - columns, ' ');
  }
  return text;
}

int run_list(const GlobalOptions& options, const NamesOptions& o) {
  const core::Config config = load_data_config(options, "user list");
  const core::Registry registry = core::load_registry(config.under_root(core::kRegistryFile));
  const long today = core::lifecycle_today();
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& rec : registry.users) {
    const core::UserSpec spec = core::user_spec(config, rec, core::AccountPolicy::restore);
    const auto account = os::find_user(rec.name);
    const auto home = os::lstat_path(spec.data_home);
    // Whole as doctor sees it: passwd and shadow, groups and gshadow, memberships.
    const bool account_ok = account.has_value() && core::account_is_whole(config, rec);
    const bool uid_ok = account && account->uid == rec.uid;
    const bool link_ok = os::read_link(spec.link) == spec.data_home;
    const bool home_ok = home && *home && (*home)->is_dir() && account && (*home)->uid == account->uid;
    nlohmann::json row{{"name", rec.name},
                       {"uid", rec.uid},
                       {"group", rec.primary.name},
                       {"gid", rec.primary.gid},
                       {"account", account_ok},
                       {"same_uid", uid_ok},
                       {"link", link_ok},
                       {"home_owner", home_ok},
                       {"expires", rec.expires},
                       {"created_at", rec.created_at},
                       {"expired", core::is_expired(rec, core::date_of_day(today))},
                       {"email", rec.email},
                       {"term", rec.term}};
    const auto left = core::days_until(rec.expires, today);
    row["days_left"] = left ? nlohmann::json(*left) : nlohmann::json(nullptr);
    nlohmann::json groups = nlohmann::json::array();
    for (const auto& g : rec.groups) {
      groups.push_back(g.name);
    }
    row["groups"] = groups;
    if (o.usage) {
      std::uint64_t bytes = 0;
      (void)os::walk_tree(spec.data_home, os::WalkOptions{2}, [&](const os::WalkEntry& e) {
        __atomic_add_fetch(&bytes, e.info->blocks * 512, __ATOMIC_RELAXED);
      });
      row["usage_bytes"] = bytes;
    }
    rows.push_back(std::move(row));
  }
  nlohmann::json removed = nlohmann::json::array();
  nlohmann::json orphans = nlohmann::json::array();
  for (const auto& r : registry.removed) {
    removed.push_back({{"name", r.name},
                       {"uid", r.uid},
                       {"group", r.primary.name},
                       {"gid", r.primary.gid},
                       {"home", r.home},
                       {"home_path", r.home_path},
                       {"removed_at", r.removed_at}});
  }
  const auto orphaned = core::orphaned_homes(config, registry);
  for (const auto& h : orphaned) {
    orphans.push_back({{"path", h.path}, {"uid", h.uid}, {"owner", h.owner}, {"removed", h.removed}});
  }
  if (options.json) {
    nlohmann::json out{{"users", rows}};
    if (o.all) {
      out["removed"] = removed;
      out["orphaned_homes"] = orphans;
    }
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  auto mark = [](bool ok) { return std::string(ok ? "\u2713" : "\u2717"); };
  std::cout << "USER             UID    GROUPS                    ACCOUNT UID LINK HOME" << (o.usage ? " USAGE" : "")
            << "\n";
  for (const auto& r : rows) {
    std::string groups;
    for (const auto& g : r["groups"]) {
      groups += (groups.empty() ? "" : ",") + g.get<std::string>();
    }
    std::string line = padded(r["name"].get<std::string>(), 16) + " " +
                       padded(std::to_string(r["uid"].get<unsigned>()), 6) + " " + padded(groups, 25) + " " +
                       padded(mark(r["account"].get<bool>()), 7) + " " + padded(mark(r["same_uid"].get<bool>()), 3) +
                       " " + padded(mark(r["link"].get<bool>()), 4) + " " + mark(r["home_owner"].get<bool>());
    if (o.usage) {
      line += "    " + os::human_size(r["usage_bytes"].get<std::uint64_t>());
    }
    if (r["expired"].get<bool>()) {
      line += "  \u2717 expired " + r["expires"].get<std::string>();
    } else if (!r["days_left"].is_null()) {
      const long left = r["days_left"].get<long>();
      line += "  expires " + r["expires"].get<std::string>() + " (" + std::to_string(left) +
              (left == 1 ? " day left)" : " days left)");
    }
    std::cout << line << "\n";
  }
  if (o.all) {
    for (const auto& r : registry.removed) {
      std::cout << "removed " << r.name << " (uid " << r.uid << ", gid " << r.primary.gid << ") at " << r.removed_at
                << ", home " << r.home << (r.home_path.empty() ? "" : " " + r.home_path) << "\n";
    }
    for (const auto& h : orphaned) {
      std::cout << core::describe(h) << "\n";
    }
  }
  return 0;
}

int run_remove(const GlobalOptions& options, const RemoveOptions& o) {
  core::validate_user_name(o.name);
  if (o.purge && !o.yes) {
    bad_usage("user remove --purge deletes the home for good; add --yes to confirm");
  }
  if (o.purge && o.archive) {
    bad_usage("user remove: --archive and --purge exclude each other");
  }
  require_root(options, "user remove");
  const core::Config config = load_data_config(options, "user remove");
  const auto lock = begin_mutation(options, config, "user remove");
  core::Registry registry = core::load_registry(config.under_root(core::kRegistryFile));
  if (registry.find(o.name) == nullptr && !os::find_user(o.name)) {
    bad_input("User '" + o.name + "' is neither registered nor an account");
  }
  const core::HomeDisposition home = o.archive ? core::HomeDisposition::archive
                                     : o.purge ? core::HomeDisposition::purge
                                               : core::HomeDisposition::keep;
  const core::Report report = core::remove_user(config, registry, o.name, home, options.dry());
  render_report(options, "user remove", report);
  return static_cast<int>(report.failed > 0 ? core::ExitCode::partial : core::ExitCode::ok);
}

}  // namespace

void register_user(Registrar& r) {
  auto* user = r.app.add_subcommand("user", "Registered users: homes on /data, accounts that survive a re-image");
  user->require_subcommand(1);
  user->fallthrough();

  auto add = std::make_shared<AddOptions>();
  auto* cmd = user->add_subcommand("add", "Create or adopt an account, its home on /data and the /home link");
  cmd->add_option("name", add->name, "User name")->required();
  cmd->add_option("-g,--group", add->groups, "Also add to this group (repeatable)");
  cmd->add_option("--uid", add->uid, "The uid for a new account (>= 1000)");
  cmd->add_option("--shell", add->shell, "Login shell of a new account (default /bin/bash)");
  cmd->add_option("--expires", add->expires, "Account expiry date YYYY-MM-DD");
  cmd->add_option("--quota", add->quota,
                  "Limit the home to SIZE (500M, 20G, 1.5T or bytes; 1024-based): a btrfs qgroup, btrfs only");
  cmd->add_flag("--force", add->force, "Replace a /home/NAME symlink that points elsewhere");
  cmd->add_option("--allow-group", add->allowed_groups,
                  "Allow this system group (gid < 1000, e.g. sudo) for -g in this run (repeatable)");
  cmd->fallthrough();
  cmd->callback([&r, add] { r.set_handler([&o = r.options, add] { return run_add(o, *add); }); });

  auto names = std::make_shared<NamesOptions>();
  cmd = user->add_subcommand("repair", "Re-assert link, home owner/mode, conda settings and home ownership");
  cmd->add_option("names", names->names, "User names");
  cmd->add_flag("--all", names->all, "Every registered user");
  cmd->fallthrough();
  cmd->callback([&r, names] { r.set_handler([&o = r.options, names] { return run_repair(o, *names); }); });

  cmd = user->add_subcommand("list", "The registry with the live status of each user");
  cmd->add_flag("--usage", names->usage, "Also measure each home's disk usage");
  cmd->add_flag("--all", names->all, "Also removed users (their uids stay reserved) and orphaned homes");
  cmd->fallthrough();
  cmd->callback([&r, names] { r.set_handler([&o = r.options, names] { return run_list(o, *names); }); });

  auto rm = std::make_shared<RemoveOptions>();
  cmd = user->add_subcommand("remove", "Unregister a user, remove the link and the account; data is kept");
  cmd->add_option("name", rm->name, "User name")->required();
  cmd->add_flag("--archive", rm->archive, "Move the home to /data/archive/NAME-YYYYMMDD");
  cmd->add_flag("--purge", rm->purge, "Delete the home (needs --yes)");
  cmd->add_flag("--yes", rm->yes, "Confirm --purge");
  cmd->fallthrough();
  cmd->callback([&r, rm] { r.set_handler([&o = r.options, rm] { return run_remove(o, *rm); }); });

  auto import = std::make_shared<ImportOptions>();
  cmd = user->add_subcommand("import", "Add every user of an older users.txt (name:group or name group per line)");
  cmd->add_option("file", import->file, "The users.txt file")->required();
  cmd->add_option("--allow-group", import->allowed_groups,
                  "Allow this system group (gid < 1000, e.g. sudo) in the file for this run (repeatable)");
  cmd->fallthrough();
  cmd->callback([&r, import] { r.set_handler([&o = r.options, import] { return run_import(o, *import); }); });

  register_user_lifecycle(*user, r);
}

}  // namespace aicactl::cli
