// SPDX-License-Identifier: Apache-2.0
// A stand-in for libnvidia-ml.so.1, the test double at the hardware boundary: it implements the
// few NVML entry points aicactl calls, with the NVML C ABI, and describes a machine set by
// environment variables read at nvmlInit_v2:
//   FAKE_NVML_GPUS=N        N GPUs (default 1; 0: the driver sees no GPU)
//   FAKE_NVML_MIG=M         M MIG instances per GPU (default 0: MIG off; at most 7)
//   FAKE_NVML_PROCS=LIST    processes, "GPU:GI:PID:MIB,..." (GI 0: not in a MIG instance)
//   FAKE_NVML_STRIDE=32     lay process records out as R535's early 32-byte nvmlProcessInfo_t
//   FAKE_NVML_INIT=RC       nvmlInit_v2 returns RC (9: NVML_ERROR_DRIVER_NOT_LOADED)
// Handles are pointers into a static table; nothing here is thread-safe (aicactl's use is not
// concurrent).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr int kSuccess = 0;
constexpr int kUninitialized = 1;
constexpr int kInvalidArgument = 2;
constexpr int kNotSupported = 3;
constexpr int kNotFound = 6;
constexpr int kInsufficientSize = 7;
constexpr unsigned kMaxMig = 7;

struct Proc {
  unsigned gpu = 0;
  unsigned gi = 0;
  unsigned pid = 0;
  unsigned long long mib = 0;
};

struct Device {
  unsigned index = 0;
  int mig_index = -1;  // -1: the GPU itself
  unsigned gpu_instance_id = 0;
};

struct Machine {
  bool initialised = false;
  unsigned gpus = 1;
  unsigned mig = 0;
  unsigned stride = 24;
  std::vector<Proc> procs;
  std::vector<Device> devices;  // gpus first, then gpus * kMaxMig MIG slots
};

Machine& machine() {
  static Machine m;
  return m;
}

unsigned env_unsigned(const char* name, unsigned fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? static_cast<unsigned>(std::strtoul(v, nullptr, 10)) : fallback;
}

std::vector<Proc> parse_procs(const char* text) {
  std::vector<Proc> out;
  if (text == nullptr) {
    return out;
  }
  std::string s(text);
  std::size_t at = 0;
  while (at < s.size()) {
    const std::size_t end = s.find(',', at) == std::string::npos ? s.size() : s.find(',', at);
    Proc p;
    if (std::sscanf(s.substr(at, end - at).c_str(), "%u:%u:%u:%llu", &p.gpu, &p.gi, &p.pid, &p.mib) == 4) {
      out.push_back(p);
    }
    at = end + 1;
  }
  return out;
}

Device* device(void* handle) {
  auto& m = machine();
  auto* d = static_cast<Device*>(handle);
  if (d < m.devices.data() || d >= m.devices.data() + m.devices.size()) {
    return nullptr;
  }
  return d;
}

// Profiles as an H100 80GB describes them, by slice count of each instance (7 instances: 1g each).
const char* profile(unsigned mig_count, unsigned i) {
  if (mig_count >= 4) {
    return "1g.10gb";
  }
  if (mig_count == 3) {
    return i == 0 ? "3g.40gb" : "2g.20gb";
  }
  if (mig_count == 2) {
    return "3g.40gb";
  }
  return "7g.80gb";
}

unsigned long long profile_mib(const char* p) {
  return std::strtoull(std::strchr(p, '.') + 1, nullptr, 10) * 1024ULL;
}

int copy_text(const std::string& text, char* out, unsigned length) {
  if (text.size() + 1 > length) {
    return kInsufficientSize;
  }
  std::memcpy(out, text.c_str(), text.size() + 1);
  return kSuccess;
}

}  // namespace

extern "C" {

struct nvmlMemory_t {
  unsigned long long total;
  unsigned long long free;
  unsigned long long used;
};

struct nvmlUtilization_t {
  unsigned int gpu;
  unsigned int memory;
};

int nvmlInit_v2() {
  auto& m = machine();
  const unsigned rc = env_unsigned("FAKE_NVML_INIT", 0);
  if (rc != 0) {
    return static_cast<int>(rc);
  }
  m.gpus = env_unsigned("FAKE_NVML_GPUS", 1);
  m.mig = std::min(env_unsigned("FAKE_NVML_MIG", 0), kMaxMig);
  m.stride = env_unsigned("FAKE_NVML_STRIDE", 24) == 32 ? 32 : 24;
  m.procs = parse_procs(std::getenv("FAKE_NVML_PROCS"));
  m.devices.assign(m.gpus * (1 + kMaxMig), Device{});
  for (unsigned g = 0; g < m.gpus; ++g) {
    m.devices[g] = Device{g, -1, 0};
    for (unsigned i = 0; i < kMaxMig; ++i) {
      m.devices[m.gpus + g * kMaxMig + i] = Device{g, static_cast<int>(i), i + 1};
    }
  }
  m.initialised = true;
  return kSuccess;
}

int nvmlShutdown() {
  machine().initialised = false;
  return kSuccess;
}

const char* nvmlErrorString(int rc) {
  switch (rc) {
    case kSuccess: return "Success";
    case kUninitialized: return "Uninitialized";
    case kNotSupported: return "Not Supported";
    case 9: return "Driver Not Loaded";
    default: return "Unknown Error";
  }
}

int nvmlSystemGetDriverVersion(char* version, unsigned int length) {
  return copy_text("550.0-fake", version, length);
}

int nvmlDeviceGetCount_v2(unsigned int* count) {
  if (!machine().initialised) {
    return kUninitialized;
  }
  *count = machine().gpus;
  return kSuccess;
}

int nvmlDeviceGetHandleByIndex_v2(unsigned int index, void** handle) {
  auto& m = machine();
  if (index >= m.gpus) {
    return kInvalidArgument;
  }
  *handle = &m.devices[index];
  return kSuccess;
}

int nvmlDeviceGetName(void* handle, char* name, unsigned int length) {
  const Device* d = device(handle);
  if (d == nullptr) {
    return kInvalidArgument;
  }
  std::string text = "NVIDIA H100 80GB HBM3";
  if (d->mig_index >= 0) {
    text += std::string(" MIG ") + profile(machine().mig, static_cast<unsigned>(d->mig_index));
  }
  return copy_text(text, name, length);
}

int nvmlDeviceGetUUID(void* handle, char* uuid, unsigned int length) {
  const Device* d = device(handle);
  if (d == nullptr) {
    return kInvalidArgument;
  }
  char text[96];
  if (d->mig_index < 0) {
    std::snprintf(text, sizeof text, "GPU-00000000-fake-4000-8000-%012u", d->index);
  } else {
    std::snprintf(text, sizeof text, "MIG-00000000-fake-4000-8000-%08u%04d", d->index, d->mig_index);
  }
  return copy_text(text, uuid, length);
}

int nvmlDeviceGetMemoryInfo(void* handle, nvmlMemory_t* memory) {
  const Device* d = device(handle);
  if (d == nullptr) {
    return kInvalidArgument;
  }
  auto& m = machine();
  unsigned long long used_mib = 0;
  for (const auto& p : m.procs) {
    if (p.gpu == d->index && (d->mig_index < 0 || p.gi == d->gpu_instance_id)) {
      used_mib += p.mib;
    }
  }
  const unsigned long long total_mib =
      d->mig_index < 0 ? 81559ULL : profile_mib(profile(m.mig, static_cast<unsigned>(d->mig_index)));
  memory->total = total_mib << 20U;
  memory->used = used_mib << 20U;
  memory->free = memory->total - memory->used;
  return kSuccess;
}

int nvmlDeviceGetUtilizationRates(void* handle, nvmlUtilization_t* utilization) {
  const Device* d = device(handle);
  if (d == nullptr) {
    return kInvalidArgument;
  }
  if (machine().mig > 0) {
    return kNotSupported;  // as on real MIG-mode GPUs
  }
  utilization->gpu = 10 * (d->index % 10);
  utilization->memory = 5;
  return kSuccess;
}

int nvmlDeviceGetTemperature(void* handle, int sensor, unsigned int* temp) {
  const Device* d = device(handle);
  if (d == nullptr || sensor != 0) {
    return kInvalidArgument;
  }
  *temp = 30 + d->index;
  return kSuccess;
}

int nvmlDeviceGetMigMode(void* handle, unsigned int* current, unsigned int* pending) {
  const Device* d = device(handle);
  if (d == nullptr || d->mig_index >= 0) {
    return kInvalidArgument;
  }
  *current = *pending = machine().mig > 0 ? 1 : 0;
  return kSuccess;
}

int nvmlDeviceGetMaxMigDeviceCount(void* handle, unsigned int* count) {
  const Device* d = device(handle);
  if (d == nullptr) {
    return kInvalidArgument;
  }
  *count = machine().mig > 0 ? kMaxMig : 0;
  return kSuccess;
}

int nvmlDeviceGetMigDeviceHandleByIndex(void* handle, unsigned int index, void** mig) {
  const Device* d = device(handle);
  auto& m = machine();
  if (d == nullptr || d->mig_index >= 0 || index >= kMaxMig) {
    return kInvalidArgument;
  }
  if (index >= m.mig) {
    return kNotFound;  // an unused slot
  }
  *mig = &m.devices[m.gpus + d->index * kMaxMig + index];
  return kSuccess;
}

int nvmlDeviceGetGpuInstanceId(void* handle, unsigned int* id) {
  const Device* d = device(handle);
  if (d == nullptr || d->mig_index < 0) {
    return kNotSupported;
  }
  *id = d->gpu_instance_id;
  return kSuccess;
}

int nvmlDeviceGetComputeRunningProcesses_v3(void* handle, unsigned int* count, void* infos) {
  const Device* d = device(handle);
  if (d == nullptr || d->mig_index >= 0) {
    return kInvalidArgument;
  }
  auto& m = machine();
  std::vector<const Proc*> mine;
  for (const auto& p : m.procs) {
    if (p.gpu == d->index) {
      mine.push_back(&p);
    }
  }
  if (*count < mine.size() || infos == nullptr) {
    *count = static_cast<unsigned>(mine.size());
    return mine.empty() ? kSuccess : kInsufficientSize;
  }
  auto* out = static_cast<unsigned char*>(infos);
  for (std::size_t i = 0; i < mine.size(); ++i) {
    unsigned char* rec = out + i * m.stride;
    std::memset(rec, 0, m.stride);
    const unsigned long long bytes = mine[i]->mib << 20U;
    const unsigned gi = m.mig > 0 ? mine[i]->gi : 0xFFFFFFFFU;
    const unsigned ci = m.mig > 0 ? 0U : 0xFFFFFFFFU;
    std::memcpy(rec, &mine[i]->pid, 4);
    std::memcpy(rec + 8, &bytes, 8);
    std::memcpy(rec + 16, &gi, 4);
    std::memcpy(rec + 20, &ci, 4);
  }
  *count = static_cast<unsigned>(mine.size());
  return kSuccess;
}

}  // extern "C"
