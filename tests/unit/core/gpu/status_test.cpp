// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/gpu/status.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "aicactl/core/plan/errors.hpp"
#include "support/test_support.hpp"

namespace aicactl::core::gpu {
namespace {

const std::string kId(64, 'a');

TEST(GpuStatus, ParsesSubidRanges) {
  const auto r = parse_subid("# comment\nalice:100000:65536\nbad line\nbob:165536:65536\n:1:2\ncarol:x:1\ndan:1:0\n");
  ASSERT_EQ(r.size(), 2U);
  EXPECT_EQ(r[0].owner, "alice");
  EXPECT_EQ(r[0].first, 100000U);
  EXPECT_EQ(r[1].owner, "bob");
  EXPECT_EQ(r[1].count, 65536U);
}

TEST(GpuStatus, MigProfileIsNvmlsName) {
  EXPECT_EQ(mig_profile("NVIDIA A100-SXM4-40GB MIG 3g.20gb"), "3g.20gb");
  EXPECT_EQ(mig_profile("NVIDIA H100 80GB HBM3 MIG 1g.10gb+me"), "1g.10gb+me");
  EXPECT_EQ(mig_profile("NVIDIA H100 80GB HBM3"), "NVIDIA H100 80GB HBM3");
}

TEST(GpuStatus, FindsTheContainerInCgroups) {
  EXPECT_EQ(container_of("0::/system.slice/docker-" + kId + ".scope\n"), kId);
  EXPECT_EQ(container_of("12:pids:/docker/" + kId + "\n"), kId);
  EXPECT_EQ(container_of("0::/docker/" + kId + "/init.scope\n"), kId);
  EXPECT_FALSE(container_of("0::/user.slice/user-1000.slice/session-1.scope\n").has_value());
  EXPECT_FALSE(container_of("0::/docker/" + kId.substr(0, 63) + "\n").has_value());
}

Attribution sample() {
  Attribution a;
  a.subids = {{"alice", 100000, 65536}};
  a.session_by_container = {{kId, {"s-7", "bob"}}};
  a.user_name = [](uid_t uid) -> std::optional<std::string> {
    return uid == 1001 ? std::optional<std::string>("carol") : std::nullopt;
  };
  return a;
}

TEST(GpuStatus, OwnersBySessionSubuidAndUid) {
  const Attribution a = sample();
  const Owner s = owner_of(1001, kId, a);
  EXPECT_EQ(s.user, "bob");
  EXPECT_EQ(s.via, "session");
  EXPECT_EQ(s.session, std::optional<std::string>("s-7"));
  const Owner r = owner_of(100000 + 65535, std::nullopt, a);
  EXPECT_EQ(r.user, "alice");
  EXPECT_EQ(r.via, "subuid");
  EXPECT_EQ(owner_of(100000 + 65536, std::nullopt, a).user, "uid 165536");
  EXPECT_EQ(owner_of(1001, std::nullopt, a).user, "carol");
  EXPECT_EQ(owner_of(std::nullopt, std::nullopt, a).user, "?");
}

void write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

TEST(GpuStatus, JoinsProcessesWithProcAndSessions) {
  const test::TempDir tmp;
  test::make_dir(tmp.sub("42"));
  write(tmp.sub("42/status"), "Name:\tpython\nUid:\t1001\t1001\t1001\t1001\n");
  write(tmp.sub("42/cmdline"), std::string("python\0train.py\0", 16));
  write(tmp.sub("42/cgroup"), "0::/\n");
  test::make_dir(tmp.sub("43"));
  write(tmp.sub("43/status"), "Uid:\t1001\t0\t0\t0\n");
  write(tmp.sub("43/cgroup"), "0::/system.slice/docker-" + kId + ".scope\n");
  Attribution a = sample();
  a.proc_root = tmp.path();
  a.session_by_uuid = {{"MIG-1", "s-7"}};
  os::NvmlSnapshot snap{"550", {}};
  os::NvmlGpu g;
  g.name = "NVIDIA H100";
  g.mig_devices = {{0, "NVIDIA H100 MIG 3g.40gb", "MIG-1", 1, std::nullopt},
                   {1, "NVIDIA H100 MIG 1g.10gb", "MIG-2", 2, std::nullopt}};
  g.processes = {{42, 1024, std::nullopt}, {43, std::nullopt, 1}, {44, 1, std::nullopt}};
  snap.gpus.push_back(g);
  const Status s = build_status(snap, a);
  ASSERT_EQ(s.gpus.size(), 1U);
  const Gpu& gpu = s.gpus[0];
  EXPECT_EQ(gpu.mig[0].profile, "3g.40gb");
  EXPECT_EQ(gpu.mig[0].session, std::optional<std::string>("s-7"));
  EXPECT_FALSE(gpu.mig[1].session.has_value());
  ASSERT_EQ(gpu.processes.size(), 3U);
  EXPECT_EQ(gpu.processes[0].owner.user, "carol");
  EXPECT_EQ(gpu.processes[0].command, "python train.py");
  EXPECT_EQ(gpu.processes[1].owner.user, "bob");
  EXPECT_EQ(gpu.processes[1].owner.session, std::optional<std::string>("s-7"));
  EXPECT_EQ(gpu.processes[2].owner.user, "?");  // gone before it was read
  EXPECT_EQ(gpu.processes[2].command, "");
}

TEST(GpuStatus, NoDriverIsOneClearLineAndExit69) {
  try {
    const Reader reader("libnvidia-ml-absent.so.1");
    FAIL() << "a reader without a library";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "NVIDIA driver not found: libnvidia-ml.so.1");
    EXPECT_EQ(e.code(), ExitCode::unavailable);
    EXPECT_EQ(static_cast<int>(e.code()), 69);
  }
}

}  // namespace
}  // namespace aicactl::core::gpu
