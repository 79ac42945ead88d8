// SPDX-License-Identifier: Apache-2.0
#include "aicactl/os/nvml.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace aicactl::os {
namespace {

// The stand-in's path (ctest sets it); a missing one fails the test rather than skipping it.
std::string fake_nvml() {
  const char* path = std::getenv("AICACTL_TEST_FAKE_NVML");
  if (path == nullptr || *path == '\0') {
    throw std::runtime_error("AICACTL_TEST_FAKE_NVML is not set (run through ctest)");
  }
  return path;
}

// The stand-in libnvidia-ml.so.1 built in tests/support/fake_nvml, configured by FAKE_NVML_*.
struct FakeMachine {
  explicit FakeMachine(const char* gpus, const char* mig = "0", const char* procs = "", const char* stride = "24") {
    ::setenv("FAKE_NVML_GPUS", gpus, 1);
    ::setenv("FAKE_NVML_MIG", mig, 1);
    ::setenv("FAKE_NVML_PROCS", procs, 1);
    ::setenv("FAKE_NVML_STRIDE", stride, 1);
    ::unsetenv("FAKE_NVML_INIT");
  }
  FakeMachine(const FakeMachine&) = delete;
  FakeMachine& operator=(const FakeMachine&) = delete;
  ~FakeMachine() {
    for (const char* v : {"FAKE_NVML_GPUS", "FAKE_NVML_MIG", "FAKE_NVML_PROCS", "FAKE_NVML_STRIDE", "FAKE_NVML_INIT"}) {
      ::unsetenv(v);
    }
  }
};

TEST(Nvml, MissingLibraryIsNoLibrary) {
  auto nvml = Nvml::open("libnvidia-ml-absent.so.1");
  ASSERT_FALSE(nvml.has_value());
  EXPECT_EQ(nvml.error().kind, NvmlError::Kind::no_library);
}

TEST(Nvml, InitFailureIsNoDriver) {
  const FakeMachine m("1");
  ::setenv("FAKE_NVML_INIT", "9", 1);
  auto nvml = Nvml::open(fake_nvml());
  ASSERT_FALSE(nvml.has_value());
  EXPECT_EQ(nvml.error().kind, NvmlError::Kind::no_driver);
  EXPECT_EQ(nvml.error().message, "nvmlInit_v2 failed: Driver Not Loaded");
}

TEST(Nvml, ReadsGpusMigDevicesAndProcesses) {
  const FakeMachine m("2", "3", "0:1:4242:512,0:2:4243:100,1:3:4244:7");
  auto nvml = Nvml::open(fake_nvml());
  ASSERT_TRUE(nvml.has_value()) << nvml.error().message;
  auto s = nvml->snapshot();
  ASSERT_TRUE(s.has_value()) << s.error().message;
  EXPECT_EQ(s->driver_version, "550.0-fake");
  ASSERT_EQ(s->gpus.size(), 2U);
  const NvmlGpu& g = s->gpus[0];
  EXPECT_EQ(g.name, "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(g.uuid, "GPU-00000000-fake-4000-8000-000000000000");
  EXPECT_EQ(g.mig_enabled, std::optional<bool>(true));
  EXPECT_FALSE(g.utilization.has_value());  // not supported in MIG mode
  EXPECT_EQ(g.temperature, std::optional<unsigned>(30));
  ASSERT_EQ(g.mig_devices.size(), 3U);
  EXPECT_EQ(g.mig_devices[0].name, "NVIDIA H100 80GB HBM3 MIG 3g.40gb");
  EXPECT_EQ(g.mig_devices[1].gpu_instance_id, std::optional<unsigned>(2));
  ASSERT_TRUE(g.mig_devices[0].memory.has_value());
  EXPECT_EQ(g.mig_devices[0].memory->used, 512ULL << 20U);
  ASSERT_EQ(g.processes.size(), 2U);
  EXPECT_EQ(g.processes[1].pid, 4243U);
  EXPECT_EQ(g.processes[1].used_memory, std::optional<std::uint64_t>(100ULL << 20U));
  EXPECT_EQ(g.processes[1].gpu_instance_id, std::optional<unsigned>(2));
  ASSERT_EQ(s->gpus[1].processes.size(), 1U);
  EXPECT_EQ(s->gpus[1].processes[0].pid, 4244U);
}

TEST(Nvml, WholeGpuHasNoMigAndNoInstanceIds) {
  const FakeMachine m("1", "0", "0:0:77:5");
  auto nvml = Nvml::open(fake_nvml());
  ASSERT_TRUE(nvml.has_value()) << nvml.error().message;
  auto s = nvml->snapshot();
  ASSERT_TRUE(s.has_value());
  ASSERT_EQ(s->gpus.size(), 1U);
  EXPECT_EQ(s->gpus[0].mig_enabled, std::optional<bool>(false));
  EXPECT_TRUE(s->gpus[0].mig_devices.empty());
  EXPECT_EQ(s->gpus[0].utilization, std::optional<unsigned>(0));
  ASSERT_EQ(s->gpus[0].processes.size(), 1U);
  EXPECT_FALSE(s->gpus[0].processes[0].gpu_instance_id.has_value());
}

// Early R535 drivers write 32-byte records from the same _v3 function: still every pid.
TEST(Nvml, Reads32ByteProcessRecords) {
  const FakeMachine m("1", "2", "0:1:11:1,0:1:12:2,0:2:13:3", "32");
  auto nvml = Nvml::open(fake_nvml());
  ASSERT_TRUE(nvml.has_value()) << nvml.error().message;
  auto s = nvml->snapshot();
  ASSERT_TRUE(s.has_value());
  ASSERT_EQ(s->gpus[0].processes.size(), 3U);
  EXPECT_EQ(s->gpus[0].processes[1].pid, 12U);
  EXPECT_EQ(s->gpus[0].processes[2].pid, 13U);
  EXPECT_EQ(s->gpus[0].processes[2].used_memory, std::optional<std::uint64_t>(3ULL << 20U));
}

TEST(Nvml, NoGpuIsAnEmptySnapshot) {
  const FakeMachine m("0");
  auto nvml = Nvml::open(fake_nvml());
  ASSERT_TRUE(nvml.has_value()) << nvml.error().message;
  auto s = nvml->snapshot();
  ASSERT_TRUE(s.has_value());
  EXPECT_TRUE(s->gpus.empty());
}

void put(std::vector<std::byte>& b, std::size_t at, const void* v, std::size_t n) {
  std::memcpy(b.data() + at, v, n);
}

TEST(Nvml, DecodesNotAvailableMemoryAndNoInstance) {
  std::vector<std::byte> b(2 * kNvmlProcessRecordV3);
  const unsigned pid1 = 5;
  const unsigned pid2 = 6;
  const unsigned long long na = ~0ULL;
  const unsigned none = 0xFFFFFFFFU;
  const unsigned gi = 3;
  put(b, 0, &pid1, 4);
  put(b, 8, &na, 8);
  put(b, 16, &none, 4);
  put(b, 24, &pid2, 4);
  put(b, 40, &gi, 4);
  const auto p = decode_nvml_processes(b, 2);
  ASSERT_EQ(p.size(), 2U);
  EXPECT_EQ(p[0].pid, 5U);
  EXPECT_FALSE(p[0].used_memory.has_value());
  EXPECT_FALSE(p[0].gpu_instance_id.has_value());
  EXPECT_EQ(p[1].pid, 6U);
  EXPECT_EQ(p[1].used_memory, std::optional<std::uint64_t>(0));
  EXPECT_EQ(p[1].gpu_instance_id, std::optional<unsigned>(3));
}

TEST(Nvml, DecodeNeverReadsPastTheBuffer) {
  std::vector<std::byte> b(kNvmlProcessRecordV3);
  const unsigned pid = 9;
  put(b, 0, &pid, 4);
  EXPECT_EQ(decode_nvml_processes(b, 1000).size(), 1U);
}

}  // namespace
}  // namespace aicactl::os
