// SPDX-License-Identifier: Apache-2.0
// aicactl user set | user expire | docker enable | docker disable: the life cycle of an account.
#include "aicactl/cli/lifecycle_cmd.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "aicactl/cli/render.hpp"
#include "aicactl/core/lifecycle/clock.hpp"
#include "aicactl/core/lifecycle/docker.hpp"
#include "aicactl/core/lifecycle/expiry.hpp"
#include "aicactl/core/lifecycle/user_set.hpp"
#include "aicactl/core/plan/errors.hpp"
#include "aicactl/core/users/quota.hpp"
#include "aicactl/core/users/registry.hpp"
#include "aicactl/core/users/users.hpp"
#include "aicactl/os/accounts.hpp"

namespace aicactl::cli {
namespace {

struct SetOptions {
  std::string name;
  std::string expires;  // YYYY-MM-DD or "never"; "" = unchanged
  std::string email;    // "" = unchanged, "none" = cleared
  std::string term;     // "" = unchanged, "none" = cleared
  std::string quota;    // SIZE, "" = unchanged, "none" = lifted
};

struct ExpireCliOptions {
  std::vector<std::string> names;
};

struct DockerOptions {
  std::string name;
  bool self = false;
};

[[noreturn]] void bad_input(const std::string& message) {
  throw core::Error(core::ExitCode::bad_data, message);
}

int exit_of(const core::Report& report) {
  return static_cast<int>(report.failed > 0 ? core::ExitCode::partial : core::ExitCode::ok);
}

void validate_set(const SetOptions& o) {
  core::validate_user_name(o.name);
  if (o.expires.empty() && o.email.empty() && o.term.empty() && o.quota.empty()) {
    throw core::Error(core::ExitCode::usage, "user set: give --expires, --email, --term or --quota");
  }
  if (auto why = core::expiry_problem(o.expires, core::lifecycle_today()); !why.empty()) {
    bad_input("Invalid --expires '" + o.expires + "': " + why);
  }
  if (auto why = core::email_problem(o.email); !why.empty()) {
    bad_input("Invalid --email '" + o.email + "': " + why);
  }
  if (auto why = core::term_problem(o.term); !why.empty()) {
    bad_input("Invalid --term '" + o.term + "': " + why);
  }
  if (!o.quota.empty() && o.quota != "none" && !core::parse_size(o.quota)) {
    bad_input("Invalid --quota '" + o.quota + "': " + std::string(core::kSizeHint) + ", or 'none'");
  }
}

int run_set(const GlobalOptions& options, const SetOptions& o) {
  validate_set(o);
  require_root(options, "user set");
  const core::Config config = load_data_config(options, "user set");
  const auto lock = begin_mutation(options, config, "user set");
  core::Registry registry = core::load_registry(config.under_root(core::kRegistryFile));
  const core::UserRecord* rec = registry.find(o.name);
  if (rec == nullptr) {
    bad_input("User '" + o.name + "' is not registered (see: aicactl user list)");
  }
  if (!o.quota.empty() && o.quota != "none") {
    core::require_quota_support(config, o.name);
  }
  core::UserRecord changed = core::with_settings(*rec, core::UserSettings{o.expires, o.email, o.term, o.quota});
  const core::Report report = core::apply_user_settings(config, registry, changed, options.dry());
  render_report(options, "user set", report);
  return exit_of(report);
}

int run_expire(const GlobalOptions& options, const ExpireCliOptions& o) {
  for (const auto& n : o.names) {
    core::validate_user_name(n);
  }
  require_root(options, "user expire");
  const core::Config config = load_data_config(options, "user expire");
  const auto lock = begin_mutation(options, config, "user expire");
  const core::Registry registry = core::load_registry(config.under_root(core::kRegistryFile));
  for (const auto& n : o.names) {
    if (registry.find(n) == nullptr) {
      bad_input("User '" + n + "' is not registered (see: aicactl user list)");
    }
  }
  const core::Report report = core::run_user_expire(config, registry, core::ExpireOptions{o.names, options.dry()});
  render_report(options, "user expire", report);
  return exit_of(report);
}

// The user `docker enable --self` is for: the sudo caller (SUDO_UID, never a name from the
// environment), who must be a member of the sharing group.
std::string self_user(const core::Config& config) {
  const char* sudo_uid = std::getenv("SUDO_UID");
  if (::getuid() != 0 || sudo_uid == nullptr || std::string_view(sudo_uid) == "0") {
    throw core::Error(core::ExitCode::usage, "docker enable --self is for users through sudo; an admin names the user");
  }
  const auto account = os::find_user(static_cast<uid_t>(std::strtoul(sudo_uid, nullptr, 10)));
  const auto group = os::find_group(config.group);
  const auto member_of = account ? os::groups_of(*account) : std::vector<gid_t>{};
  if (!account || !group || std::ranges::find(member_of, group->gid) == member_of.end()) {
    throw core::Error(core::ExitCode::needs_root, "docker enable --self: only members of '" + config.group + "' may");
  }
  return account->name;
}

int run_docker(const GlobalOptions& options, const DockerOptions& o, bool enable) {
  const std::string command = enable ? "docker enable" : "docker disable";
  if (o.self) {
    require_pinned_form(options, {{"docker", "enable", "--self"}});
    if (!o.name.empty()) {
      throw core::Error(core::ExitCode::usage, "docker enable: name a user or give --self (not both)");
    }
  } else if (o.name.empty()) {
    throw core::Error(core::ExitCode::usage, command + ": name a user" + (enable ? " (or --self)" : ""));
  } else {
    core::validate_user_name(o.name);
  }
  require_root(options, command);
  const core::Config config = load_data_config(options, command);
  const std::string name = o.self ? self_user(config) : o.name;
  const auto lock = begin_mutation(options, config, command);
  core::Registry registry = core::load_registry(config.under_root(core::kRegistryFile));
  const core::UserRecord* rec = registry.find(name);
  const auto account = os::find_user(name);
  if (rec == nullptr || !account) {
    bad_input("User '" + name + "' is not a registered account here (see: aicactl user list)");
  }
  const core::UserRecord record = *rec;  // a copy: the registry is replaced
  const core::Report report = enable ? core::enable_docker(config, registry, record, *account, options.dry())
                                     : core::disable_docker(config, registry, record, *account, options.dry());
  render_report(options, command, report);
  return exit_of(report);
}

}  // namespace

void register_user_lifecycle(CLI::App& user, Registrar& r) {
  auto set = std::make_shared<SetOptions>();
  auto* cmd = user.add_subcommand("set", "Change a registered user's expiry date, mail address or term");
  cmd->add_option("name", set->name, "User name")->required();
  cmd->add_option("--expires", set->expires,
                  "Expiry date YYYY-MM-DD (today or later; also put on the account as chage -E does), or 'never'");
  cmd->add_option("--email", set->email, "Where expiry notices go, or 'none' (default USER@[lifecycle] mail_domain)");
  cmd->add_option("--term", set->term, "The term the account belongs to (e.g. 2026-fall), or 'none'");
  cmd->add_option("--quota", set->quota,
                  "Limit the home to SIZE (500M, 20G, 1.5T or bytes; 1024-based; a btrfs qgroup), or 'none'");
  cmd->fallthrough();
  cmd->callback([&r, set] { r.set_handler([&o = r.options, set] { return run_set(o, *set); }); });

  auto expire = std::make_shared<ExpireCliOptions>();
  cmd = user.add_subcommand("expire",
                            "Daily (cron): expiry notices once each, then revoke, lock and end the sessions of expired "
                            "accounts");
  cmd->add_option("names", expire->names, "Only these users (also those [lifecycle] keep or admin groups protect)");
  cmd->fallthrough();
  cmd->callback([&r, expire] { r.set_handler([&o = r.options, expire] { return run_expire(o, *expire); }); });
}

void register_lifecycle(Registrar& r) {
  auto* docker =
      r.app.add_subcommand("docker", "Rootless Docker: a user's sub-id range in /etc/subuid and /etc/subgid");
  docker->require_subcommand(1);
  docker->fallthrough();
  auto enable = std::make_shared<DockerOptions>();
  auto* cmd = docker->add_subcommand(
      "enable", "Give a user a 65,536-id range that overlaps no other (recorded; recover writes it again)");
  cmd->add_option("name", enable->name, "User name");
  cmd->add_flag("--self", enable->self, "The calling user, through sudo (members of the sharing group)");
  cmd->fallthrough();
  cmd->callback([&r, enable] { r.set_handler([&o = r.options, enable] { return run_docker(o, *enable, true); }); });
  auto disable = std::make_shared<DockerOptions>();
  cmd = docker->add_subcommand("disable", "Remove a user's sub-id lines (other lines kept) and the recorded range");
  cmd->add_option("name", disable->name, "User name")->required();
  cmd->fallthrough();
  cmd->callback([&r, disable] { r.set_handler([&o = r.options, disable] { return run_docker(o, *disable, false); }); });
}

}  // namespace aicactl::cli
