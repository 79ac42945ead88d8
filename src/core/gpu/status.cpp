// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/gpu/status.hpp"

#include <cctype>
#include <charconv>
#include <fstream>
#include <memory>
#include <sstream>

#include "aicactl/core/plan/errors.hpp"
#include "aicactl/os/accounts.hpp"

namespace aicactl::core::gpu {
namespace {

constexpr std::size_t kContainerIdLength = 64;
constexpr std::size_t kMaxCommand = 4096;

std::optional<std::uint64_t> to_number(std::string_view s) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || s.empty()) {
    return std::nullopt;
  }
  return v;
}

std::optional<std::string> slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

bool hex_id_at(std::string_view text, std::size_t at) {
  if (at + kContainerIdLength > text.size()) {
    return false;
  }
  for (std::size_t i = at; i < at + kContainerIdLength; ++i) {
    const char c = text[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return at + kContainerIdLength == text.size() ||
         std::string_view("/.\n").find(text[at + kContainerIdLength]) != std::string_view::npos;
}

struct ProcFacts {
  std::optional<uid_t> uid;
  std::string command;
  std::optional<std::string> container;
};

ProcFacts read_proc(const std::string& proc_root, unsigned pid) {
  ProcFacts f;
  const std::string dir = proc_root + "/" + std::to_string(pid);
  if (const auto status = slurp(dir + "/status")) {
    std::istringstream lines(*status);
    std::string line;
    while (std::getline(lines, line)) {
      if (line.starts_with("Uid:")) {
        std::istringstream fields(line.substr(4));
        std::string real;
        fields >> real;
        if (const auto v = to_number(real)) {
          f.uid = static_cast<uid_t>(*v);
        }
        break;
      }
    }
  }
  if (auto cmdline = slurp(dir + "/cmdline")) {
    while (!cmdline->empty() && cmdline->back() == '\0') {
      cmdline->pop_back();
    }
    for (char& c : *cmdline) {
      if (c == '\0' || std::iscntrl(static_cast<unsigned char>(c)) != 0) {
        c = ' ';
      }
    }
    f.command = cmdline->substr(0, kMaxCommand);
  }
  if (const auto cgroup = slurp(dir + "/cgroup")) {
    f.container = container_of(*cgroup);
  }
  return f;
}

}  // namespace

std::vector<SubidRange> parse_subid(std::string_view text) {
  std::vector<SubidRange> out;
  std::istringstream lines{std::string(text)};
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line.front() == '#') {
      continue;
    }
    const auto a = line.find(':');
    const auto b = a == std::string::npos ? std::string::npos : line.find(':', a + 1);
    if (b == std::string::npos) {
      continue;
    }
    const auto first = to_number(std::string_view(line).substr(a + 1, b - a - 1));
    const auto count = to_number(std::string_view(line).substr(b + 1));
    if (a == 0 || !first || !count || *count == 0) {
      continue;
    }
    out.push_back(SubidRange{line.substr(0, a), *first, *count});
  }
  return out;
}

std::string mig_profile(std::string_view nvml_name) {
  constexpr std::string_view kMarker = " MIG ";
  const auto at = nvml_name.rfind(kMarker);
  if (at == std::string_view::npos || at + kMarker.size() >= nvml_name.size()) {
    return std::string(nvml_name);
  }
  return std::string(nvml_name.substr(at + kMarker.size()));
}

std::optional<std::string> container_of(std::string_view cgroup_text) {
  for (const std::string_view prefix : {std::string_view("/docker/"), std::string_view("docker-")}) {
    for (auto at = cgroup_text.find(prefix); at != std::string_view::npos; at = cgroup_text.find(prefix, at + 1)) {
      if (hex_id_at(cgroup_text, at + prefix.size())) {
        return std::string(cgroup_text.substr(at + prefix.size(), kContainerIdLength));
      }
    }
  }
  return std::nullopt;
}

Owner owner_of(std::optional<uid_t> uid, const std::optional<std::string>& container, const Attribution& attribution) {
  Owner o{"?", uid, "uid", std::nullopt};
  if (container) {
    if (const auto it = attribution.session_by_container.find(*container);
        it != attribution.session_by_container.end()) {
      o.user = it->second.user;
      o.via = "session";
      o.session = it->second.id;
      return o;
    }
  }
  if (!uid) {
    return o;
  }
  for (const auto& r : attribution.subids) {
    if (*uid >= r.first && *uid - r.first < r.count) {
      o.user = r.owner;
      o.via = "subuid";
      return o;
    }
  }
  const auto name = attribution.user_name ? attribution.user_name(*uid) : std::nullopt;
  o.user = name.value_or("uid " + std::to_string(*uid));
  return o;
}

Status build_status(const os::NvmlSnapshot& snapshot, const Attribution& attribution) {
  Status s{snapshot.driver_version, {}};
  for (const auto& g : snapshot.gpus) {
    Gpu gpu{g.index, g.name, g.uuid, g.memory, g.utilization, g.temperature, g.mig_enabled, {}, {}};
    for (const auto& m : g.mig_devices) {
      MigInstance mig{m.index, mig_profile(m.name), m.uuid, m.gpu_instance_id, m.memory, std::nullopt};
      if (const auto it = attribution.session_by_uuid.find(m.uuid); it != attribution.session_by_uuid.end()) {
        mig.session = it->second;
      }
      gpu.mig.push_back(std::move(mig));
    }
    for (const auto& p : g.processes) {
      const ProcFacts facts = read_proc(attribution.proc_root, p.pid);
      gpu.processes.push_back(Process{p.pid, p.used_memory, p.gpu_instance_id,
                                      owner_of(facts.uid, facts.container, attribution), facts.command});
    }
    s.gpus.push_back(std::move(gpu));
  }
  return s;
}

Attribution host_attribution() {
  Attribution a;
  if (const auto text = slurp("/etc/subuid")) {
    a.subids = parse_subid(*text);
  }
  // One account lookup per uid, however many processes it has.
  a.user_name = [cache = std::make_shared<std::map<uid_t, std::optional<std::string>>>()](
                    uid_t uid) -> std::optional<std::string> {
    if (const auto it = cache->find(uid); it != cache->end()) {
      return it->second;
    }
    const auto user = os::find_user(uid);
    return (*cache)[uid] = user ? std::optional<std::string>(user->name) : std::nullopt;
  };
  return a;
}

namespace {

os::Nvml open_or_throw(const std::string& library) {
  auto nvml = os::Nvml::open(library);
  if (!nvml) {
    if (nvml.error().kind == os::NvmlError::Kind::no_library) {
      throw Error(ExitCode::unavailable, "NVIDIA driver not found: " + std::string(os::kNvmlLibrary));
    }
    throw Error(ExitCode::unavailable, "NVIDIA driver not usable: " + nvml.error().message);
  }
  return std::move(*nvml);
}

}  // namespace

Reader::Reader(const std::string& library) : nvml_(open_or_throw(library)) {}

Status Reader::read() const {
  return read(host_attribution());
}

Status Reader::read(const Attribution& attribution) const {
  auto snapshot = nvml_.snapshot();
  if (!snapshot) {
    throw Error(ExitCode::failure, snapshot.error().message);
  }
  if (snapshot->gpus.empty()) {
    throw Error(ExitCode::unavailable, "No NVIDIA GPU found (the driver reports none)");
  }
  return build_status(*snapshot, attribution);
}

}  // namespace aicactl::core::gpu
