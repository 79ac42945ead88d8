// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/sessions/engine.hpp"

#include <algorithm>
#include <charconv>
#include <utility>

#include "aicactl/core/plan/errors.hpp"
#include "aicactl/os/download.hpp"

namespace aicactl::core::sessions {
namespace {

constexpr long kTimeoutSeconds = 120;  // a stop waits its grace period; an image inspect is quick
constexpr long kNotModified = 304;
constexpr long kNotFound = 404;
constexpr long kConflict = 409;
constexpr long kFirstError = 400;
constexpr std::size_t kMaxShownBody = 200;

struct Version {
  unsigned major = 0;
  unsigned minor = 0;
};

std::optional<Version> parse_version(std::string_view s) {
  Version v;
  const auto dot = s.find('.');
  if (dot == std::string_view::npos) {
    return std::nullopt;
  }
  const auto a = std::from_chars(s.data(), s.data() + dot, v.major);
  const auto b = std::from_chars(s.data() + dot + 1, s.data() + s.size(), v.minor);
  if (a.ec != std::errc{} || a.ptr != s.data() + dot || b.ec != std::errc{} || b.ptr != s.data() + s.size()) {
    return std::nullopt;
  }
  return v;
}

std::string label_of(const nlohmann::json& labels, std::string_view key) {
  if (!labels.is_object()) {
    return "";
  }
  const auto it = labels.find(std::string(key));
  return it != labels.end() && it->is_string() ? it->get<std::string>() : "";
}

std::string string_of(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

nlohmann::json parse_json(std::string_view text, const char* what) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) {
    throw Error(ExitCode::failure, std::string("The Docker engine sent a malformed ") + what);
  }
  return j;
}

std::string percent_encode(std::string_view s) {
  static constexpr std::string_view kHex = "0123456789ABCDEF";
  std::string out;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4U];
      out += kHex[u & 0xfU];
    }
  }
  return out;
}

// Container ids and names in URLs: [A-Za-z0-9_.-] only, so nothing can change the path.
const std::string& checked_ref(const std::string& ref) {
  const bool ok = !ref.empty() && std::ranges::all_of(ref, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == '-';
  });
  if (!ok) {
    throw Error(ExitCode::bad_data, "Invalid container reference '" + ref + "'");
  }
  return ref;
}

}  // namespace

nlohmann::json container_body(const ContainerSpec& s) {
  const std::string port_key = std::to_string(kSshdPort) + "/tcp";
  nlohmann::json env = {"HOME=/workspace", "USER=" + s.user, "LOGNAME=" + s.user};
  nlohmann::json binding = nlohmann::json::array();
  binding.push_back(nlohmann::json{{"HostIp", s.bind}, {"HostPort", std::to_string(s.port)}});
  nlohmann::json host = {
      {"Binds",
       {s.workspace + ":/workspace:rw", s.state_dir + "/passwd:/etc/passwd:ro", s.state_dir + "/group:/etc/group:ro",
        s.state_dir + "/authorized_keys:/etc/aicactl/authorized_keys:ro"}},
      {"PortBindings", {{port_key, binding}}},
      {"CapDrop", {"ALL"}},
      {"SecurityOpt", {"no-new-privileges"}},
      {"RestartPolicy", {{"Name", "unless-stopped"}}},
      {"Init", true},
  };
  nlohmann::json groups = nlohmann::json::array();
  for (const gid_t g : s.groups) {
    groups.push_back(std::to_string(g));
  }
  host["GroupAdd"] = groups;
  if (s.pids_limit > 0) {
    host["PidsLimit"] = s.pids_limit;
  }
  if (s.memory > 0) {
    host["Memory"] = s.memory;
  }
  if (s.nano_cpus > 0) {
    host["NanoCpus"] = s.nano_cpus;
  }
  if (s.gpu) {
    if (s.gpu_mode == GpuMode::device_requests) {
      nlohmann::json request = nlohmann::json::object();
      request["Driver"] = "nvidia";
      request["DeviceIDs"] = nlohmann::json::array({*s.gpu});
      request["Capabilities"] = nlohmann::json::array({nlohmann::json::array({"gpu"})});
      host["DeviceRequests"] = nlohmann::json::array({request});
    } else {
      host["Runtime"] = s.runtime;
      env.push_back("NVIDIA_VISIBLE_DEVICES=" + *s.gpu);
    }
  }
  return {
      {"Image", s.image},
      {"User", std::to_string(s.uid) + ":" + std::to_string(s.gid)},
      {"Hostname", s.user + "-" + s.id},
      {"WorkingDir", "/workspace"},
      {"Env", env},
      {"Cmd", {std::string(kSshdCommand), std::to_string(kSshdPort)}},
      {"ExposedPorts", {{port_key, nlohmann::json::object()}}},
      {"Labels",
       {{std::string(kSessionLabel), s.id},
        {std::string(kUserLabel), s.user},
        {std::string(kExpiresLabel), std::to_string(s.expires)}}},
      {"HostConfig", host},
  };
}

std::string negotiate_version(std::string_view offered) {
  const auto cap = parse_version(kMaxApiVersion);
  const auto v = parse_version(offered);
  if (!v) {
    throw Error(ExitCode::failure,
                "The Docker engine offers API version '" + std::string(offered) + "', which is not MAJOR.MINOR");
  }
  if (v->major > cap->major || (v->major == cap->major && v->minor > cap->minor)) {
    return std::string(kMaxApiVersion);
  }
  return std::to_string(v->major) + "." + std::to_string(v->minor);
}

std::string engine_message(long status, std::string_view body) {
  const auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_discarded() && j.is_object()) {
    if (auto m = string_of(j, "message"); !m.empty()) {
      return m;
    }
  }
  std::string shown(body.substr(0, kMaxShownBody));
  while (!shown.empty() && (shown.back() == '\n' || shown.back() == '\r')) {
    shown.pop_back();
  }
  return "HTTP " + std::to_string(status) + (shown.empty() ? "" : ": " + shown);
}

std::vector<ContainerInfo> parse_container_list(std::string_view json) {
  const auto j = parse_json(json, "container list");
  std::vector<ContainerInfo> out;
  if (!j.is_array()) {
    return out;
  }
  for (const auto& c : j) {
    if (!c.is_object()) {
      continue;
    }
    ContainerInfo info{string_of(c, "Id"), "", "", "", string_of(c, "State")};
    if (const auto names = c.find("Names");
        names != c.end() && names->is_array() && !names->empty() && names->front().is_string()) {
      info.name = names->front().get<std::string>();
    }
    if (info.name.starts_with('/')) {
      info.name.erase(0, 1);
    }
    const auto labels = c.find("Labels");
    if (labels != c.end()) {
      info.session = label_of(*labels, kSessionLabel);
      info.user = label_of(*labels, kUserLabel);
    }
    out.push_back(std::move(info));
  }
  return out;
}

ContainerInfo parse_container_inspect(std::string_view json) {
  const auto j = parse_json(json, "container description");
  ContainerInfo info;
  if (!j.is_object()) {
    return info;
  }
  info.id = string_of(j, "Id");
  info.name = string_of(j, "Name");
  if (info.name.starts_with('/')) {
    info.name.erase(0, 1);
  }
  if (const auto state = j.find("State"); state != j.end() && state->is_object()) {
    info.state = string_of(*state, "Status");
  }
  if (const auto config = j.find("Config"); config != j.end() && config->is_object()) {
    if (const auto labels = config->find("Labels"); labels != config->end()) {
      info.session = label_of(*labels, kSessionLabel);
      info.user = label_of(*labels, kUserLabel);
    }
  }
  return info;
}

bool valid_image_name(std::string_view image) {
  constexpr std::size_t kMaxImageName = 255;
  return !image.empty() && image.size() <= kMaxImageName && image.front() != '-' && image.front() != '.' &&
         std::ranges::all_of(image,
                             [](char c) {
                               return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                                      c == '_' || c == '.' || c == '-' || c == '/' || c == ':' || c == '@';
                             }) &&
         image.find("..") == std::string_view::npos;
}

Engine::Engine(std::string socket) : socket_(std::move(socket)) {
  const auto r = os::unix_socket_request(socket_, "GET", "/version", "", kTimeoutSeconds);
  if (!r) {
    throw Error(ExitCode::no_volume, "The Docker engine is unavailable: " + r.error().message);
  }
  if (r->status >= kFirstError) {
    throw Error(ExitCode::no_volume,
                "The Docker engine on '" + socket_ + "' is unavailable: " + engine_message(r->status, r->body));
  }
  const auto j = parse_json(r->body, "version");
  const std::string offered = j.is_object() ? string_of(j, "ApiVersion") : "";
  version_ = negotiate_version(offered);
}

Engine::Reply Engine::call(const std::string& method, const std::string& target, const std::string& body) const {
  const auto r = os::unix_socket_request(socket_, method, "/v" + version_ + target, body, kTimeoutSeconds);
  if (!r) {
    throw Error(ExitCode::no_volume, "The Docker engine is unavailable: " + r.error().message);
  }
  return Reply{r->status, r->body};
}

bool Engine::has_image(const std::string& image) const {
  if (!valid_image_name(image)) {
    throw Error(ExitCode::bad_data, "Invalid image name '" + image + "'");
  }
  const Reply r = call("GET", "/images/" + image + "/json", "");
  if (r.status == kNotFound) {
    return false;
  }
  if (r.status >= kFirstError) {
    throw Error(ExitCode::failure, "Failed to inspect image '" + image + "': " + engine_message(r.status, r.body));
  }
  return true;
}

void Engine::require_image(const std::string& image) const {
  if (!has_image(image)) {
    throw Error(ExitCode::bad_data, "The Docker engine has no image '" + image +
                                        "' (build it with scripts/session-image; no registry is used)");
  }
}

std::string Engine::create(const std::string& name, const nlohmann::json& body) const {
  const Reply r = call("POST", "/containers/create?name=" + percent_encode(checked_ref(name)), body.dump());
  if (r.status == kNotFound) {
    throw Error(ExitCode::bad_data, "Failed to create container '" + name + "': " + engine_message(r.status, r.body) +
                                        " (build the image with scripts/session-image)");
  }
  if (r.status >= kFirstError) {
    throw Error(ExitCode::failure, "Failed to create container '" + name + "': " + engine_message(r.status, r.body));
  }
  const auto j = parse_json(r.body, "create answer");
  std::string id = j.is_object() ? string_of(j, "Id") : "";
  if (id.empty()) {
    throw Error(ExitCode::failure, "The Docker engine did not say which container it created for '" + name + "'");
  }
  return id;
}

void Engine::start(const std::string& id) const {
  const Reply r = call("POST", "/containers/" + checked_ref(id) + "/start", "");
  if (r.status >= kFirstError) {
    throw Error(ExitCode::failure, "Failed to start container '" + id + "': " + engine_message(r.status, r.body));
  }
}

void Engine::stop(const std::string& id, int grace_seconds) const {
  const Reply r = call("POST", "/containers/" + checked_ref(id) + "/stop?t=" + std::to_string(grace_seconds), "");
  if (r.status >= kFirstError && r.status != kNotFound && r.status != kNotModified) {
    throw Error(ExitCode::failure, "Failed to stop container '" + id + "': " + engine_message(r.status, r.body));
  }
}

void Engine::remove(const std::string& id) const {
  const Reply r = call("DELETE", "/containers/" + checked_ref(id) + "?force=true&v=true", "");
  // 409: a removal already in progress.
  if (r.status >= kFirstError && r.status != kNotFound && r.status != kConflict) {
    throw Error(ExitCode::failure, "Failed to remove container '" + id + "': " + engine_message(r.status, r.body));
  }
}

std::optional<ContainerInfo> Engine::inspect(const std::string& id_or_name) const {
  const Reply r = call("GET", "/containers/" + checked_ref(id_or_name) + "/json", "");
  if (r.status == kNotFound) {
    return std::nullopt;
  }
  if (r.status >= kFirstError) {
    throw Error(ExitCode::failure,
                "Failed to inspect container '" + id_or_name + "': " + engine_message(r.status, r.body));
  }
  return parse_container_inspect(r.body);
}

std::vector<ContainerInfo> Engine::list_labelled(std::string_view label) const {
  const nlohmann::json filters = {{"label", {std::string(label)}}};
  const Reply r = call("GET", "/containers/json?all=true&filters=" + percent_encode(filters.dump()), "");
  if (r.status >= kFirstError) {
    throw Error(ExitCode::failure, "Failed to list containers: " + engine_message(r.status, r.body));
  }
  return parse_container_list(r.body);
}

}  // namespace aicactl::core::sessions
