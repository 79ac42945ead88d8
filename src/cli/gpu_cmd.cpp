// SPDX-License-Identifier: Apache-2.0
// aicactl gpu status: every GPU, its MIG instances and its processes with their users, from
// NVML (loaded at run time). Read-only: no lock, no data volume, no root needed.
#include <unistd.h>

#include <chrono>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "aicactl/cli/context.hpp"
#include "aicactl/core/gpu/status.hpp"
#include "aicactl/core/lifecycle/clock.hpp"
#include "aicactl/core/plan/errors.hpp"
#include "aicactl/core/sessions/service.hpp"

namespace aicactl::cli {
namespace {

constexpr int kMaxWatchSeconds = 3600;
constexpr std::uint64_t kMiB = 1024ULL * 1024ULL;

struct StatusOptions {
  int watch_seconds = 0;  // 0: print once
};

template <class T>
nlohmann::json or_null(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

nlohmann::json memory_json(nlohmann::json j, const std::optional<os::NvmlMemory>& m) {
  j["memory_used_bytes"] = m ? nlohmann::json(m->used) : nlohmann::json(nullptr);
  j["memory_total_bytes"] = m ? nlohmann::json(m->total) : nlohmann::json(nullptr);
  return j;
}

nlohmann::json status_json(const core::gpu::Status& s) {
  nlohmann::json gpus = nlohmann::json::array();
  for (const auto& g : s.gpus) {
    nlohmann::json migs = nlohmann::json::array();
    for (const auto& m : g.mig) {
      migs.push_back(memory_json({{"index", m.index},
                                  {"profile", m.profile},
                                  {"uuid", m.uuid},
                                  {"gpu_instance_id", or_null(m.gpu_instance_id)},
                                  {"session", or_null(m.session)}},
                                 m.memory));
    }
    nlohmann::json procs = nlohmann::json::array();
    for (const auto& p : g.processes) {
      procs.push_back({{"pid", p.pid},
                       {"user", p.owner.user},
                       {"uid", or_null(p.owner.uid)},
                       {"user_via", p.owner.via},
                       {"session", or_null(p.owner.session)},
                       {"command", p.command},
                       {"gpu_memory_bytes", or_null(p.gpu_memory)},
                       {"gpu_instance_id", or_null(p.gpu_instance_id)}});
    }
    gpus.push_back(memory_json({{"index", g.index},
                                {"name", g.name},
                                {"uuid", g.uuid},
                                {"utilization_percent", or_null(g.utilization)},
                                {"temperature_c", or_null(g.temperature)},
                                {"mig_enabled", or_null(g.mig_enabled)},
                                {"mig_instances", migs},
                                {"processes", procs}},
                               g.memory));
  }
  return {{"command", "gpu status"}, {"schema", 1}, {"driver_version", s.driver_version}, {"gpus", gpus}};
}

std::string mib(const std::optional<std::uint64_t>& bytes) {
  return bytes ? std::to_string(*bytes / kMiB) : std::string("?");
}

std::string memory_text(const std::optional<os::NvmlMemory>& m) {
  if (!m) {
    return "? MiB";
  }
  return std::to_string(m->used / kMiB) + " / " + std::to_string(m->total / kMiB) + " MiB";
}

// gpustat's shape: one line per GPU, its MIG instances and processes indented below it.
std::string status_text(const core::gpu::Status& s) {
  std::ostringstream out;
  out << "driver " << (s.driver_version.empty() ? "?" : s.driver_version) << "\n";
  for (const auto& g : s.gpus) {
    out << "[" << g.index << "] " << g.name << " | " << (g.temperature ? std::to_string(*g.temperature) : "?") << " C, "
        << (g.utilization ? std::to_string(*g.utilization) + " %" : "- %") << " | " << memory_text(g.memory)
        << (g.mig_enabled.value_or(false) ? " | MIG" : "") << " | " << g.uuid << "\n";
    for (const auto& m : g.mig) {
      out << "    MIG " << std::left << std::setw(9) << m.profile << std::right << " gi "
          << (m.gpu_instance_id ? std::to_string(*m.gpu_instance_id) : "?") << " | " << memory_text(m.memory) << " | "
          << m.uuid << (m.session ? " | session " + *m.session : "") << "\n";
    }
    for (const auto& p : g.processes) {
      out << "    " << std::right << std::setw(8) << p.pid << " " << std::left << std::setw(12) << p.owner.user
          << std::right << std::setw(8) << mib(p.gpu_memory) << " MiB"
          << (p.gpu_instance_id ? " gi " + std::to_string(*p.gpu_instance_id) : "") << "  "
          << (p.command.empty() ? "?" : p.command) << "\n";
    }
  }
  return out.str();
}

// Owners as host_attribution() finds them, plus the sessions holding slices and containers.
core::gpu::Attribution attribution(const GlobalOptions& options) {
  core::gpu::Attribution a = core::gpu::host_attribution();
  try {
    core::sessions::attribute_sessions(a, core::sessions::readable_sessions(load_config(options)),
                                       core::lifecycle_now());
  } catch (const core::Error&) {
    // No usable configuration: gpu status still shows what NVML says.
  }
  return a;
}

int run_status(const GlobalOptions& options, const StatusOptions& o) {
  const core::gpu::Reader reader;
  const bool terminal = ::isatty(STDOUT_FILENO) == 1;
  for (;;) {
    const core::gpu::Status status = reader.read(attribution(options));
    if (options.json) {
      std::cout << status_json(status).dump(o.watch_seconds > 0 ? -1 : 2) << "\n";
    } else {
      if (o.watch_seconds > 0 && terminal) {
        std::cout << "\033[H\033[2J";
      }
      std::cout << status_text(status);
    }
    std::cout.flush();
    if (o.watch_seconds == 0) {
      return static_cast<int>(core::ExitCode::ok);
    }
    std::this_thread::sleep_for(std::chrono::seconds(o.watch_seconds));
  }
}

}  // namespace

void register_gpu(Registrar& r) {
  auto* gpu = r.app.add_subcommand("gpu", "GPUs: who uses which GPU and MIG instance");
  gpu->require_subcommand(1);
  gpu->fallthrough();
  auto opts = std::make_shared<StatusOptions>();
  auto* status = gpu->add_subcommand(
      "status", "Every GPU, MIG instance and GPU process with its user (NVML); exit 69 without a driver or GPU");
  status->fallthrough();
  status
      ->add_option("--watch", opts->watch_seconds,
                   "Print again every SECONDS until interrupted (with --json: one JSON object per line)")
      ->option_text("SECONDS")
      ->check(CLI::Range(1, kMaxWatchSeconds));
  status->callback([&r, opts] { r.set_handler([&o = r.options, opts] { return run_status(o, *opts); }); });
}

}  // namespace aicactl::cli
