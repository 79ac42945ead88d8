// SPDX-License-Identifier: Apache-2.0
// NVIDIA's management library (NVML), loaded at run time with dlopen("libnvidia-ml.so.1") so the
// binary needs only glibc and runs on a server without a driver. The few entry points used are
// declared here by hand (NVML's C ABI is stable; versioned names such as nvmlInit_v2). A
// snapshot reads every GPU, its MIG devices and its compute processes; a value a GPU does not
// support (utilization in MIG mode, say) is left empty instead of failing the snapshot.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace aicactl::os {

inline constexpr const char* kNvmlLibrary = "libnvidia-ml.so.1";

struct NvmlMemory {
  std::uint64_t total = 0;
  std::uint64_t used = 0;
};

struct NvmlProcess {
  unsigned pid = 0;
  std::optional<std::uint64_t> used_memory;  // empty: NVML could not tell (no permission, MIG)
  std::optional<unsigned> gpu_instance_id;   // empty: not in a MIG instance
};

struct NvmlMigDevice {
  unsigned index = 0;  // NVML's MIG device index on its GPU
  std::string name;    // e.g. "NVIDIA H100 80GB HBM3 MIG 3g.40gb"
  std::string uuid;    // "MIG-..."
  std::optional<unsigned> gpu_instance_id;
  std::optional<NvmlMemory> memory;
};

struct NvmlGpu {
  unsigned index = 0;
  std::string name;
  std::string uuid;  // "GPU-..."
  std::optional<NvmlMemory> memory;
  std::optional<unsigned> utilization;  // percent
  std::optional<unsigned> temperature;  // degrees C
  std::optional<bool> mig_enabled;      // empty: the GPU has no MIG
  std::vector<NvmlMigDevice> mig_devices;
  std::vector<NvmlProcess> processes;
};

struct NvmlSnapshot {
  std::string driver_version;
  std::vector<NvmlGpu> gpus;
};

struct NvmlError {
  enum class Kind {
    no_library,  // libnvidia-ml.so.1 is not installed (no driver)
    no_driver,   // the library is there but nvmlInit failed (driver not loaded, no permission)
    failed,      // a query failed
  };
  Kind kind = Kind::failed;
  std::string message;
};

// A loaded and initialised NVML; nvmlShutdown when destroyed.
class Nvml {
 public:
  // Loads `library` (a soname, found the way the dynamic loader finds it, or a path) and calls
  // nvmlInit_v2.
  [[nodiscard]] static std::expected<Nvml, NvmlError> open(const std::string& library = kNvmlLibrary);
  [[nodiscard]] std::expected<NvmlSnapshot, NvmlError> snapshot() const;

  Nvml(Nvml&&) noexcept;
  Nvml& operator=(Nvml&&) noexcept;
  Nvml(const Nvml&) = delete;
  Nvml& operator=(const Nvml&) = delete;
  ~Nvml();

  struct Api;

 private:
  explicit Nvml(std::unique_ptr<Api> api);
  std::unique_ptr<Api> api_;
};

// Size in bytes of one record of nvmlDeviceGetComputeRunningProcesses_v3: the v2 layout (24) that
// most drivers write, or the 32 bytes (with usedGpuCcProtectedMemory) of early R535 drivers,
// which changed the record without renaming the function.
inline constexpr std::size_t kNvmlProcessRecordV2 = 24;
inline constexpr std::size_t kNvmlProcessRecordV3 = 32;

// Decodes `count` records written by nvmlDeviceGetComputeRunningProcesses_v3 into `buffer`
// (zeroed before the call, at least count * 32 bytes), choosing the record size: 24 unless a
// record after the first reads as pid 0 at that size while every one reads as a real pid at 32.
[[nodiscard]] std::vector<NvmlProcess> decode_nvml_processes(std::span<const std::byte> buffer, unsigned count);

}  // namespace aicactl::os
