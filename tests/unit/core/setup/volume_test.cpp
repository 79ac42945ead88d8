// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/setup/volume.hpp"

#include <gtest/gtest.h>

#include "support/test_support.hpp"

namespace aicactl::core {
namespace {

using test::ChildOutcome;
using test::make_dir;
using test::run_in_child;
using test::TempDir;
using test::write_text;

const std::string kA = "0123456789abcdef0123456789abcdef";
const std::string kB = "fedcba9876543210fedcba9876543210";

Config config_in(const TempDir& tmp) {
  Config c = default_config();
  c.data_root = tmp.sub("data");
  c.volume_record = tmp.sub("etc-volume-id");
  return c;
}

VolumeFacts mounted(std::optional<std::string> stamp, std::optional<std::string> record, bool layout = false) {
  VolumeFacts f;
  f.stamp = std::move(stamp);
  f.record = std::move(record);
  f.has_layout = layout;
  return f;
}

TEST(Volume, StampRoundTripsAndRejectsAnythingElse) {
  const std::string id = new_volume_id();
  EXPECT_EQ(id.size(), 32U);
  EXPECT_NE(id, new_volume_id());
  EXPECT_EQ(parse_volume_stamp(render_volume_stamp(id)), id);
  EXPECT_EQ(parse_volume_stamp("id=" + kA), kA);
  EXPECT_EQ(parse_volume_stamp(""), "");
  EXPECT_EQ(parse_volume_stamp("id=" + kA + "\nid=" + kB + "\n"), "");
  EXPECT_EQ(parse_volume_stamp("id=" + kA.substr(1) + "\n"), "");
  EXPECT_EQ(parse_volume_stamp("id=" + kA + "0\n"), "");
  EXPECT_EQ(parse_volume_stamp("id=0123456789ABCDEF0123456789ABCDEF\n"), "");
  EXPECT_EQ(parse_volume_stamp("uuid=" + kA + "\n"), "");
}

TEST(Volume, AStampedVolumeIsUsedByEveryCommand) {
  const Config c = default_config();
  for (const auto use : {VolumeUse::existing, VolumeUse::adopt, VolumeUse::init}) {
    const VolumeVerdict v = judge_volume(c, mounted(kA, std::nullopt), use, kB);
    EXPECT_EQ(v.problem, "");
    EXPECT_EQ(v.id, kA);  // after a re-image: the stamp's id, recorded again on the root disk
    const VolumeVerdict same = judge_volume(c, mounted(kA, kA), use, kB);
    EXPECT_EQ(same.problem, "");
    EXPECT_EQ(same.id, kA);
  }
}

TEST(Volume, ANotMountedDataRootIsRefusedEvenWithInit) {
  VolumeFacts f = mounted(kA, kA);
  f.mount_problem = "'/data' is not a mounted file system";
  for (const auto use : {VolumeUse::existing, VolumeUse::adopt, VolumeUse::init}) {
    EXPECT_EQ(judge_volume(default_config(), f, use, kB).problem, f.mount_problem);
  }
}

TEST(Volume, AnotherDiskIsRefusedUnlessInit) {
  const Config c = default_config();
  for (const auto use : {VolumeUse::existing, VolumeUse::adopt}) {
    const VolumeVerdict v = judge_volume(c, mounted(kB, kA), use, "");
    EXPECT_NE(v.problem.find("another disk"), std::string::npos) << v.problem;
    EXPECT_NE(v.problem.find(kA), std::string::npos) << v.problem;
    EXPECT_NE(v.problem.find("setup --init"), std::string::npos) << v.problem;
  }
  const VolumeVerdict init = judge_volume(c, mounted(kB, kA), VolumeUse::init, "");
  EXPECT_EQ(init.problem, "");
  EXPECT_EQ(init.id, kB);
}

TEST(Volume, AnEmptyUnstampedVolumeNeedsInit) {
  const Config c = default_config();
  for (const auto use : {VolumeUse::existing, VolumeUse::adopt}) {
    const VolumeVerdict v = judge_volume(c, mounted(std::nullopt, std::nullopt), use, kB);
    EXPECT_NE(v.problem.find("setup --init"), std::string::npos) << v.problem;
    EXPECT_EQ(v.id, "");
  }
  const VolumeVerdict init = judge_volume(c, mounted(std::nullopt, std::nullopt), VolumeUse::init, kB);
  EXPECT_EQ(init.problem, "");
  EXPECT_EQ(init.id, kB);
  EXPECT_NE(init.notice, "");
  // The disk this server was set up on had a stamp: an unstamped one is another disk.
  const VolumeVerdict replaced = judge_volume(c, mounted(std::nullopt, kA), VolumeUse::adopt, kB);
  EXPECT_NE(replaced.problem, "");
  EXPECT_EQ(judge_volume(c, mounted(std::nullopt, kA), VolumeUse::init, kB).id, kB);
}

TEST(Volume, PlainSetupAdoptsALayoutFromBeforeStamps) {
  const Config c = default_config();
  const VolumeVerdict v = judge_volume(c, mounted(std::nullopt, std::nullopt, true), VolumeUse::adopt, kB);
  EXPECT_EQ(v.problem, "");
  EXPECT_EQ(v.id, kB);
  EXPECT_NE(v.notice.find("adopting"), std::string::npos) << v.notice;
  const VolumeVerdict other = judge_volume(c, mounted(std::nullopt, std::nullopt, true), VolumeUse::existing, kB);
  EXPECT_NE(other.problem.find("run 'aicactl setup'"), std::string::npos) << other.problem;
}

TEST(Volume, ADamagedStampIsRefused) {
  VolumeFacts f = mounted(std::nullopt, std::nullopt, true);
  f.stamp_invalid = true;
  for (const auto use : {VolumeUse::existing, VolumeUse::adopt, VolumeUse::init}) {
    EXPECT_NE(judge_volume(default_config(), f, use, kB).problem, "");
  }
}

TEST(Volume, InspectReadsStampRecordAndLayout) {
  const TempDir tmp;
  Config c = config_in(tmp);
  c.require_data_mount = false;
  make_dir(tmp.sub("data"));
  VolumeFacts f = inspect_volume(c);
  EXPECT_EQ(f.mount_problem, "");
  EXPECT_FALSE(f.stamp);
  EXPECT_FALSE(f.record);
  EXPECT_FALSE(f.has_layout);
  make_dir(tmp.sub("data/system"));
  make_dir(tmp.sub("data/system/bin"));
  write_text(tmp.sub("data/system/bin/aicactl"), "binary");
  write_text(tmp.sub("data/system/volume-id"), render_volume_stamp(kA));
  write_text(tmp.sub("etc-volume-id"), render_volume_stamp(kB));
  f = inspect_volume(c);
  EXPECT_EQ(f.stamp.value_or(""), kA);
  EXPECT_EQ(f.record.value_or(""), kB);
  EXPECT_TRUE(f.has_layout);
  EXPECT_NE(check_volume(c, VolumeUse::existing).problem, "");
  write_text(tmp.sub("data/system/volume-id"), "id=nonsense\n");
  EXPECT_TRUE(inspect_volume(c).stamp_invalid);
}

TEST(Volume, ADirectoryOnItsParentsFileSystemIsNotAMount) {
  const TempDir tmp;
  Config c = config_in(tmp);
  make_dir(tmp.sub("data"));
  EXPECT_NE(data_mount_problem(c).find("is not a mounted file system"), std::string::npos) << data_mount_problem(c);
  EXPECT_NE(inspect_volume(c).mount_problem, "");
  c.require_data_mount = false;
  EXPECT_EQ(inspect_volume(c).mount_problem, "");
  c.data_root = tmp.sub("absent");
  EXPECT_NE(data_mount_problem(c).find("does not exist"), std::string::npos);
}

TEST(Volume, AMountedOrBindMountedDataRootIsAMount) {
  const TempDir tmp;
  make_dir(tmp.sub("data"));
  make_dir(tmp.sub("disk"));
  make_dir(tmp.sub("bound"));
  const ChildOutcome outcome = run_in_child([&]() -> std::string {
    if (auto skip = test::private_mounts({tmp.sub("data"), {{tmp.sub("disk"), tmp.sub("bound")}}}); !skip.empty()) {
      return skip;
    }
    Config c = config_in(tmp);
    std::string problems;
    if (auto why = data_mount_problem(c); !why.empty()) {
      problems += "tmpfs: " + why + "\n";
    }
    c.data_root = tmp.sub("bound");  // a bind mount of a directory on the same file system
    if (auto why = data_mount_problem(c); !why.empty()) {
      problems += "bind: " + why + "\n";
    }
    return problems;
  });
  if (outcome.skipped()) {
    GTEST_SKIP() << outcome.message;
  }
  EXPECT_TRUE(outcome.ok()) << outcome.message;
}

}  // namespace
}  // namespace aicactl::core
