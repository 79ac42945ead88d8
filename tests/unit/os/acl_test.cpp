// SPDX-License-Identifier: Apache-2.0
#include "aicactl/os/acl.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "aicactl/os/fs.hpp"
#include "aicactl/os/process.hpp"
#include "support/old_kernel.hpp"
#include "support/test_support.hpp"

namespace aicactl::os {
namespace {

using test::lstat_or_throw;
using test::make_dir;
using test::make_symlink;
using test::TempDir;
using test::write_text;

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (const int v : values) {
    out.push_back(static_cast<char>(v));
  }
  return out;
}

// user::rw-, user:5:-w-, group::r--, group:3:---, mask (recalculated), other::--x
Acl sample_acl() {
  Acl acl = Acl::from_mode(0641);
  acl.set(AclTag::user, 5, 2);
  acl.set(AclTag::group, 3, 0);
  acl.recalculate_mask();
  return acl;
}

// ---- the codec, no kernel involved ----------------------------------------------------------

TEST(AclCodec, FromModeGivesTheMinimalAcl) {
  const Acl acl = Acl::from_mode(0754);
  ASSERT_EQ(acl.entries().size(), 3U);
  EXPECT_EQ(acl.entries()[0], (AclEntry{AclTag::user_obj, 7, kAclUndefinedId}));
  EXPECT_EQ(acl.entries()[1], (AclEntry{AclTag::group_obj, 5, kAclUndefinedId}));
  EXPECT_EQ(acl.entries()[2], (AclEntry{AclTag::other, 4, kAclUndefinedId}));
  EXPECT_TRUE(acl.is_minimal());
  EXPECT_EQ(acl.mode_bits(), 0754U);
  EXPECT_EQ(acl.to_short_text(), "user::rwx,group::r-x,other::r--");
  EXPECT_EQ(Acl::from_mode(04754).mode_bits(), 0754U) << "special bits are not ACL entries";
  EXPECT_EQ(Acl::from_mode(S_IFDIR | 0700).mode_bits(), 0700U);
}

TEST(AclCodec, SetKeepsTheKernelsCanonicalOrder) {
  Acl acl;
  acl.set(AclTag::other, kAclUndefinedId, 1);
  acl.set(AclTag::group, 1000, 7);
  acl.set(AclTag::user, 2000, 6);
  acl.set(AclTag::mask, kAclUndefinedId, 7);
  acl.set(AclTag::user, 5, 4);
  acl.set(AclTag::group_obj, kAclUndefinedId, 5);
  acl.set(AclTag::user_obj, kAclUndefinedId, 7);
  acl.set(AclTag::group, 3, 1);
  acl.set(AclTag::user, 100000, 2);
  const std::vector<AclEntry> expected{
      {AclTag::user_obj, 7, kAclUndefinedId},
      {AclTag::user, 4, 5},
      {AclTag::user, 6, 2000},
      {AclTag::user, 2, 100000},
      {AclTag::group_obj, 5, kAclUndefinedId},
      {AclTag::group, 1, 3},
      {AclTag::group, 7, 1000},
      {AclTag::mask, 7, kAclUndefinedId},
      {AclTag::other, 1, kAclUndefinedId},
  };
  EXPECT_EQ(acl.entries(), expected);
  EXPECT_FALSE(acl.is_minimal());
}

TEST(AclCodec, SetReplacesAnEntryAndIgnoresIdsOfUnnamedTags) {
  Acl acl = Acl::from_mode(0640);
  acl.set(AclTag::user, 5, 6);
  acl.set(AclTag::user, 5, 5);
  acl.set(AclTag::user_obj, 42, 4);  // the id of user:: means nothing
  ASSERT_EQ(acl.entries().size(), 4U);
  EXPECT_EQ(acl.get(AclTag::user, 5), std::optional<std::uint16_t>(5));
  EXPECT_EQ(acl.get(AclTag::user_obj), std::optional<std::uint16_t>(4));
  EXPECT_EQ(acl.entries()[0].id, kAclUndefinedId);
  EXPECT_EQ(acl.get(AclTag::user, 6), std::nullopt);
  EXPECT_EQ(acl.get(AclTag::group, 5), std::nullopt);
  EXPECT_EQ(acl.get(AclTag::mask), std::nullopt);
}

TEST(AclCodec, RecalculateMaskIsTheUnionOfTheGroupClass) {
  Acl minimal = Acl::from_mode(0750);
  minimal.recalculate_mask();
  EXPECT_EQ(minimal.get(AclTag::mask), std::nullopt) << "a minimal ACL needs no mask";
  EXPECT_EQ(minimal, Acl::from_mode(0750));

  // user:: (7) and other:: (1) are not in the group class; group:: 4 | user:5 2 | group:3 0 = 6.
  Acl named = Acl::from_mode(0741);
  named.set(AclTag::user, 5, 2);
  named.set(AclTag::group, 3, 0);
  named.recalculate_mask();
  EXPECT_EQ(named.get(AclTag::mask), std::optional<std::uint16_t>(6));
  EXPECT_EQ(named.mode_bits(), 0761U) << "the group bits of the mode show the mask";
  EXPECT_EQ(named.entries().back().tag, AclTag::other) << "the mask goes before other::";

  Acl stale_mask = Acl::from_mode(0750);
  stale_mask.set(AclTag::mask, kAclUndefinedId, 7);
  stale_mask.recalculate_mask();
  EXPECT_EQ(stale_mask.get(AclTag::mask), std::optional<std::uint16_t>(5));
}

TEST(AclCodec, ModeBitsUseTheMaskWhenThereIsOne) {
  Acl acl = Acl::from_mode(0670);
  acl.set(AclTag::mask, kAclUndefinedId, 5);
  EXPECT_EQ(acl.mode_bits(), 0650U);
  EXPECT_EQ(Acl().mode_bits(), 0U);
}

TEST(AclCodec, EncodesTheKernelXattrLayout) {
  // Little endian: u32 version 2, then per entry u16 tag, u16 perm, u32 id.
  const std::string expected = bytes({2,    0, 0, 0,                            //
                                      0x01, 0, 6, 0, 0xff, 0xff, 0xff, 0xff,    // user::rw-
                                      0x04, 0, 4, 0, 0xff, 0xff, 0xff, 0xff,    // group::r--
                                      0x20, 0, 0, 0, 0xff, 0xff, 0xff, 0xff});  // other::---
  EXPECT_EQ(Acl::from_mode(0640).encode(), expected);

  Acl named = Acl::from_mode(0640);
  named.set(AclTag::user, 0x01020304, 7);
  const std::string encoded = named.encode();
  ASSERT_EQ(encoded.size(), 4U + 4U * 8U);
  EXPECT_EQ(encoded.substr(12, 8), bytes({0x02, 0, 7, 0, 0x04, 0x03, 0x02, 0x01}));
}

TEST(AclCodec, DecodeInvertsEncode) {
  for (const Acl& acl : {Acl::from_mode(0), Acl::from_mode(0777), sample_acl()}) {
    auto decoded = Acl::decode(acl.encode());
    ASSERT_TRUE(decoded.has_value()) << acl.to_short_text();
    EXPECT_EQ(*decoded, acl) << acl.to_short_text();
    EXPECT_EQ(decoded->to_short_text(), acl.to_short_text());
  }
  Acl many = Acl::from_mode(0750);
  for (std::uint32_t id = 1000; id < 1100; ++id) {
    many.set(AclTag::group, id, static_cast<std::uint16_t>(id % 8));
  }
  many.recalculate_mask();
  auto decoded = Acl::decode(many.encode());
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, many);
}

TEST(AclCodec, DecodeRejectsGarbage) {
  const std::string good = Acl::from_mode(0640).encode();
  std::string bad_version = good;
  bad_version[0] = 1;
  std::string bad_tag = good;
  bad_tag[4] = 0x40;
  std::string zero_tag = good;
  zero_tag[4] = 0;
  std::string high_tag_byte = good;
  high_tag_byte[5] = 1;
  const std::vector<std::string> garbage{
      "",       bytes({2, 0, 0}), good.substr(0, good.size() - 1), good + "x", bad_version, bad_tag,
      zero_tag, high_tag_byte,    "hello, world! no ACL here",
  };
  for (const auto& value : garbage) {
    auto decoded = Acl::decode(value);
    ASSERT_FALSE(decoded.has_value()) << "accepted " << value.size() << " bytes";
    EXPECT_EQ(decoded.error().code, EINVAL);
  }
}

TEST(AclCodec, ShortTextNamesNumericIds) {
  EXPECT_EQ(sample_acl().to_short_text(), "user::rw-,user:5:-w-,group::r--,group:3:---,mask::rw-,other::--x");
}

TEST(AclCodec, XattrNames) {
  EXPECT_STREQ(acl_xattr_name(AclKind::access), "system.posix_acl_access");
  EXPECT_STREQ(acl_xattr_name(AclKind::default_), "system.posix_acl_default");
}

// ---- against the kernel (skipped where /tmp stores no POSIX ACLs) ---------------------------

// The entries `getfacl -n` prints (comments and "#effective:" notes removed).
std::set<std::string> getfacl_entries(const std::string& path) {
  auto run = run_program({"getfacl", "-n", "-p", path});
  if (!run) {
    throw std::runtime_error(run.error().message());
  }
  if (run->exit_code != 0) {
    throw std::runtime_error("getfacl failed: " + run->err);
  }
  std::set<std::string> entries;
  std::istringstream lines(run->out);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line.front() == '#') {
      continue;
    }
    entries.insert(line.substr(0, line.find_first_of(" \t#")));
  }
  return entries;
}

class AclKernel : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = open_dir(tmp_.path());
    ASSERT_TRUE(dir.has_value());
    dir_ = std::move(*dir);
    auto supported = probe_acl_support(dir_.get(), tmp_.path());
    ASSERT_TRUE(supported.has_value()) << supported.error().message();
    if (!*supported) {
      GTEST_SKIP() << "the file system of /tmp does not store POSIX ACLs";
    }
    write_text(tmp_.sub("file"), "", 0640);
    ASSERT_EQ(::chmod(tmp_.sub("file").c_str(), 0640), 0);
    make_dir(tmp_.sub("dir"), 0750);
    ASSERT_EQ(::chmod(tmp_.sub("dir").c_str(), 0750), 0);
  }
  void require_getfacl() {
    if (find_program("getfacl").empty() || find_program("setfacl").empty()) {
      GTEST_SKIP() << "getfacl/setfacl (package acl) not installed";
    }
  }
  TempDir tmp_;
  UniqueFd dir_;
};

TEST_F(AclKernel, ProbeLeavesNothingBehind) {
  auto names = test::list_names(dir_.get());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"dir", "file"})) << "probe_acl_support left its scratch directory";
}

TEST_F(AclKernel, NoStoredAclIsNullopt) {
  auto access = get_acl_at(dir_.get(), "file", AclKind::access, tmp_.sub("file"));
  ASSERT_TRUE(access.has_value()) << access.error().message();
  EXPECT_FALSE(access->has_value());
  auto def = get_acl_at(dir_.get(), "dir", AclKind::default_, tmp_.sub("dir"));
  ASSERT_TRUE(def.has_value()) << def.error().message();
  EXPECT_FALSE(def->has_value());
}

TEST_F(AclKernel, SetAccessAclIsWhatGetfaclShows) {
  require_getfacl();
  Acl acl = Acl::from_mode(0640);
  acl.set(AclTag::user, 12345, 6);
  acl.set(AclTag::group, 54321, 4);
  acl.recalculate_mask();
  auto set = set_acl_at(dir_.get(), "file", AclKind::access, acl, tmp_.sub("file"));
  ASSERT_TRUE(set.has_value()) << set.error().message();
  EXPECT_EQ(getfacl_entries(tmp_.sub("file")), (std::set<std::string>{"user::rw-", "user:12345:rw-", "group::r--",
                                                                      "group:54321:r--", "mask::rw-", "other::---"}));
  EXPECT_EQ(lstat_or_throw(tmp_.sub("file")).st_mode & 07777, acl.mode_bits());

  auto got = get_acl_at(dir_.get(), "file", AclKind::access, tmp_.sub("file"));
  ASSERT_TRUE(got.has_value() && got->has_value());
  EXPECT_EQ(**got, acl);
}

TEST_F(AclKernel, SetDefaultAclOnADirectory) {
  require_getfacl();
  Acl acl = Acl::from_mode(0770);
  acl.set(AclTag::group, 54321, 7);
  acl.recalculate_mask();
  auto set = set_acl_at(dir_.get(), "dir", AclKind::default_, acl, tmp_.sub("dir"));
  ASSERT_TRUE(set.has_value()) << set.error().message();
  const auto entries = getfacl_entries(tmp_.sub("dir"));
  for (const char* e : {"default:user::rwx", "default:group::rwx", "default:group:54321:rwx", "default:mask::rwx",
                        "default:other::---", "user::rwx", "group::r-x", "other::---"}) {
    EXPECT_EQ(entries.count(e), 1U) << e;
  }
  auto got = get_acl_at(dir_.get(), "dir", AclKind::default_, tmp_.sub("dir"));
  ASSERT_TRUE(got.has_value() && got->has_value());
  EXPECT_EQ(**got, acl);
  auto access = get_acl_at(dir_.get(), "dir", AclKind::access, tmp_.sub("dir"));
  ASSERT_TRUE(access.has_value());
  EXPECT_FALSE(access->has_value()) << "a default ACL is not an access ACL";
  EXPECT_EQ(lstat_or_throw(tmp_.sub("dir")).st_mode & 07777, 0750U) << "a default ACL does not change the mode";
}

TEST_F(AclKernel, DecodesWhatSetfaclWrote) {
  require_getfacl();
  ASSERT_EQ(::chmod(tmp_.sub("file").c_str(), 0644), 0);
  auto run = run_program({"setfacl", "-m", "u:1234:rw,g:5678:r-x", tmp_.sub("file")});
  ASSERT_TRUE(run.has_value()) << run.error().message();
  ASSERT_EQ(run->exit_code, 0) << run->err;
  Acl expected = Acl::from_mode(0644);
  expected.set(AclTag::user, 1234, 6);
  expected.set(AclTag::group, 5678, 5);
  expected.recalculate_mask();
  auto got = get_acl_at(dir_.get(), "file", AclKind::access, tmp_.sub("file"));
  ASSERT_TRUE(got.has_value() && got->has_value()) << (got ? "no ACL" : got.error().message());
  EXPECT_EQ(**got, expected) << (*got)->to_short_text();

  auto raw = get_xattr_at(dir_.get(), "file", acl_xattr_name(AclKind::access), tmp_.sub("file"));
  ASSERT_TRUE(raw.has_value() && raw->has_value());
  EXPECT_EQ((*got)->encode(), **raw) << "re-encoding the kernel's value gives the same bytes";
}

TEST_F(AclKernel, AMinimalAccessAclIsJustTheMode) {
  auto set = set_acl_at(dir_.get(), "file", AclKind::access, Acl::from_mode(0604), tmp_.sub("file"));
  ASSERT_TRUE(set.has_value()) << set.error().message();
  EXPECT_EQ(lstat_or_throw(tmp_.sub("file")).st_mode & 07777, 0604U);
  auto got = get_acl_at(dir_.get(), "file", AclKind::access, tmp_.sub("file"));
  ASSERT_TRUE(got.has_value());
  EXPECT_FALSE(got->has_value()) << "the kernel stores no ACL that the mode already says";
}

TEST_F(AclKernel, EmptyNameMeansTheFdItself) {
  auto sub = open_dir(tmp_.sub("dir"));
  ASSERT_TRUE(sub.has_value());
  const Acl acl = sample_acl();
  ASSERT_TRUE(set_acl_at(sub->get(), "", AclKind::default_, acl, tmp_.sub("dir")).has_value());
  auto got = get_acl_at(dir_.get(), "dir", AclKind::default_, tmp_.sub("dir"));
  ASSERT_TRUE(got.has_value() && got->has_value());
  EXPECT_EQ(**got, acl);
  auto again = get_acl_at(sub->get(), "", AclKind::default_, tmp_.sub("dir"));
  ASSERT_TRUE(again.has_value() && again->has_value());
  EXPECT_EQ(**again, acl);
}

TEST_F(AclKernel, SettingOnASymlinkNameNeverChangesTheTarget) {
  make_symlink(tmp_.sub("file"), tmp_.sub("file_link"));
  make_symlink("dir", tmp_.sub("dir_link"));
  const Acl acl = sample_acl();
  auto on_file_link = set_acl_at(dir_.get(), "file_link", AclKind::access, acl, tmp_.sub("file_link"));
  auto on_dir_link = set_acl_at(dir_.get(), "dir_link", AclKind::default_, acl, tmp_.sub("dir_link"));
  EXPECT_FALSE(on_file_link.has_value()) << "a symlink has no ACL of its own";
  EXPECT_FALSE(on_dir_link.has_value()) << "a symlink has no ACL of its own";

  auto file_acl = get_acl_at(dir_.get(), "file", AclKind::access, tmp_.sub("file"));
  ASSERT_TRUE(file_acl.has_value());
  EXPECT_FALSE(file_acl->has_value()) << "the target file got an ACL through the symlink";
  auto dir_acl = get_acl_at(dir_.get(), "dir", AclKind::default_, tmp_.sub("dir"));
  ASSERT_TRUE(dir_acl.has_value());
  EXPECT_FALSE(dir_acl->has_value()) << "the target dir got a default ACL through the symlink";
  EXPECT_EQ(lstat_or_throw(tmp_.sub("file")).st_mode & 07777, 0640U);
  EXPECT_EQ(lstat_or_throw(tmp_.sub("dir")).st_mode & 07777, 0750U);

  auto link_acl = get_acl_at(dir_.get(), "file_link", AclKind::access, tmp_.sub("file_link"));
  ASSERT_TRUE(link_acl.has_value()) << link_acl.error().message();
  EXPECT_FALSE(link_acl->has_value()) << "reading through the symlink";
}

TEST_F(AclKernel, ReportsAMissingEntry) {
  auto set = set_acl_at(dir_.get(), "missing", AclKind::access, sample_acl(), tmp_.sub("missing"));
  ASSERT_FALSE(set.has_value());
  EXPECT_EQ(set.error().code, ENOENT);
  EXPECT_EQ(set.error().path, tmp_.sub("missing"));
  auto get = get_acl_at(dir_.get(), "missing", AclKind::access, tmp_.sub("missing"));
  ASSERT_FALSE(get.has_value());
  EXPECT_EQ(get.error().code, ENOENT);
}

// ---- Linux < 6.13 (no getxattrat/setxattrat): the same checks through the fallback ----------

void expect_on_old_kernel(const std::function<std::string()>& body) {
  const auto outcome = test::run_in_child([&]() -> std::string {
    if (std::string why = test::pretend_old_kernel(); !why.empty()) {
      return why;
    }
    return body();
  });
  if (outcome.skipped()) {
    GTEST_SKIP() << outcome.message;
  }
  EXPECT_TRUE(outcome.ok()) << outcome.message;
}

TEST_F(AclKernel, OnOlderKernelsByNameNeverFollowsASymlink) {
  make_symlink(tmp_.sub("file"), tmp_.sub("file_link"));
  const int dirfd = dir_.get();
  expect_on_old_kernel([&]() -> std::string {
    std::string problems;
    const Acl acl = sample_acl();
    if (auto set = set_acl_at(dirfd, "file", AclKind::access, acl, tmp_.sub("file")); !set) {
      problems += "set by name: " + set.error().message() + "\n";
    }
    auto got = get_acl_at(dirfd, "file", AclKind::access, tmp_.sub("file"));
    if (!got || !got->has_value() || **got != acl) {
      problems += "get by name did not return the ACL just set\n";
    }
    if (set_acl_at(dirfd, "file_link", AclKind::access, Acl::from_mode(0777), tmp_.sub("file_link"))) {
      problems += "set on a symlink name succeeded\n";
    }
    if ((lstat_or_throw(tmp_.sub("file")).st_mode & 07777) != acl.mode_bits()) {
      problems += "set on a symlink name changed its target\n";
    }
    return problems;
  });
}

// Regression: the fallback once used l*xattr on "/proc/self/fd/<N>" for the fd itself (see
// FsOnOlderKernels.XattrsOfTheFdItself): setting failed and get_acl_at said "no ACL".
TEST_F(AclKernel, OnOlderKernelsOfTheFdItself) {
  Acl existing = Acl::from_mode(0750);
  existing.set(AclTag::group, 4242, 7);
  existing.recalculate_mask();
  ASSERT_TRUE(set_acl_at(dir_.get(), "dir", AclKind::default_, existing, tmp_.sub("dir")).has_value());
  expect_on_old_kernel([&]() -> std::string {
    auto sub = open_dir(tmp_.sub("dir"));
    if (!sub) {
      return sub.error().message();
    }
    std::string problems;
    auto got = get_acl_at(sub->get(), "", AclKind::default_, tmp_.sub("dir"));
    if (!got) {
      problems += "get on the fd itself: " + got.error().message() + "\n";
    } else if (!got->has_value()) {
      problems += "get on the fd itself says there is no default ACL\n";
    } else if (**got != existing) {
      problems += "get on the fd itself returned " + (*got)->to_short_text() + "\n";
    }
    if (auto set = set_acl_at(sub->get(), "", AclKind::default_, sample_acl(), tmp_.sub("dir")); !set) {
      problems += "set on the fd itself: " + set.error().message() + "\n";
    }
    return problems;
  });
}

TEST(AclProbe, FailsWhenItCannotCreateItsScratchDirectory) {
  // Nobody, root included, can create a directory in a directory that was removed.
  TempDir tmp;
  make_dir(tmp.sub("gone"));
  auto dir = open_dir(tmp.sub("gone"));
  ASSERT_TRUE(dir.has_value());
  ASSERT_EQ(::rmdir(tmp.sub("gone").c_str()), 0);
  auto probe = probe_acl_support(dir->get(), tmp.sub("gone"));
  ASSERT_FALSE(probe.has_value());
  EXPECT_EQ(probe.error().code, ENOENT);
}

}  // namespace
}  // namespace aicactl::os
