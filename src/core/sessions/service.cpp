// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/sessions/service.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <set>

#include "aicactl/core/gpu/status.hpp"
#include "aicactl/core/plan/errors.hpp"
#include "aicactl/core/sessions/engine.hpp"
#include "aicactl/core/users/users.hpp"
#include "aicactl/os/accounts.hpp"
#include "aicactl/os/atomic_file.hpp"
#include "aicactl/os/entry_ops.hpp"
#include "aicactl/os/fs.hpp"
#include "aicactl/os/host.hpp"
#include "aicactl/os/small_file.hpp"
#include "aicactl/os/tree_ops.hpp"

namespace aicactl::core::sessions {
namespace {

constexpr int kStopGraceSeconds = 2;
constexpr std::int64_t kCreateWindow = 300;  // a row this young without a container is being created
constexpr mode_t kStateMode = 0755;
constexpr mode_t kSessionsMode = 0700;
constexpr mode_t kFileMode = 0644;

[[noreturn]] void bad(const std::string& message) {
  throw Error(ExitCode::bad_data, message);
}

std::string gpu_mode_text(GpuMode m) {
  return m == GpuMode::runtime ? "runtime" : "device-requests";
}

// The user's account, refused unless it is a regular account (uid >= 1000, not in group 0).
os::UserInfo session_account(const std::string& user) {
  validate_user_name(user);
  auto account = os::find_user(user);
  if (!account) {
    bad("Unknown user '" + user + "': no such account here (see: aicactl user add)");
  }
  if (account->uid < kFirstRegularUid || account->gid == 0) {
    bad("Refusing user '" + user + "': not a regular account (uid " + std::to_string(account->uid) + ")");
  }
  return *account;
}

// The user's authorized_keys, read through fds below the workspace, never through a link.
std::string read_authorized_keys(const std::string& workspace, const os::UserInfo& account) {
  const std::string shown = workspace + "/.ssh/authorized_keys";
  const std::string why = "User '" + account.name + "' has no usable '" + shown + "' (a session logs in only with ";
  auto ws = os::open_dir(workspace);
  if (!ws) {
    bad("User '" + account.name + "' has no workspace '" + workspace + "' (" + ws.error().message() +
        "; see: aicactl user add)");
  }
  auto ssh = os::open_dir_at(ws->get(), ".ssh", workspace + "/.ssh");
  if (!ssh) {
    bad(why + "the user's own keys): " + ssh.error().message());
  }
  auto keys = os::read_small_file_at(ssh->get(), "authorized_keys", kMaxAuthorizedKeys, shown);
  if (!keys) {
    const int e = keys.error().code;
    bad(why + "the user's own keys): " +
        (e == ELOOP    ? std::string("it is a symbolic link")
         : e == EFBIG  ? std::string("it is larger than 64 KiB")
         : e == EINVAL ? std::string("it is not a regular file")
                       : keys.error().message()));
  }
  if (keys->info.uid != account.uid) {
    bad(why + "the user's own keys): it is not owned by " + account.name);
  }
  return std::move(keys->content);
}

std::vector<std::pair<std::string, gid_t>> groups_with_names(const os::UserInfo& account) {
  std::vector<std::pair<std::string, gid_t>> out;
  std::set<gid_t> seen;
  auto add = [&](gid_t g) {
    if (g == 0 || !seen.insert(g).second) {
      return;
    }
    const auto info = os::find_group(g);
    out.emplace_back(info ? info->name : "g" + std::to_string(g), g);
  };
  add(account.gid);
  for (const gid_t g : os::groups_of(account)) {
    add(g);
  }
  return out;
}

bool database_exists(const Service& service) {
  auto st = os::lstat_path(service.database_path());
  return st && st->has_value();
}

void ignore_errors(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception&) {
    // Undoing after a failure: the first error is the one reported.
  }
}

}  // namespace

std::vector<Slice> nvml_slices() {
  const gpu::Reader reader;
  const gpu::Status status = reader.read();
  std::vector<Slice> out;
  for (const auto& g : status.gpus) {
    out.push_back(Slice{g.uuid, g.index, "", g.mig_enabled.value_or(false)});
    for (const auto& m : g.mig) {
      out.push_back(Slice{m.uuid, g.index, m.profile, false});
    }
  }
  return out;
}

std::vector<std::string> resolve_gpu(const GpuChoice& choice, const std::vector<Slice>& slices) {
  std::vector<std::string> out;
  switch (choice.kind) {
    case GpuKind::none: return out;
    case GpuKind::automatic:
      for (const auto& s : slices) {
        if (!s.mig_parent) {
          out.push_back(s.uuid);
        }
      }
      return out;
    case GpuKind::device:
      for (const auto& s : slices) {
        if (s.uuid == choice.value || (s.profile.empty() && std::to_string(s.gpu_index) == choice.value)) {
          if (s.mig_parent) {
            bad("GPU '" + choice.value + "' is in MIG mode: give one of its MIG instances (--mig PROFILE)");
          }
          return {s.uuid};
        }
      }
      bad("No GPU '" + choice.value + "' here (an index or UUID from: aicactl gpu status)");
    case GpuKind::mig: {
      std::set<std::string> profiles;
      for (const auto& s : slices) {
        if (!s.profile.empty()) {
          profiles.insert(s.profile);
          if (s.profile == choice.value) {
            out.push_back(s.uuid);
          }
        }
      }
      if (out.empty()) {
        std::string have;
        for (const auto& p : profiles) {
          have += (have.empty() ? "" : ", ") + p;
        }
        bad("No MIG instance of profile '" + choice.value + "' here (" +
            (have.empty() ? std::string("no MIG instances") : "profiles: " + have) + ")");
      }
      return out;
    }
  }
  return out;
}

std::string session_passwd(const std::string& user, uid_t uid, gid_t gid) {
  return "root:x:0:0:root:/root:/bin/bash\n" + user + ":x:" + std::to_string(uid) + ":" + std::to_string(gid) +
         "::/workspace:/bin/bash\n";
}

std::string session_group(const std::vector<std::pair<std::string, gid_t>>& groups, const std::string& user) {
  std::string out = "root:x:0:\n";
  for (std::size_t i = 0; i < groups.size(); ++i) {
    out += groups[i].first + ":x:" + std::to_string(groups[i].second) + ":" + (i == 0 ? "" : user) + "\n";
  }
  return out;
}

Service::Service(const Config& config, SliceSource slices) : config_(config), slices_(std::move(slices)) {}

std::string Service::state_dir() const {
  return config_.under_root("system/state/sessions");
}

std::string Service::database_path() const {
  return config_.under_root("system/state/sessions.db");
}

std::string Service::workspace_root() const {
  return config_.sessions.workspace_root.empty() ? config_.under_root("users") : config_.sessions.workspace_root;
}

std::string Service::container_name(const std::string& id) {
  return std::string(kContainerPrefix) + id;
}

std::string Service::ssh_command(const Session& s) const {
  const std::string host = config_.sessions.ssh_host.empty() ? os::host_name() : config_.sessions.ssh_host;
  return "ssh -p " + std::to_string(s.port) + " " + s.user + "@" + host;
}

Store Service::open_store() const {
  const std::string system = config_.under_root("system");
  auto fd = os::open_dir(system);
  if (!fd) {
    throw Error(fd.error());
  }
  value_or_throw(os::ensure_dir_at(fd->get(), "state", kStateMode, system + "/state"));
  auto state = value_or_throw(os::open_dir_at(fd->get(), "state", system + "/state"));
  value_or_throw(os::ensure_dir_at(state.get(), "sessions", kSessionsMode, state_dir()));
  return Store::open(database_path());
}

void Service::start_container(const Session& s) const {
  const os::UserInfo account = session_account(s.user);
  const std::string workspace = workspace_root() + "/" + s.user;
  const std::string keys = read_authorized_keys(workspace, account);
  const Engine engine(config_.sessions.engine);
  const std::string dir = state_dir() + "/" + s.id;
  const auto groups = groups_with_names(account);
  std::string container;
  try {
    auto sessions_fd = value_or_throw(os::open_dir(state_dir()));
    value_or_throw(os::ensure_dir_at(sessions_fd.get(), s.id.c_str(), kStateMode, dir));
    value_or_throw(
        os::write_file_atomically(dir + "/passwd", session_passwd(s.user, account.uid, account.gid), kFileMode, 0, 0));
    value_or_throw(os::write_file_atomically(dir + "/group", session_group(groups, s.user), kFileMode, 0, 0));
    value_or_throw(os::write_file_atomically(dir + "/authorized_keys", keys, kFileMode, 0, 0));
    ContainerSpec spec;
    spec.id = s.id;
    spec.user = s.user;
    spec.uid = account.uid;
    spec.gid = account.gid;
    for (std::size_t i = 1; i < groups.size(); ++i) {
      spec.groups.push_back(groups[i].second);
    }
    spec.image = s.image.empty() ? config_.sessions.image : s.image;
    spec.workspace = workspace;
    spec.state_dir = dir;
    spec.bind = config_.sessions.bind;
    spec.port = s.port;
    spec.expires = s.expires;
    spec.nano_cpus = s.nano_cpus;
    spec.memory = s.memory;
    spec.pids_limit = config_.sessions.pids_limit;
    spec.gpu_mode = s.gpu_mode == "runtime" ? GpuMode::runtime : GpuMode::device_requests;
    spec.runtime = config_.sessions.runtime;
    spec.gpu = s.slice;
    container = engine.create(container_name(s.id), container_body(spec));
    open_store().set_container(s.id, container);
    engine.start(container);
  } catch (...) {
    if (!container.empty()) {
      ignore_errors([&] { engine.remove(container); });
    }
    ignore_errors([&] {
      if (auto fd = os::open_dir(state_dir())) {
        (void)os::remove_tree_at(fd->get(), s.id.c_str(), dir);
      }
    });
    throw;
  }
}

Service::Prepared Service::prepare(const CreateRequest& r) const {
  const SessionsConfig& c = config_.sessions;
  const os::UserInfo account = session_account(r.user);
  Prepared p;
  p.ttl = r.ttl.value_or(c.default_ttl);
  if (p.ttl > c.max_ttl) {
    bad("TTL " + ttl_text(p.ttl) + " is over [sessions] max_ttl (" + ttl_text(c.max_ttl) + ")");
  }
  p.image = r.image.empty() ? c.image : r.image;
  if (!valid_image_name(p.image)) {
    bad("Invalid image name '" + p.image + "'");
  }
  (void)read_authorized_keys(workspace_root() + "/" + r.user, account);
  std::vector<Slice> slices;
  if (r.gpu.kind == GpuKind::automatic) {
    try {
      slices = slices_();
    } catch (const Error&) {
      slices.clear();  // no driver or no GPU: a session without a GPU
    }
  } else if (r.gpu.kind != GpuKind::none) {
    slices = slices_();
  }
  p.candidates = resolve_gpu(r.gpu, slices);
  const Engine engine(c.engine);
  engine.require_image(p.image);
  return p;
}

void Service::check_create(const CreateRequest& request) const {
  (void)prepare(request);
}

Session Service::create(const CreateRequest& r, std::int64_t now) {
  const SessionsConfig& c = config_.sessions;
  const Prepared p = prepare(r);
  Store store = open_store();
  const Session s =
      store.allocate(NewSession{r.user, p.candidates, now, p.ttl, p.image, r.nano_cpus != 0 ? r.nano_cpus : c.nano_cpus,
                                r.memory != 0 ? r.memory : c.memory, gpu_mode_text(c.gpu_mode)},
                     c.ports, r.limit_per_user ? c.max_per_user : 0);
  try {
    start_container(s);
  } catch (...) {
    ignore_errors([&] { (void)store.remove(s.id); });
    throw;
  }
  return *store.find(s.id);
}

std::vector<Session> Service::list(const std::string& user) const {
  std::vector<Session> out = open_store().list();
  if (!user.empty()) {
    std::erase_if(out, [&](const Session& s) { return s.user != user; });
  }
  return out;
}

Session Service::show(const std::string& id) const {
  if (!valid_session_id(id)) {
    bad("Invalid session id '" + id + "' (12 lower-case hex digits, see: aicactl session list)");
  }
  auto s = open_store().find(id);
  if (!s) {
    bad("No session '" + id + "' (see: aicactl session list)");
  }
  return *s;
}

std::string Service::container_state(const Session& s) const {
  try {
    const Engine engine(config_.sessions.engine);
    const auto info = engine.inspect(container_name(s.id));
    return info ? info->state : "missing";
  } catch (const Error&) {
    return "unknown";
  }
}

Session Service::extend(const std::string& id, std::int64_t ttl, std::int64_t now) {
  Session s = show(id);
  if (ttl > config_.sessions.max_ttl) {
    bad("TTL " + ttl_text(ttl) + " is over [sessions] max_ttl (" + ttl_text(config_.sessions.max_ttl) + ")");
  }
  s.expires = now + ttl;
  open_store().set_expires(id, s.expires);
  return s;
}

Session Service::remove(const std::string& id) {
  Session s = show(id);
  const Engine engine(config_.sessions.engine);
  engine.stop(container_name(id), kStopGraceSeconds);
  engine.remove(container_name(id));
  const std::string dir = state_dir() + "/" + id;
  auto fd = value_or_throw(os::open_dir(state_dir()));
  if (auto gone = os::remove_tree_at(fd.get(), id.c_str(), dir); !gone && gone.error().code != ENOENT) {
    throw Error(gone.error());
  }
  (void)open_store().remove(id);
  return s;
}

ReapReport Service::reap(std::int64_t now, DryRun dry) {
  ReapReport report;
  if (!database_exists(*this)) {
    return report;  // sessions were never used here: nothing to reap, no engine to ask
  }
  const bool wet = dry == DryRun::no;
  const Engine engine(config_.sessions.engine);
  Store store = open_store();
  auto attempt = [&](const std::string& failed_to, const std::function<void()>& f) {
    try {
      f();
    } catch (const std::exception& e) {
      ++report.failed;
      report.lines.push_back("Failed to " + failed_to + ": " + e.what());
    }
  };
  for (const Session& s : store.expired(now)) {
    attempt("end expired session " + s.id, [&] {
      if (wet) {
        (void)remove(s.id);
      }
      report.lines.push_back(std::string(wet ? "Ended" : "Would end") + " expired session " + s.id + " of " + s.user +
                             " (port " + std::to_string(s.port) + (s.slice ? ", slice " + *s.slice : "") + " freed)");
    });
  }
  std::set<std::string> known;
  for (const Session& s : store.list()) {
    known.insert(s.id);
  }
  for (const ContainerInfo& c : engine.list_labelled(kSessionLabel)) {
    if (!known.contains(c.session)) {
      attempt("remove container " + c.name, [&] {
        if (wet) {
          engine.remove(c.id);
        }
        report.lines.push_back(std::string(wet ? "Removed" : "Would remove") + " container " + c.name + ": session '" +
                               c.session + "' is not in the database");
      });
    }
  }
  for (const Session& s : store.list()) {
    if ((s.container.empty() && now - s.created < kCreateWindow) || s.expires <= now) {
      continue;
    }
    std::optional<ContainerInfo> info;
    attempt("inspect the container of session " + s.id, [&] {
      info = engine.inspect(container_name(s.id));
      if (!info) {
        info = ContainerInfo{"", "", "", "", "missing"};
      }
    });
    if (!info) {
      continue;
    }
    if (info->state == "missing") {
      attempt("re-create the container of session " + s.id, [&] {
        if (wet) {
          start_container(s);
        }
        report.lines.push_back(std::string(wet ? "Re-created" : "Would re-create") + " the container of session " +
                               s.id + " of " + s.user + " (port " + std::to_string(s.port) +
                               (s.slice ? ", slice " + *s.slice : "") + ")");
      });
    } else if (info->state == "exited" || info->state == "created") {
      attempt("start the container of session " + s.id, [&] {
        if (wet) {
          engine.start(info->id);
        }
        report.lines.push_back(std::string(wet ? "Started" : "Would start") + " the container of session " + s.id +
                               " of " + s.user);
      });
    }
  }
  return report;
}

ReapReport recover_sessions(const Config& config, std::int64_t now, DryRun dry) {
  Service service(config);
  if (!database_exists(service)) {
    return {};
  }
  try {
    return service.reap(now, dry);
  } catch (const Error& e) {
    if (e.code() != ExitCode::no_volume) {
      throw;
    }
    return ReapReport{
        {std::string("Sessions not reconciled: ") + e.what() + " (run 'aicactl session reap' once it is up)"}, 0};
  }
}

std::vector<SessionCheck> session_checks(const Config& config, std::int64_t now) {
  const Service service(config);
  std::vector<SessionCheck> out;
  if (!database_exists(service)) {
    return out;
  }
  try {
    const Store store = Store::open(service.database_path());
    out.push_back({"session database " + service.database_path(), true, ""});
    const auto expired = store.expired(now);
    out.push_back({"no expired sessions left", expired.empty(),
                   std::to_string(expired.size()) + " expired session(s) not reaped: is the cron line in " +
                       "/etc/cron.d/aicactl? run 'aicactl session reap'"});
  } catch (const Error& e) {
    out.push_back({"session database " + service.database_path(), false, e.what()});
  }
  try {
    const Engine engine(config.sessions.engine);
    out.push_back({"Docker engine " + config.sessions.engine, true, ""});
    out.push_back({"session image " + config.sessions.image, engine.has_image(config.sessions.image),
                   "missing: build it with scripts/session-image"});
  } catch (const Error& e) {
    out.push_back({"Docker engine " + config.sessions.engine, false, e.what()});
  }
  return out;
}

void attribute_sessions(gpu::Attribution& attribution, const std::vector<Session>& sessions, std::int64_t now) {
  for (const Session& s : sessions) {
    if (s.expires <= now) {
      continue;
    }
    if (s.slice) {
      attribution.session_by_uuid[*s.slice] = s.id;
    }
    if (!s.container.empty()) {
      attribution.session_by_container[s.container] = gpu::SessionRef{s.id, s.user};
    }
  }
}

std::vector<Session> readable_sessions(const Config& config) {
  const Service service(config);
  if (!database_exists(service)) {
    return {};
  }
  try {
    return Store::open(service.database_path()).list();
  } catch (const Error&) {
    return {};
  }
}

}  // namespace aicactl::core::sessions
