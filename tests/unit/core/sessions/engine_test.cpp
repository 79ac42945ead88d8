// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/sessions/engine.hpp"

#include <gtest/gtest.h>

#include "aicactl/core/plan/errors.hpp"

namespace aicactl::core::sessions {
namespace {

ContainerSpec alice_spec() {
  ContainerSpec s;
  s.id = "0123456789ab";
  s.user = "alice";
  s.uid = 1001;
  s.gid = 1001;
  s.groups = {1000, 1234};
  s.image = "aicactl/session:bookworm";
  s.workspace = "/data/users/alice";
  s.state_dir = "/data/system/state/sessions/0123456789ab";
  s.bind = "127.0.0.1";
  s.port = 10042;
  s.expires = 1'800'000'000;
  s.nano_cpus = 2'000'000'000;
  s.memory = 8LL << 30;
  s.pids_limit = 512;
  return s;
}

TEST(SessionEngine, ContainerBodyRunsAsTheUserWithEverythingDropped) {
  const auto j = container_body(alice_spec());
  EXPECT_EQ(j["Image"], "aicactl/session:bookworm");
  EXPECT_EQ(j["User"], "1001:1001");
  EXPECT_EQ(j["Hostname"], "alice-0123456789ab");
  EXPECT_EQ(j["WorkingDir"], "/workspace");
  EXPECT_EQ(j["Env"], nlohmann::json({"HOME=/workspace", "USER=alice", "LOGNAME=alice"}));
  EXPECT_EQ(j["Cmd"], nlohmann::json({"/usr/local/sbin/aicactl-session-sshd", "2222"}));
  EXPECT_EQ(j["ExposedPorts"].dump(), R"({"2222/tcp":{}})");
  EXPECT_EQ(j["Labels"].dump(),
            R"({"aicactl.expires":"1800000000","aicactl.session":"0123456789ab","aicactl.user":"alice"})");
  const auto& h = j["HostConfig"];
  EXPECT_EQ(h["Binds"], nlohmann::json({"/data/users/alice:/workspace:rw",
                                        "/data/system/state/sessions/0123456789ab/passwd:/etc/passwd:ro",
                                        "/data/system/state/sessions/0123456789ab/group:/etc/group:ro",
                                        "/data/system/state/sessions/0123456789ab/authorized_keys:/etc/aicactl/"
                                        "authorized_keys:ro"}));
  EXPECT_EQ(h["PortBindings"].dump(), R"({"2222/tcp":[{"HostIp":"127.0.0.1","HostPort":"10042"}]})");
  EXPECT_EQ(h["CapDrop"].dump(), R"(["ALL"])");
  EXPECT_EQ(h["SecurityOpt"].dump(), R"(["no-new-privileges"])");
  EXPECT_EQ(h["GroupAdd"].dump(), R"(["1000","1234"])");
  EXPECT_EQ(h["PidsLimit"], 512);
  EXPECT_EQ(h["Memory"], 8LL << 30);
  EXPECT_EQ(h["NanoCpus"], 2'000'000'000);
  EXPECT_EQ(h["RestartPolicy"].dump(), R"({"Name":"unless-stopped"})");
  EXPECT_EQ(h["Init"], true);
  EXPECT_FALSE(h.contains("DeviceRequests"));
  EXPECT_FALSE(h.contains("Runtime"));
  EXPECT_FALSE(h.contains("Privileged"));
}

TEST(SessionEngine, NoLimitsAreLeftOut) {
  ContainerSpec s = alice_spec();
  s.nano_cpus = 0;
  s.memory = 0;
  s.pids_limit = 0;
  s.groups.clear();
  const auto h = container_body(s)["HostConfig"];
  EXPECT_FALSE(h.contains("NanoCpus"));
  EXPECT_FALSE(h.contains("Memory"));
  EXPECT_FALSE(h.contains("PidsLimit"));
  EXPECT_EQ(h["GroupAdd"].dump(), "[]");
}

TEST(SessionEngine, GpuByDeviceRequestOrByRuntime) {
  ContainerSpec s = alice_spec();
  s.gpu = "MIG-11111111-2222-3333-4444-555555555555";
  auto j = container_body(s);
  EXPECT_EQ(
      j["HostConfig"]["DeviceRequests"].dump(),
      R"([{"Capabilities":[["gpu"]],"DeviceIDs":["MIG-11111111-2222-3333-4444-555555555555"],"Driver":"nvidia"}])");
  EXPECT_FALSE(j["HostConfig"].contains("Runtime"));
  s.gpu_mode = GpuMode::runtime;
  s.runtime = "nvidia-test";
  j = container_body(s);
  EXPECT_FALSE(j["HostConfig"].contains("DeviceRequests"));
  EXPECT_EQ(j["HostConfig"]["Runtime"], "nvidia-test");
  EXPECT_EQ(j["Env"].back(), "NVIDIA_VISIBLE_DEVICES=MIG-11111111-2222-3333-4444-555555555555");
}

TEST(SessionEngine, NegotiatesAtMost141) {
  EXPECT_EQ(negotiate_version("1.43"), "1.41");
  EXPECT_EQ(negotiate_version("1.41"), "1.41");
  EXPECT_EQ(negotiate_version("1.40"), "1.40");
  EXPECT_EQ(negotiate_version("2.0"), "1.41");
  EXPECT_THROW((void)negotiate_version(""), Error);
  EXPECT_THROW((void)negotiate_version("1.x"), Error);
}

TEST(SessionEngine, EngineMessages) {
  EXPECT_EQ(engine_message(404, R"({"message":"No such image: aicactl/session:bookworm"})"),
            "No such image: aicactl/session:bookworm");
  EXPECT_EQ(engine_message(500, "oops\n"), "HTTP 500: oops");
  EXPECT_EQ(engine_message(500, ""), "HTTP 500");
}

TEST(SessionEngine, DecodesListAndInspect) {
  const auto list = parse_container_list(
      R"([{"Id":"abc","Names":["/aicactl-session-0123456789ab"],"State":"running",
           "Labels":{"aicactl.session":"0123456789ab","aicactl.user":"alice"}},
          {"Id":"def","Names":["/other"],"State":"exited","Labels":{}}])");
  ASSERT_EQ(list.size(), 2U);
  EXPECT_EQ(list[0].id, "abc");
  EXPECT_EQ(list[0].name, "aicactl-session-0123456789ab");
  EXPECT_EQ(list[0].session, "0123456789ab");
  EXPECT_EQ(list[0].user, "alice");
  EXPECT_EQ(list[0].state, "running");
  EXPECT_EQ(list[1].session, "");
  const auto one = parse_container_inspect(
      R"({"Id":"abc","Name":"/aicactl-session-0123456789ab","State":{"Status":"exited","Running":false},
          "Config":{"Labels":{"aicactl.session":"0123456789ab","aicactl.user":"alice"}}})");
  EXPECT_EQ(one.id, "abc");
  EXPECT_EQ(one.name, "aicactl-session-0123456789ab");
  EXPECT_EQ(one.state, "exited");
  EXPECT_EQ(one.session, "0123456789ab");
  EXPECT_THROW((void)parse_container_list("not json"), Error);
}

TEST(SessionEngine, ImageNames) {
  EXPECT_TRUE(valid_image_name("aicactl/session:bookworm"));
  EXPECT_TRUE(valid_image_name("registry.local:5000/x/y@sha256:abc"));
  EXPECT_FALSE(valid_image_name(""));
  EXPECT_FALSE(valid_image_name("../../containers/x"));
  EXPECT_FALSE(valid_image_name("a b"));
  EXPECT_FALSE(valid_image_name("a?x=1"));
  EXPECT_FALSE(valid_image_name("-x"));
}

TEST(SessionEngine, AMissingSocketIsUnavailable) {
  try {
    const Engine e("/nonexistent/docker.sock");
    FAIL() << "connected";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::no_volume);
    EXPECT_NE(std::string(e.what()).find("unavailable"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace aicactl::core::sessions
