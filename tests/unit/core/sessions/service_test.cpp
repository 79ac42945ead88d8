// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/sessions/service.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "aicactl/core/plan/errors.hpp"
#include "support/test_support.hpp"

namespace aicactl::core::sessions {
namespace {

const std::vector<Slice> kSlices = {
    {"GPU-aaaa", 0, "", true},       {"MIG-a1", 0, "3g.40gb", false}, {"MIG-a2", 0, "3g.40gb", false},
    {"MIG-a3", 0, "1g.10gb", false}, {"GPU-bbbb", 1, "", false},
};

std::string bad_data_message(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::bad_data) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return "";
}

TEST(SessionService, ResolvesMigProfilesAndGpus) {
  EXPECT_EQ(resolve_gpu({GpuKind::mig, "3g.40gb"}, kSlices), (std::vector<std::string>{"MIG-a1", "MIG-a2"}));
  EXPECT_EQ(resolve_gpu({GpuKind::device, "1"}, kSlices), (std::vector<std::string>{"GPU-bbbb"}));
  EXPECT_EQ(resolve_gpu({GpuKind::device, "GPU-bbbb"}, kSlices), (std::vector<std::string>{"GPU-bbbb"}));
  EXPECT_EQ(resolve_gpu({GpuKind::device, "MIG-a3"}, kSlices), (std::vector<std::string>{"MIG-a3"}));
  EXPECT_EQ(resolve_gpu({GpuKind::automatic, ""}, kSlices),
            (std::vector<std::string>{"MIG-a1", "MIG-a2", "MIG-a3", "GPU-bbbb"}));
  EXPECT_TRUE(resolve_gpu({GpuKind::none, ""}, kSlices).empty());
  EXPECT_TRUE(resolve_gpu({GpuKind::automatic, ""}, {}).empty());
}

TEST(SessionService, ABadProfileOrGpuIsBadInput) {
  const auto m = bad_data_message([] { (void)resolve_gpu({GpuKind::mig, "7g.80gb"}, kSlices); });
  EXPECT_NE(m.find("7g.80gb"), std::string::npos);
  EXPECT_NE(m.find("1g.10gb, 3g.40gb"), std::string::npos) << m;
  (void)bad_data_message([] { (void)resolve_gpu({GpuKind::device, "7"}, kSlices); });
  // A GPU in MIG mode is handed out only by instance.
  (void)bad_data_message([] { (void)resolve_gpu({GpuKind::device, "0"}, kSlices); });
  (void)bad_data_message([] { (void)resolve_gpu({GpuKind::mig, "1g.10gb"}, {}); });
}

TEST(SessionService, PasswdAndGroupFiles) {
  EXPECT_EQ(session_passwd("alice", 1001, 1001),
            "root:x:0:0:root:/root:/bin/bash\nalice:x:1001:1001::/workspace:/bin/bash\n");
  EXPECT_EQ(session_group({{"alice", 1001}, {"gpu-users", 1000}}, "alice"),
            "root:x:0:\nalice:x:1001:\ngpu-users:x:1000:alice\n");
}

TEST(SessionService, BadInputChangesNothing) {
  const test::TempDir tmp;
  Config config = default_config();
  config.data_root = tmp.path();
  config.sessions.engine = tmp.sub("no-engine.sock");
  Service service(config, [] { return kSlices; });
  CreateRequest r;
  r.user = "no-such-user-x";
  EXPECT_NE(bad_data_message([&] { (void)service.create(r, 1'800'000'000); }).find("Unknown user"), std::string::npos);
  r.user = "../etc";
  (void)bad_data_message([&] { (void)service.create(r, 1'800'000'000); });
  (void)bad_data_message([&] { (void)service.show("../../etc/pw"); });
  (void)bad_data_message([&] { (void)service.extend("zz", 60, 1'800'000'000); });
  // Nothing was made under the data root: no state dir, no database.
  EXPECT_FALSE(test::exists_nofollow(tmp.sub("system")));
}

TEST(SessionService, GpuStatusSeesLiveSessionsHoldingSlices) {
  gpu::Attribution a;
  Session live{"0123456789ab", "alice", 10000, "MIG-a1", "c0ffee", 100, 2000, "", 0, 0, "device-requests"};
  Session expired{"ba9876543210", "bob", 10001, "MIG-a2", "beef", 100, 500, "", 0, 0, "device-requests"};
  attribute_sessions(a, {live, expired}, 1000);
  EXPECT_EQ(a.session_by_uuid.size(), 1U);
  EXPECT_EQ(a.session_by_uuid.at("MIG-a1"), "0123456789ab");
  ASSERT_EQ(a.session_by_container.size(), 1U);
  EXPECT_EQ(a.session_by_container.at("c0ffee").user, "alice");
  // Without a database there is nothing to attribute, and nothing is created.
  const test::TempDir tmp;
  Config config = default_config();
  config.data_root = tmp.path();
  EXPECT_TRUE(readable_sessions(config).empty());
  EXPECT_FALSE(test::exists_nofollow(tmp.sub("system")));
}

TEST(SessionService, DoctorAndRecoverWithoutAnEngine) {
  const test::TempDir tmp;
  Config config = default_config();
  config.data_root = tmp.path();
  config.sessions.engine = tmp.sub("no-engine.sock");
  // Sessions not in use (no database): no checks, recover and the cron reap have nothing to say.
  EXPECT_TRUE(session_checks(config, 1000).empty());
  EXPECT_TRUE(recover_sessions(config, 1000, DryRun::no).lines.empty());
  EXPECT_TRUE(Service(config).reap(1000).lines.empty());
  EXPECT_FALSE(test::exists_nofollow(tmp.sub("system")));
  ASSERT_EQ(::mkdir(tmp.sub("system").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir(tmp.sub("system/state").c_str(), 0755), 0);
  {
    Store store = Store::open(tmp.sub("system/state/sessions.db"));
    (void)store.allocate({"alice", {}, 100, 60, "", 0, 0, ""}, {10000, 10001}, 0);
  }
  const auto checks = session_checks(config, 1000);
  ASSERT_EQ(checks.size(), 3U);
  EXPECT_TRUE(checks[0].ok) << checks[0].name;  // the database
  EXPECT_FALSE(checks[1].ok);                   // an expired session not reaped
  EXPECT_NE(checks[1].detail.find("1 expired session"), std::string::npos) << checks[1].detail;
  EXPECT_FALSE(checks[2].ok);  // the engine
  EXPECT_NE(checks[2].name.find("no-engine.sock"), std::string::npos) << checks[2].name;
  // recover says the engine is down and goes on (nothing failed, the row is kept).
  const ReapReport r = recover_sessions(config, 1000, DryRun::no);
  ASSERT_EQ(r.lines.size(), 1U);
  EXPECT_NE(r.lines[0].find("not reconciled"), std::string::npos) << r.lines[0];
  EXPECT_EQ(r.failed, 0U);
  EXPECT_EQ(Store::open(tmp.sub("system/state/sessions.db")).list().size(), 1U);
}

}  // namespace
}  // namespace aicactl::core::sessions
