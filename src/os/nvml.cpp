// SPDX-License-Identifier: Apache-2.0
#include "aicactl/os/nvml.hpp"

#include <dlfcn.h>

#include <array>
#include <cstring>
#include <utility>

namespace aicactl::os {

// NVML's C ABI, as far as it is used: return codes are an int enum, handles opaque pointers.
extern "C" {
using NvmlReturn = int;
using NvmlDevice = void*;
struct NvmlMemoryV1 {
  unsigned long long total;
  unsigned long long free;
  unsigned long long used;
};
struct NvmlUtilization {
  unsigned int gpu;
  unsigned int memory;
};
}

namespace {

constexpr NvmlReturn kSuccess = 0;
constexpr NvmlReturn kInsufficientSize = 7;
constexpr int kTemperatureGpu = 0;  // NVML_TEMPERATURE_GPU
constexpr unsigned long long kValueNotAvailable = ~0ULL;
constexpr unsigned kNoInstance = 0xFFFFFFFFU;
constexpr unsigned kNameBuffer = 96;  // NVML_DEVICE_NAME_V2_BUFFER_SIZE
constexpr unsigned kUuidBuffer = 96;  // NVML_DEVICE_UUID_V2_BUFFER_SIZE
constexpr unsigned kVersionBuffer = 80;
constexpr int kProcessQueryTries = 4;
constexpr unsigned kProcessHeadroom = 8;  // processes may start between the two calls

std::string message_of(const char* what) {
  const char* why = ::dlerror();
  return why != nullptr ? std::string(why) : std::string(what);
}

}  // namespace

struct Nvml::Api {
  void* handle = nullptr;
  NvmlReturn (*init)() = nullptr;
  NvmlReturn (*shutdown)() = nullptr;
  const char* (*error_string)(NvmlReturn) = nullptr;
  NvmlReturn (*driver_version)(char*, unsigned) = nullptr;
  NvmlReturn (*device_count)(unsigned*) = nullptr;
  NvmlReturn (*by_index)(unsigned, NvmlDevice*) = nullptr;
  NvmlReturn (*name)(NvmlDevice, char*, unsigned) = nullptr;
  NvmlReturn (*uuid)(NvmlDevice, char*, unsigned) = nullptr;
  NvmlReturn (*memory)(NvmlDevice, NvmlMemoryV1*) = nullptr;
  NvmlReturn (*utilization)(NvmlDevice, NvmlUtilization*) = nullptr;
  NvmlReturn (*temperature)(NvmlDevice, int, unsigned*) = nullptr;
  NvmlReturn (*mig_mode)(NvmlDevice, unsigned*, unsigned*) = nullptr;
  NvmlReturn (*max_mig)(NvmlDevice, unsigned*) = nullptr;
  NvmlReturn (*mig_by_index)(NvmlDevice, unsigned, NvmlDevice*) = nullptr;
  NvmlReturn (*gpu_instance_id)(NvmlDevice, unsigned*) = nullptr;
  NvmlReturn (*processes)(NvmlDevice, unsigned*, void*) = nullptr;

  [[nodiscard]] std::string why(NvmlReturn rc) const {
    const char* text = error_string != nullptr ? error_string(rc) : nullptr;
    return text != nullptr ? std::string(text) : "NVML error " + std::to_string(rc);
  }

  template <class F>
  void optional(F& into, const char* symbol) const {
    into = reinterpret_cast<F>(::dlsym(handle, symbol));
  }
  template <class F>
  bool required(F& into, const char* symbol, std::string& problem) const {
    into = reinterpret_cast<F>(::dlsym(handle, symbol));
    if (into == nullptr) {
      problem = std::string(kNvmlLibrary) + " lacks " + symbol;
    }
    return into != nullptr;
  }

  [[nodiscard]] std::optional<std::string> text(NvmlReturn (*get)(NvmlDevice, char*, unsigned), NvmlDevice d,
                                                unsigned size) const {
    std::array<char, kNameBuffer> buf{};
    if (get == nullptr || size > buf.size() || get(d, buf.data(), size) != kSuccess) {
      return std::nullopt;
    }
    return std::string(buf.data(), ::strnlen(buf.data(), buf.size()));
  }

  [[nodiscard]] std::optional<NvmlMemory> memory_of(NvmlDevice d) const {
    NvmlMemoryV1 m{};
    if (memory == nullptr || memory(d, &m) != kSuccess) {
      return std::nullopt;
    }
    return NvmlMemory{m.total, m.used};
  }

  [[nodiscard]] std::optional<unsigned> unsigned_of(NvmlReturn (*get)(NvmlDevice, unsigned*), NvmlDevice d) const {
    unsigned v = 0;
    if (get == nullptr || get(d, &v) != kSuccess) {
      return std::nullopt;
    }
    return v;
  }

  [[nodiscard]] std::vector<NvmlProcess> processes_of(NvmlDevice d) const {
    if (processes == nullptr) {
      return {};
    }
    unsigned count = 0;
    NvmlReturn rc = processes(d, &count, nullptr);
    for (int attempt = 0; attempt < kProcessQueryTries && rc == kInsufficientSize; ++attempt) {
      unsigned capacity = count + kProcessHeadroom;
      std::vector<std::byte> buffer(static_cast<std::size_t>(capacity) * kNvmlProcessRecordV3);
      count = capacity;
      rc = processes(d, &count, buffer.data());
      if (rc == kSuccess) {
        return decode_nvml_processes(buffer, count);
      }
    }
    return {};
  }

  [[nodiscard]] NvmlGpu gpu(unsigned index, NvmlDevice d) const {
    NvmlGpu g;
    g.index = index;
    g.name = text(name, d, kNameBuffer).value_or("");
    g.uuid = text(uuid, d, kUuidBuffer).value_or("");
    g.memory = memory_of(d);
    NvmlUtilization u{};
    if (utilization != nullptr && utilization(d, &u) == kSuccess) {
      g.utilization = u.gpu;
    }
    unsigned t = 0;
    if (temperature != nullptr && temperature(d, kTemperatureGpu, &t) == kSuccess) {
      g.temperature = t;
    }
    unsigned current = 0;
    unsigned pending = 0;
    if (mig_mode != nullptr && mig_mode(d, &current, &pending) == kSuccess) {
      g.mig_enabled = current != 0;
    }
    if (g.mig_enabled.value_or(false) && mig_by_index != nullptr) {
      const unsigned slots = unsigned_of(max_mig, d).value_or(0);
      for (unsigned i = 0; i < slots; ++i) {
        NvmlDevice m = nullptr;
        if (mig_by_index(d, i, &m) != kSuccess) {
          continue;  // an empty slot
        }
        g.mig_devices.push_back(NvmlMigDevice{i, text(name, m, kNameBuffer).value_or(""),
                                              text(uuid, m, kUuidBuffer).value_or(""), unsigned_of(gpu_instance_id, m),
                                              memory_of(m)});
      }
    }
    g.processes = processes_of(d);
    return g;
  }
};

std::expected<Nvml, NvmlError> Nvml::open(const std::string& library) {
  auto api = std::make_unique<Api>();
  api->handle = ::dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (api->handle == nullptr) {
    return std::unexpected(NvmlError{NvmlError::Kind::no_library, message_of("cannot be loaded")});
  }
  std::string problem;
  Api& a = *api;
  const bool ok = a.required(a.init, "nvmlInit_v2", problem) && a.required(a.shutdown, "nvmlShutdown", problem) &&
                  a.required(a.error_string, "nvmlErrorString", problem) &&
                  a.required(a.device_count, "nvmlDeviceGetCount_v2", problem) &&
                  a.required(a.by_index, "nvmlDeviceGetHandleByIndex_v2", problem) &&
                  a.required(a.name, "nvmlDeviceGetName", problem) && a.required(a.uuid, "nvmlDeviceGetUUID", problem);
  if (!ok) {
    ::dlclose(a.handle);
    return std::unexpected(NvmlError{NvmlError::Kind::no_driver, problem});
  }
  // Older drivers lack the MIG and v3 process entry points: those parts stay empty.
  a.optional(a.driver_version, "nvmlSystemGetDriverVersion");
  a.optional(a.memory, "nvmlDeviceGetMemoryInfo");
  a.optional(a.utilization, "nvmlDeviceGetUtilizationRates");
  a.optional(a.temperature, "nvmlDeviceGetTemperature");
  a.optional(a.mig_mode, "nvmlDeviceGetMigMode");
  a.optional(a.max_mig, "nvmlDeviceGetMaxMigDeviceCount");
  a.optional(a.mig_by_index, "nvmlDeviceGetMigDeviceHandleByIndex");
  a.optional(a.gpu_instance_id, "nvmlDeviceGetGpuInstanceId");
  a.optional(a.processes, "nvmlDeviceGetComputeRunningProcesses_v3");
  if (const NvmlReturn rc = a.init(); rc != kSuccess) {
    std::string why = a.why(rc);
    ::dlclose(a.handle);
    return std::unexpected(NvmlError{NvmlError::Kind::no_driver, "nvmlInit_v2 failed: " + why});
  }
  return Nvml(std::move(api));
}

Nvml::Nvml(std::unique_ptr<Api> api) : api_(std::move(api)) {}
Nvml::Nvml(Nvml&&) noexcept = default;
Nvml& Nvml::operator=(Nvml&&) noexcept = default;

Nvml::~Nvml() {
  if (api_ != nullptr && api_->handle != nullptr) {
    api_->shutdown();
    ::dlclose(api_->handle);
  }
}

std::expected<NvmlSnapshot, NvmlError> Nvml::snapshot() const {
  const Api& a = *api_;
  NvmlSnapshot s;
  std::array<char, kVersionBuffer> version{};
  if (a.driver_version != nullptr && a.driver_version(version.data(), kVersionBuffer) == kSuccess) {
    s.driver_version.assign(version.data(), ::strnlen(version.data(), version.size()));
  }
  unsigned count = 0;
  if (const NvmlReturn rc = a.device_count(&count); rc != kSuccess) {
    return std::unexpected(NvmlError{NvmlError::Kind::failed, "nvmlDeviceGetCount_v2 failed: " + a.why(rc)});
  }
  for (unsigned i = 0; i < count; ++i) {
    NvmlDevice d = nullptr;
    if (const NvmlReturn rc = a.by_index(i, &d); rc != kSuccess) {
      return std::unexpected(NvmlError{
          NvmlError::Kind::failed, "nvmlDeviceGetHandleByIndex_v2(" + std::to_string(i) + ") failed: " + a.why(rc)});
    }
    s.gpus.push_back(a.gpu(i, d));
  }
  return s;
}

namespace {

unsigned read_u32(std::span<const std::byte> b, std::size_t at) {
  unsigned v = 0;
  std::memcpy(&v, b.data() + at, sizeof v);
  return v;
}

std::uint64_t read_u64(std::span<const std::byte> b, std::size_t at) {
  std::uint64_t v = 0;
  std::memcpy(&v, b.data() + at, sizeof v);
  return v;
}

bool all_pids_set(std::span<const std::byte> b, unsigned count, std::size_t stride) {
  for (unsigned i = 0; i < count; ++i) {
    if (read_u32(b, i * stride) == 0) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::vector<NvmlProcess> decode_nvml_processes(std::span<const std::byte> buffer, unsigned count) {
  if (static_cast<std::size_t>(count) * kNvmlProcessRecordV3 > buffer.size()) {
    count = static_cast<unsigned>(buffer.size() / kNvmlProcessRecordV3);
  }
  const std::size_t stride =
      !all_pids_set(buffer, count, kNvmlProcessRecordV2) && all_pids_set(buffer, count, kNvmlProcessRecordV3)
          ? kNvmlProcessRecordV3
          : kNvmlProcessRecordV2;
  std::vector<NvmlProcess> out;
  for (unsigned i = 0; i < count; ++i) {
    const std::size_t at = i * stride;
    NvmlProcess p;
    p.pid = read_u32(buffer, at);
    const std::uint64_t used = read_u64(buffer, at + 8);
    if (used != kValueNotAvailable) {
      p.used_memory = used;
    }
    const unsigned gi = read_u32(buffer, at + 16);
    if (gi != kNoInstance) {
      p.gpu_instance_id = gi;
    }
    out.push_back(p);
  }
  return out;
}

}  // namespace aicactl::os
