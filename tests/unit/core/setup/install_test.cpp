// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/setup/install.hpp"

#include <gtest/gtest.h>

#include "aicactl/core/plan/errors.hpp"
#include "aicactl/core/setup/spec.hpp"
#include "aicactl/os/process.hpp"
#include "support/test_support.hpp"

namespace aicactl::core {
namespace {

int exit_code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return static_cast<int>(e.code());
  }
  return 0;
}

TEST(Install, UrlOrFile) {
  EXPECT_TRUE(is_url("https://github.com/astral-sh/uv/releases/download/x.tar.gz"));
  EXPECT_TRUE(is_url("HTTP://127.0.0.1:8000/i.sh"));
  EXPECT_FALSE(is_url("/root/Miniforge3.sh"));
  EXPECT_FALSE(is_url("file:///root/Miniforge3.sh"));
  EXPECT_FALSE(is_url("ftp://example.org/i.sh"));
  EXPECT_FALSE(is_url("http:/x"));
}

TEST(Install, Sha256Format) {
  EXPECT_EQ(sha256_problem(std::string(64, 'a')), "");
  EXPECT_EQ(sha256_problem("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"), "");
  EXPECT_NE(sha256_problem(std::string(63, 'a')), "");
  EXPECT_NE(sha256_problem(std::string(65, 'a')), "");
  EXPECT_NE(sha256_problem(std::string(64, 'g')), "");
  EXPECT_NE(sha256_problem(""), "");
}

TEST(Install, Sha256OfFileAndCheck) {
  const test::TempDir tmp;
  test::write_text(tmp.sub("f"), "abc");
  const std::string digest = sha256_of_file(tmp.sub("f"));
  EXPECT_EQ(digest, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(exit_code_of([&] {
              verify_sha256("f", "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD", digest);
            }),
            0);
  EXPECT_EQ(exit_code_of([&] { verify_sha256("f", "", digest); }), 0);
  EXPECT_EQ(exit_code_of([&] { verify_sha256("f", std::string(64, '0'), digest); }), 65);
  EXPECT_EQ(exit_code_of([&] { (void)sha256_of_file(tmp.sub("missing")); }), 1);
}

TEST(Install, UvMemberCandidates) {
  const auto c = uv_member_candidates(
      "uv-x86_64-unknown-linux-gnu/\n"
      "uv-x86_64-unknown-linux-gnu/uv\n"
      "uv-x86_64-unknown-linux-gnu/uvx\n"
      "uv-x86_64-unknown-linux-gnu/LICENSE\n"
      "./uv\n"
      "a/b/uv\n"
      "../uv\n"
      "x/../uv\n"
      "/abs/uv\n"
      "uv/\n"
      "uvy\n");
  ASSERT_EQ(c.size(), 3U);
  EXPECT_EQ(c[0].path, "uv-x86_64-unknown-linux-gnu/uv");
  EXPECT_EQ(c[1].path, "uv-x86_64-unknown-linux-gnu/uvx");
  EXPECT_EQ(c[2].listed, "./uv");
  EXPECT_EQ(c[2].path, "uv");
  EXPECT_TRUE(uv_member_candidates("").empty());
}

TEST(Install, ChooseUvBinaries) {
  const auto b = choose_uv_binaries({{"d/uv", true}, {"uv", false}, {"d/uvx", true}, {"uvx", false}});
  EXPECT_EQ(b.uv, "d/uv");
  EXPECT_EQ(b.uvx, "d/uvx");
  EXPECT_EQ(choose_uv_binaries({{"uv", true}}).uvx, "");
  // Only a symlink named uv: nothing to install.
  EXPECT_EQ(exit_code_of([] { (void)choose_uv_binaries({{"uv", false}, {"uvx", true}}); }), 65);
  EXPECT_EQ(exit_code_of([] { (void)choose_uv_binaries({}); }), 65);
  EXPECT_EQ(exit_code_of([] { (void)choose_uv_binaries({{"a/uv", true}, {"b/uv", true}}); }), 65);
}

TEST(Install, ProfileScriptFindsInstalledTools) {
  Config c = parse_config("[apps]\nconda_prefix = \"apps/conda\"\nuv_dir = \"tools/uv\"\n", "t");
  const std::string s = render_profile_script(c);
  EXPECT_NE(s.find("if [ -d '/data/tools/uv/bin' ]"), std::string::npos) << s;
  EXPECT_NE(s.find("PATH=\"${PATH:+$PATH:}\"'/data/tools/uv/bin'"), std::string::npos) << s;
  EXPECT_NE(s.find(". '/data/apps/conda/etc/profile.d/conda.sh'"), std::string::npos) << s;
  const test::TempDir tmp;
  test::write_text(tmp.sub("p.sh"), s);
  // The script must stay POSIX: dash (Debian's /bin/sh) parses it.
  auto r = os::run_program({"sh", "-n", tmp.sub("p.sh")});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->exit_code, 0) << r->err;
  // Sourcing twice adds the dir to PATH once, even with the dir present.
  test::make_dir(tmp.sub("bin"));
  c = parse_config("[layout]\ndata_root = \"" + tmp.path() + "\"\n[apps]\nuv_dir = \"x\"\n", "t");
  test::make_dir(tmp.sub("x"));
  test::make_dir(tmp.sub("x/bin"));
  test::write_text(tmp.sub("q.sh"), render_profile_script(c));
  r = os::run_program({"sh", "-c", ". " + tmp.sub("q.sh") + "; . " + tmp.sub("q.sh") + "; printf %s \"$PATH\""},
                      {"PATH=/usr/bin:/bin"});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->out, "/usr/bin:/bin:" + tmp.sub("x/bin"));
}

}  // namespace
}  // namespace aicactl::core
