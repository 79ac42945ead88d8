// SPDX-License-Identifier: Apache-2.0
// cache clean's planner (which trees a selector names) and one clean on a temp data root.
#include "aicactl/core/cache/clean.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>

#include "aicactl/core/plan/errors.hpp"
#include "support/test_support.hpp"

namespace aicactl::core {
namespace {

using test::exists_nofollow;
using test::Fd;
using test::make_dir;
using test::make_symlink;
using test::read_text;
using test::TempDir;
using test::write_text;

Config config_at(const std::string& data_root) {
  Config c = default_config();
  c.data_root = data_root;
  return c;
}

std::vector<std::string> roots_of(const std::vector<CleanTarget>& targets) {
  std::vector<std::string> out;
  for (const auto& t : targets) {
    out.push_back(t.root);
  }
  return out;
}

TEST(CleanPlan, SelectorsNameTheirTreesInOrder) {
  const Config c = config_at("/data");
  const auto targets = plan_clean(c, {"torch", "pip", "hf", "conda"});
  EXPECT_EQ(roots_of(targets),
            (std::vector<std::string>{"/data/cache/conda/pkgs", "/data/cache/pip", "/data/models/huggingface/hub",
                                      "/data/models/huggingface/datasets", "/data/models/huggingface/xet",
                                      "/data/models/torch/hub"}));
  EXPECT_FALSE(targets.at(1).optional);
  EXPECT_TRUE(targets.at(2).optional);
  EXPECT_EQ(targets.at(0).keep, std::vector<std::string>{"urls.txt"});
}

TEST(CleanPlan, UvIsCleanedUnderItsOwnLock) {
  const auto targets = plan_clean(config_at("/data"), {"uv"});
  ASSERT_EQ(targets.size(), 1U);
  EXPECT_EQ(targets[0].lock, ".lock");
  EXPECT_NE(std::ranges::find(targets[0].keep, ".lock"), targets[0].keep.end());
  EXPECT_NE(std::ranges::find(targets[0].keep, "CACHEDIR.TAG"), targets[0].keep.end());
}

TEST(CleanPlan, ADisabledCacheIsAUsageError) {
  Config c = config_at("/data");
  for (auto& n : c.caches) {
    if (n.name == "npm") {
      n.relative.clear();
    }
  }
  EXPECT_FALSE(clean_enabled(c, "npm"));
  EXPECT_TRUE(clean_enabled(c, "hf"));
  try {
    (void)plan_clean(c, {"npm"});
    ADD_FAILURE() << "no error for a disabled cache";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::usage);
  }
}

TEST(CleanPlan, CutoffIsThatManyDaysBeforeNow) {
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(100 * 86400 + 5));
  EXPECT_EQ(cutoff_for_days(30, now), 70 * 86400 + 5);
}

class CleanTree : public ::testing::Test {
 protected:
  TempDir tmp;
  Config config = config_at(tmp.path());
  void SetUp() override {
    for (const char* d : {"cache", "cache/uv", "models", "models/huggingface", "models/huggingface/hub"}) {
      make_dir(tmp.sub(d));
    }
  }
};

TEST_F(CleanTree, HfKeepsTheTokenAndTheHubDirectory) {
  write_text(tmp.sub("models/huggingface/token"), "hf_secret");
  make_dir(tmp.sub("models/huggingface/hub/models--gpt2"));
  write_text(tmp.sub("models/huggingface/hub/models--gpt2/blob"), "weights");
  make_dir(tmp.sub("models/huggingface/hub/.locks"));
  std::vector<CleanResult> results;
  for (const auto& t : plan_clean(config, {"hf"})) {
    results.push_back(clean_target(t, {}));
  }
  ASSERT_EQ(results.size(), 3U);
  EXPECT_TRUE(results[0].errors.empty());
  EXPECT_EQ(results[0].files, 1U);
  EXPECT_TRUE(results[1].missing);  // no datasets/ yet: nothing to do, no error
  EXPECT_EQ(read_text(tmp.sub("models/huggingface/token")), "hf_secret");
  EXPECT_TRUE(exists_nofollow(tmp.sub("models/huggingface/hub/.locks")));
  EXPECT_FALSE(exists_nofollow(tmp.sub("models/huggingface/hub/models--gpt2")));
}

TEST_F(CleanTree, AHubReplacedBySymlinkIsRefusedNotFollowed) {
  make_dir(tmp.sub("victim"));
  write_text(tmp.sub("victim/file"), "keep");
  make_dir(tmp.sub("models/torch"));
  make_symlink(tmp.sub("victim"), tmp.sub("models/torch/hub"));
  const auto targets = plan_clean(config, {"torch"});
  ASSERT_EQ(targets.size(), 1U);
  const CleanResult r = clean_target(targets[0], {});
  EXPECT_FALSE(r.errors.empty());
  EXPECT_EQ(read_text(tmp.sub("victim/file")), "keep");
}

TEST_F(CleanTree, ALockedUvCacheIsSkippedAndKept) {
  write_text(tmp.sub("cache/uv/.lock"), "");
  write_text(tmp.sub("cache/uv/wheel"), "w");
  const Fd holder(::open(tmp.sub("cache/uv/.lock").c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_EQ(::flock(holder.get(), LOCK_SH), 0);
  const auto targets = plan_clean(config, {"uv"});
  CleanOptions options;
  options.lock_wait = std::chrono::milliseconds(200);
  const CleanResult r = clean_target(targets.at(0), options);
  EXPECT_FALSE(r.skipped.empty());
  EXPECT_TRUE(r.errors.empty());
  EXPECT_TRUE(exists_nofollow(tmp.sub("cache/uv/wheel")));

  ASSERT_EQ(::flock(holder.get(), LOCK_UN), 0);
  const CleanResult again = clean_target(targets.at(0), options);
  EXPECT_TRUE(again.skipped.empty());
  EXPECT_FALSE(exists_nofollow(tmp.sub("cache/uv/wheel")));
  EXPECT_TRUE(exists_nofollow(tmp.sub("cache/uv/.lock")));
}

TEST_F(CleanTree, DryRunRemovesNothingEvenWhenLocked) {
  write_text(tmp.sub("cache/uv/.lock"), "");
  write_text(tmp.sub("cache/uv/wheel"), "w");
  const Fd holder(::open(tmp.sub("cache/uv/.lock").c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_EQ(::flock(holder.get(), LOCK_EX), 0);
  CleanOptions options;
  options.dry_run = DryRun::yes;
  std::vector<std::string> listed;
  options.on_removed = [&listed](const std::string& p, bool) { listed.push_back(p); };
  const CleanResult r = clean_target(plan_clean(config, {"uv"}).at(0), options);
  EXPECT_TRUE(r.skipped.empty());
  EXPECT_EQ(r.files, 1U);
  EXPECT_EQ(listed, std::vector<std::string>{tmp.sub("cache/uv/wheel")});
  EXPECT_TRUE(exists_nofollow(tmp.sub("cache/uv/wheel")));
}

// huggingface_hub flocks `.locks/<repo>/<blob>.lock` while it writes `<repo>/blobs/<blob>.incomplete`:
// a repo with a held lock is skipped and reported; an unlocked repo goes except a `*.incomplete`
// modified since fresh_since; an older one goes.
TEST_F(CleanTree, HfSkipsALockedRepoAndKeepsFreshIncompleteDownloads) {
  const std::string hub = tmp.sub("models/huggingface/hub");
  for (const char* d : {"models--a--busy", "models--a--busy/blobs", "models--b--idle", "models--b--idle/blobs",
                        ".locks", ".locks/models--a--busy", ".locks/models--b--idle"}) {
    make_dir(hub + "/" + d);
  }
  write_text(hub + "/models--a--busy/blobs/abc.incomplete", "part");
  write_text(hub + "/models--a--busy/blobs/old", "done");
  write_text(hub + "/.locks/models--a--busy/abc.lock", "");
  write_text(hub + "/.locks/models--b--idle/def.lock", "");
  write_text(hub + "/models--b--idle/blobs/def.incomplete", "fresh part");
  write_text(hub + "/models--b--idle/blobs/stale.incomplete", "stale part");
  write_text(hub + "/models--b--idle/blobs/done", "weights");
  const timespec long_ago[2] = {{1'000'000'000, 0}, {1'000'000'000, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, (hub + "/models--b--idle/blobs/stale.incomplete").c_str(), long_ago, 0), 0);
  const Fd holder(::open((hub + "/.locks/models--a--busy/abc.lock").c_str(), O_RDWR | O_CLOEXEC));
  ASSERT_EQ(::flock(holder.get(), LOCK_EX | LOCK_NB), 0);

  CleanOptions options;
  options.fresh_since = fresh_since_for_hours(24, std::chrono::system_clock::now());
  const CleanResult r = clean_target(plan_clean(config, {"hf"}).at(0), options);
  EXPECT_TRUE(r.errors.empty());
  EXPECT_EQ(r.locked, std::vector<std::string>{hub + "/models--a--busy"});
  EXPECT_EQ(read_text(hub + "/models--a--busy/blobs/abc.incomplete"), "part");
  EXPECT_EQ(read_text(hub + "/models--a--busy/blobs/old"), "done") << "the locked repo is left whole";
  EXPECT_EQ(read_text(hub + "/models--b--idle/blobs/def.incomplete"), "fresh part");
  EXPECT_FALSE(exists_nofollow(hub + "/models--b--idle/blobs/stale.incomplete"));
  EXPECT_FALSE(exists_nofollow(hub + "/models--b--idle/blobs/done"));
  EXPECT_TRUE(exists_nofollow(hub + "/.locks/models--a--busy/abc.lock"));

  ASSERT_EQ(::flock(holder.get(), LOCK_UN), 0);
  options.fresh_since = fresh_since_for_hours(0, std::chrono::system_clock::now()) + 3600;
  const CleanResult again = clean_target(plan_clean(config, {"hf"}).at(0), options);
  EXPECT_TRUE(again.locked.empty());
  EXPECT_FALSE(exists_nofollow(hub + "/models--a--busy"));
  EXPECT_FALSE(exists_nofollow(hub + "/models--b--idle"));
}

}  // namespace
}  // namespace aicactl::core
