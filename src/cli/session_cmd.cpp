// SPDX-License-Identifier: Apache-2.0
// aicactl session create|list|show|extend|delete|reap: GPU sessions as containers (see
// core/sessions/service.hpp). The session database serialises allocations, so these commands
// do not take aicactl's lock; each needs root, or is one of the two pinned sudo forms (--self).
#include "aicactl/cli/session_cmd.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "aicactl/core/lifecycle/clock.hpp"
#include "aicactl/core/plan/errors.hpp"
#include "aicactl/core/sessions/service.hpp"
#include "aicactl/core/users/users.hpp"
#include "aicactl/os/accounts.hpp"

namespace aicactl::cli {
namespace {

namespace ss = core::sessions;

struct CreateOptions {
  std::string user;
  bool self = false;
  std::string mig;
  std::string gpu;
  bool no_gpu = false;
  std::string ttl;
  std::string image;
  std::string cpus;
  std::string memory;
};

struct IdOptions {
  std::string id;
  std::string ttl;  // extend
  bool self = false;
};

struct ListOptions {
  std::string user;
};

[[noreturn]] void usage(const std::string& message) {
  throw core::Error(core::ExitCode::usage, message);
}

// The caller of a --self form: the sudo caller (SUDO_UID, never a name from the environment),
// a member of the sharing group.
std::string self_user(const core::Config& config, const std::string& command) {
  const char* sudo_uid = std::getenv("SUDO_UID");
  if (::getuid() != 0 || sudo_uid == nullptr || std::string_view(sudo_uid) == "0") {
    usage(command + " --self is for users through sudo; an admin names the user");
  }
  const auto account = os::find_user(static_cast<uid_t>(std::strtoul(sudo_uid, nullptr, 10)));
  const auto group = os::find_group(config.group);
  const auto member_of = account ? os::groups_of(*account) : std::vector<gid_t>{};
  if (!account || !group || std::ranges::find(member_of, group->gid) == member_of.end()) {
    throw core::Error(core::ExitCode::needs_root, command + " --self: only members of '" + config.group + "' may");
  }
  return account->name;
}

// Through sudo the pinned sudoers lines end in a wildcard, so the argv is checked here exactly:
// `session create --self` with at most one --mig P and one --ttl T, or `session delete --self ID`.
void require_self_form(const GlobalOptions& options) {
  const char* sudo_uid = std::getenv("SUDO_UID");
  if (::getuid() != 0 || sudo_uid == nullptr || std::string_view(sudo_uid) == "0") {
    return;
  }
  std::vector<std::string> a = options.argv;
  if (const auto json = std::ranges::find(a, "--json"); json != a.end()) {
    a.erase(json);  // --json (once, anywhere) changes only the output
  }
  bool ok = false;
  if (a.size() >= 3 && a[0] == "session" && a[1] == "create" && a[2] == "--self") {
    ok = a.size() % 2 == 1;
    bool mig = false;
    bool ttl = false;
    for (std::size_t i = 3; ok && i + 1 < a.size(); i += 2) {
      bool& seen = a[i] == "--mig" ? mig : ttl;
      ok = (a[i] == "--mig" || a[i] == "--ttl") && !seen && !a[i + 1].starts_with("-");
      seen = true;
    }
  } else if (a.size() == 4 && a[0] == "session" && a[1] == "delete" && a[2] == "--self") {
    ok = ss::valid_session_id(a[3]);
  }
  if (!ok) {
    throw core::Error(core::ExitCode::needs_root,
                      "Through sudo, only these forms are accepted: 'aicactl session create --self [--mig PROFILE] "
                      "[--ttl TTL] [--json]' and 'aicactl session delete --self ID [--json]'");
  }
}

nlohmann::json session_json(const ss::Service& service, const ss::Session& s) {
  return {{"id", s.id},
          {"user", s.user},
          {"port", s.port},
          {"slice", s.slice ? nlohmann::json(*s.slice) : nlohmann::json(nullptr)},
          {"gpu_mode", s.gpu_mode.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.gpu_mode)},
          {"container", ss::Service::container_name(s.id)},
          {"container_id", s.container},
          {"image", s.image},
          {"created", s.created},
          {"created_utc", ss::utc_text(s.created)},
          {"expires", s.expires},
          {"expires_utc", ss::utc_text(s.expires)},
          {"ssh", service.ssh_command(s)}};
}

void print_json(const nlohmann::json& j) {
  std::cout << j.dump(2) << "\n";
}

void print_session(const ss::Service& service, const ss::Session& s, std::int64_t now) {
  std::cout << "Session " << s.id << " of " << s.user << "\n"
            << "  port     " << s.port << "\n"
            << "  GPU      " << s.slice.value_or("none") << "\n"
            << "  expires  " << ss::utc_text(s.expires) << " (in "
            << core::ttl_text(std::max<std::int64_t>(0, s.expires - now)) << ")\n"
            << "  ssh      " << service.ssh_command(s) << "\n";
}

ss::GpuChoice gpu_choice(const CreateOptions& o) {
  const int given = (o.mig.empty() ? 0 : 1) + (o.gpu.empty() ? 0 : 1) + (o.no_gpu ? 1 : 0);
  if (given > 1) {
    usage("session create: give at most one of --mig, --gpu and --no-gpu");
  }
  if (!o.mig.empty()) {
    return {ss::GpuKind::mig, o.mig};
  }
  if (!o.gpu.empty()) {
    return {ss::GpuKind::device, o.gpu};
  }
  return {o.no_gpu ? ss::GpuKind::none : ss::GpuKind::automatic, ""};
}

ss::CreateRequest create_request(const CreateOptions& o) {
  ss::CreateRequest r;
  r.gpu = gpu_choice(o);
  if (!o.ttl.empty()) {
    r.ttl = ss::parse_ttl(o.ttl);
  }
  r.image = o.image;
  if (!o.cpus.empty()) {
    const auto n = core::parse_cpus(o.cpus);
    if (!n) {
      usage("Invalid --cpus '" + o.cpus + "': a number of CPUs above 0 and at most 1024");
    }
    r.nano_cpus = *n;
  }
  if (!o.memory.empty()) {
    const auto n = core::parse_memory_size(o.memory);
    constexpr std::int64_t kMinMemory = 6LL << 20;
    if (!n || *n < kMinMemory) {
      usage("Invalid --memory '" + o.memory + "': a size like 16g or 512m, at least 6m");
    }
    r.memory = *n;
  }
  return r;
}

int run_create(const GlobalOptions& options, const CreateOptions& o) {
  if (o.self) {
    require_self_form(options);
    if (!o.user.empty()) {
      usage("session create: name a user or give --self (not both)");
    }
  } else if (o.user.empty()) {
    usage("session create: name a user (or --self)");
  }
  ss::CreateRequest request = create_request(o);
  require_root(options, "session create");
  const core::Config config = load_data_config(options, "session create");
  request.user = o.self ? self_user(config, "session create") : o.user;
  request.limit_per_user = o.self;
  ss::Service service(config);
  const std::int64_t now = core::lifecycle_now();
  if (options.dry_run) {
    service.check_create(request);
    std::cout << "Would create a session for " << request.user << "\n";
    return 0;
  }
  const ss::Session s = service.create(request, now);
  log_to_files("session create: " + s.id + " of " + s.user + " on port " + std::to_string(s.port) +
               (s.slice ? ", slice " + *s.slice : ""));
  if (options.json) {
    auto j = session_json(service, s);
    j["command"] = "session create";
    print_json(j);
  } else {
    print_session(service, s, now);
  }
  return 0;
}

int run_list(const GlobalOptions& options, const ListOptions& o) {
  if (!o.user.empty()) {
    core::validate_user_name(o.user);
  }
  require_root(options, "session list");
  const core::Config config = load_data_config(options, "session list");
  const ss::Service service(config);
  const auto sessions = service.list(o.user);
  const std::int64_t now = core::lifecycle_now();
  if (options.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& s : sessions) {
      list.push_back(session_json(service, s));
    }
    print_json({{"command", "session list"}, {"sessions", list}});
    return 0;
  }
  if (sessions.empty()) {
    std::cout << "No sessions\n";
    return 0;
  }
  std::cout << std::left << std::setw(14) << "ID" << std::setw(14) << "USER" << std::setw(7) << "PORT" << std::setw(22)
            << "EXPIRES (UTC)"
            << "GPU\n";
  for (const auto& s : sessions) {
    std::cout << std::setw(14) << s.id << std::setw(14) << s.user << std::setw(7) << s.port << std::setw(22)
              << (ss::utc_text(s.expires) + (s.expires <= now ? "*" : "")) << s.slice.value_or("-") << "\n";
  }
  return 0;
}

int run_show(const GlobalOptions& options, const IdOptions& o) {
  require_root(options, "session show");
  const core::Config config = load_data_config(options, "session show");
  const ss::Service service(config);
  const ss::Session s = service.show(o.id);
  const std::string state = service.container_state(s);
  if (options.json) {
    auto j = session_json(service, s);
    j["command"] = "session show";
    j["state"] = state;
    print_json(j);
  } else {
    print_session(service, s, core::lifecycle_now());
    std::cout << "  state    " << state << "\n";
  }
  return 0;
}

int run_extend(const GlobalOptions& options, const IdOptions& o) {
  const std::int64_t ttl = ss::parse_ttl(o.ttl);
  require_root(options, "session extend");
  const core::Config config = load_data_config(options, "session extend");
  ss::Service service(config);
  const std::int64_t now = core::lifecycle_now();
  const ss::Session s = options.dry_run ? service.show(o.id) : service.extend(o.id, ttl, now);
  if (options.dry_run) {
    std::cout << "Would extend session " << s.id << " to " << ss::utc_text(now + ttl) << "\n";
    return 0;
  }
  log_to_files("session extend: " + s.id + " until " + ss::utc_text(s.expires));
  if (options.json) {
    auto j = session_json(service, s);
    j["command"] = "session extend";
    print_json(j);
  } else {
    std::cout << "Session " << s.id << " now expires " << ss::utc_text(s.expires) << "\n";
  }
  return 0;
}

int run_delete(const GlobalOptions& options, const IdOptions& o) {
  if (o.self) {
    require_self_form(options);
  }
  if (o.id.empty()) {
    usage("session delete: name a session id");
  }
  require_root(options, "session delete");
  const core::Config config = load_data_config(options, "session delete");
  ss::Service service(config);
  if (o.self) {
    const std::string me = self_user(config, "session delete");
    if (service.show(o.id).user != me) {
      throw core::Error(core::ExitCode::bad_data, "No session '" + o.id + "' of yours (see: aicactl session list)");
    }
  }
  if (options.dry_run) {
    const ss::Session s = service.show(o.id);
    std::cout << "Would delete session " << s.id << " of " << s.user << " (port " << s.port << ")\n";
    return 0;
  }
  const ss::Session s = service.remove(o.id);
  log_to_files("session delete: " + s.id + " of " + s.user);
  if (options.json) {
    print_json({{"command", "session delete"}, {"id", s.id}, {"user", s.user}, {"port", s.port}, {"deleted", true}});
  } else {
    std::cout << "Deleted session " << s.id << " of " << s.user << " (port " << s.port << " freed)\n";
  }
  return 0;
}

int run_reap(const GlobalOptions& options) {
  require_root(options, "session reap");
  const core::Config config = load_data_config(options, "session reap");
  ss::Service service(config);
  const ss::ReapReport report = service.reap(core::lifecycle_now(), options.dry());
  for (const auto& line : report.lines) {
    log_to_files("session reap: " + line);
  }
  if (options.json) {
    print_json({{"command", "session reap"}, {"actions", report.lines}, {"failed", report.failed}});
  } else if (!options.quiet || !report.lines.empty()) {
    for (const auto& line : report.lines) {
      std::cout << line << "\n";
    }
    if (report.lines.empty()) {
      std::cout << "Nothing to reap\n";
    }
  }
  return static_cast<int>(report.failed > 0 ? core::ExitCode::partial : core::ExitCode::ok);
}

}  // namespace

void register_session(Registrar& r) {
  auto* session = r.app.add_subcommand(
      "session", "GPU sessions: a container per user with a GPU slice, /workspace and sshd on a host port");
  session->require_subcommand(1);
  session->fallthrough();

  auto c = std::make_shared<CreateOptions>();
  auto* cmd = session->add_subcommand(
      "create", "Start a session for USER (container as the user's uid, their authorized_keys, a TTL)");
  cmd->add_option("user", c->user, "User name (a regular account with a workspace)");
  cmd->add_flag("--self", c->self, "The calling user, through sudo (members of the sharing group)");
  cmd->add_option("--mig", c->mig, "A free MIG instance of this profile (as NVML names it, e.g. 3g.40gb)")
      ->option_text("PROFILE");
  cmd->add_option("--gpu", c->gpu, "This whole GPU (or MIG instance), by UUID or index")->option_text("UUID|INDEX");
  cmd->add_flag("--no-gpu", c->no_gpu, "No GPU (the default when no NVIDIA driver is found)");
  cmd->add_option("--ttl", c->ttl, "Time to live, e.g. 8h, 90m, 2d (default [sessions] default_ttl)")
      ->option_text("TTL");
  cmd->add_option("--image", c->image, "Container image (default [sessions] image)")->option_text("IMAGE");
  cmd->add_option("--cpus", c->cpus, "CPU limit, e.g. 4 or 2.5 (default [sessions] cpus)")->option_text("N");
  cmd->add_option("--memory", c->memory, "Memory limit, e.g. 32g (default [sessions] memory)")->option_text("SIZE");
  cmd->fallthrough();
  cmd->callback([&r, c] { r.set_handler([&o = r.options, c] { return run_create(o, *c); }); });

  auto l = std::make_shared<ListOptions>();
  cmd = session->add_subcommand("list", "Every session: id, user, port, expiry (UTC; * when expired), GPU slice");
  cmd->add_option("--user", l->user, "Only this user's sessions")->option_text("USER");
  cmd->fallthrough();
  cmd->callback([&r, l] { r.set_handler([&o = r.options, l] { return run_list(o, *l); }); });

  auto s = std::make_shared<IdOptions>();
  cmd = session->add_subcommand("show", "One session, with its container's state");
  cmd->add_option("id", s->id, "Session id")->required();
  cmd->fallthrough();
  cmd->callback([&r, s] { r.set_handler([&o = r.options, s] { return run_show(o, *s); }); });

  auto e = std::make_shared<IdOptions>();
  cmd = session->add_subcommand("extend", "Set a session's expiry to now + TTL (at most [sessions] max_ttl)");
  cmd->add_option("id", e->id, "Session id")->required();
  cmd->add_option("--ttl", e->ttl, "The new time to live from now, e.g. 2h")->option_text("TTL")->required();
  cmd->fallthrough();
  cmd->callback([&r, e] { r.set_handler([&o = r.options, e] { return run_extend(o, *e); }); });

  auto d = std::make_shared<IdOptions>();
  cmd = session->add_subcommand("delete", "Stop and remove a session's container; free its port and slice");
  cmd->add_option("id", d->id, "Session id");
  cmd->add_flag("--self", d->self, "Only one of the calling user's own sessions, through sudo");
  cmd->fallthrough();
  cmd->callback([&r, d] { r.set_handler([&o = r.options, d] { return run_delete(o, *d); }); });

  cmd = session->add_subcommand(
      "reap", "Cron, every minute: end expired sessions; reconcile the database with the Docker engine");
  cmd->fallthrough();
  cmd->callback([&r] { r.set_handler([&o = r.options] { return run_reap(o); }); });
}

}  // namespace aicactl::cli
