// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/sessions/settings.hpp"

#include <gtest/gtest.h>

#include "aicactl/core/plan/errors.hpp"
#include "aicactl/core/setup/config.hpp"

namespace aicactl::core {
namespace {

std::string error_of(const std::string& toml) {
  try {
    (void)parse_config(toml, "t.toml");
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::bad_data) << e.what();
    return e.what();
  }
  return "";
}

TEST(SessionsConfig, Defaults) {
  const SessionsConfig s = default_config().sessions;
  EXPECT_EQ(s.image, "aicactl/session:bookworm");
  EXPECT_EQ(s.engine, "/var/run/docker.sock");
  EXPECT_EQ(s.ports.first, 10000U);
  EXPECT_EQ(s.ports.last, 20000U);
  EXPECT_EQ(s.bind, "0.0.0.0");
  EXPECT_EQ(s.max_ttl, 24 * 3600);
  EXPECT_EQ(s.max_per_user, 2U);
  EXPECT_EQ(s.gpu_mode, GpuMode::device_requests);
  EXPECT_EQ(s.runtime, "nvidia");
}

TEST(SessionsConfig, ParsesEveryKeyAndRoundTrips) {
  const Config c = parse_config(R"([sessions]
image = "lab/session:1"
engine = "/run/vs/docker.sock"
workspace_root = "/data/work"
ports = "12000-12007"
bind = "127.0.0.1"
ssh_host = "gpu1.example.org"
cpus = 2.5
memory = "16g"
pids_limit = 512
default_ttl = "2h"
max_ttl = "2d"
max_per_user = 3
gpu_mode = "runtime"
runtime = "nvidia-test"
)",
                                "t.toml");
  const SessionsConfig& s = c.sessions;
  EXPECT_EQ(s.image, "lab/session:1");
  EXPECT_EQ(s.engine, "/run/vs/docker.sock");
  EXPECT_EQ(s.workspace_root, "/data/work");
  EXPECT_EQ(s.ports.first, 12000U);
  EXPECT_EQ(s.ports.last, 12007U);
  EXPECT_EQ(s.bind, "127.0.0.1");
  EXPECT_EQ(s.ssh_host, "gpu1.example.org");
  EXPECT_EQ(s.nano_cpus, 2'500'000'000);
  EXPECT_EQ(s.memory, 16LL << 30);
  EXPECT_EQ(s.pids_limit, 512);
  EXPECT_EQ(s.default_ttl, 7200);
  EXPECT_EQ(s.max_ttl, 2 * 86400);
  EXPECT_EQ(s.max_per_user, 3U);
  EXPECT_EQ(s.gpu_mode, GpuMode::runtime);
  EXPECT_EQ(s.runtime, "nvidia-test");
  const Config again = parse_config(render_config(c), "rendered");
  EXPECT_EQ(render_config(again), render_config(c));
}

TEST(SessionsConfig, BadValuesNameTheKey) {
  EXPECT_NE(error_of("[sessions]\nports = \"80-90\"\n").find("sessions.ports"), std::string::npos);
  EXPECT_NE(error_of("[sessions]\nports = \"2000-1000\"\n").find("sessions.ports"), std::string::npos);
  EXPECT_NE(error_of("[sessions]\nbind = \"localhost\"\n").find("sessions.bind"), std::string::npos);
  EXPECT_NE(error_of("[sessions]\nengine = \"run/docker.sock\"\n").find("sessions.engine"), std::string::npos);
  EXPECT_NE(error_of("[sessions]\nworkspace_root = \"/data/../etc\"\n").find("sessions.workspace_root"),
            std::string::npos);
  EXPECT_NE(error_of("[sessions]\nmax_ttl = \"forever\"\n").find("sessions.max_ttl"), std::string::npos);
  EXPECT_NE(error_of("[sessions]\nmax_ttl = \"1h\"\n").find("sessions.default_ttl"), std::string::npos);
  EXPECT_NE(error_of("[sessions]\ngpu_mode = \"cdi\"\n").find("sessions.gpu_mode"), std::string::npos);
  EXPECT_NE(error_of("[sessions]\ncpus = -1\n").find("sessions.cpus"), std::string::npos);
  EXPECT_NE(error_of("[sessions]\nmemory = \"lots\"\n").find("sessions.memory"), std::string::npos);
  EXPECT_NE(error_of("[sessions]\nmax_per_user = -2\n").find("sessions.max_per_user"), std::string::npos);
  EXPECT_NE(error_of("[sessions]\nimage = \"a b\"\n").find("sessions.image"), std::string::npos);
  EXPECT_NE(error_of("[sessions]\nssh_host = \"a;b\"\n").find("sessions.ssh_host"), std::string::npos);
  EXPECT_NE(error_of("[sessions]\nruntime = \"Bad Name\"\n").find("sessions.runtime"), std::string::npos);
  EXPECT_NE(error_of("[sessions]\ncolour = 1\n").find("sessions.colour"), std::string::npos);
}

TEST(SessionsConfig, SizesAndCpus) {
  EXPECT_EQ(parse_memory_size("512m"), 512LL << 20);
  EXPECT_EQ(parse_memory_size("1073741824"), 1LL << 30);
  EXPECT_EQ(parse_memory_size("2G"), 2LL << 30);
  EXPECT_FALSE(parse_memory_size(""));
  EXPECT_FALSE(parse_memory_size("0"));
  EXPECT_FALSE(parse_memory_size("-1g"));
  EXPECT_FALSE(parse_memory_size("1x"));
  EXPECT_EQ(parse_cpus("2"), 2'000'000'000);
  EXPECT_EQ(parse_cpus("0.25"), 250'000'000);
  EXPECT_FALSE(parse_cpus("0"));
  EXPECT_FALSE(parse_cpus("2000"));
  EXPECT_FALSE(parse_cpus("two"));
  EXPECT_EQ(ttl_text(8 * 3600), "8h");
  EXPECT_EQ(ttl_text(86400), "1d");
  EXPECT_EQ(ttl_text(90), "90s");
}

}  // namespace
}  // namespace aicactl::core
