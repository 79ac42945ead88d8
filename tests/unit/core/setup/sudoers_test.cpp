// SPDX-License-Identifier: Apache-2.0
// The sudoers drop-in and the cron file: what they allow (exactly the pinned argv, nothing with a
// wildcard, nothing for a disabled cache), the visudo validation of the sudoers write (a broken
// rule is never installed, a previous file stays), and the trusted-binary chain setup requires.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "aicactl/core/plan/actions.hpp"
#include "aicactl/core/plan/plan.hpp"
#include "aicactl/core/setup/config.hpp"
#include "aicactl/core/setup/setup_plan.hpp"
#include "aicactl/core/setup/spec.hpp"
#include "aicactl/os/process.hpp"

namespace aicactl::core {
namespace {

bool has_line(const std::string& text, const std::string& line) {
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) {
    if (l == line) {
      return true;
    }
  }
  return false;
}

void disable(std::vector<NamedPath>& paths, const std::string& name) {
  for (auto& p : paths) {
    if (p.name == name) {
      p.relative.clear();
    }
  }
}

TEST(SudoCommands, DefaultConfigPinsEveryCacheFlagAndTheDiskCommands) {
  const auto commands = sudo_commands(default_config());
  const std::string bin = "/data/system/bin/aicactl";
  const std::vector<std::string> want = {
      bin + " cache clean --all",       bin + " cache clean --conda",     bin + " cache clean --pip",
      bin + " cache clean --uv",        bin + " cache clean --npm",       bin + " cache clean --yarn",
      bin + " cache clean --hf",        bin + " cache clean --torch",     bin + " disk check",
      bin + " disk usage --mine",       bin + " docker enable --self",    bin + " session create --self",
      bin + " session create --self *", bin + " session delete --self *",
  };
  EXPECT_EQ(commands, want);
}

TEST(SudoCommands, DisabledCachesAndUnflaggedModelsGetNoLine) {
  Config c = default_config();
  disable(c.caches, "pip");
  disable(c.models, "torch");
  c.models.push_back(NamedPath{"vllm", "models/vllm"});
  c.data_root = "/srv/gpu";
  const auto commands = sudo_commands(c);
  for (const auto& line : commands) {
    EXPECT_EQ(line.find("--pip"), std::string::npos) << line;
    EXPECT_EQ(line.find("--torch"), std::string::npos) << line;
    EXPECT_EQ(line.find("vllm"), std::string::npos) << line;
    EXPECT_EQ(line.rfind("/srv/gpu/system/bin/aicactl ", 0), 0U) << line;
  }
  EXPECT_NE(std::find(commands.begin(), commands.end(), "/srv/gpu/system/bin/aicactl cache clean --all"),
            commands.end());
  EXPECT_NE(std::find(commands.begin(), commands.end(), "/srv/gpu/system/bin/aicactl cache clean --hf"),
            commands.end());
}

TEST(RenderSudoers, OneCmndPerPinnedFormForTheGroupWithoutWildcards) {
  Config c = default_config();
  disable(c.caches, "yarn");
  const std::string text = render_sudoers(c);
  EXPECT_TRUE(has_line(text, "%gpu-users ALL=(root) NOPASSWD: AICACTL_CMDS")) << text;
  EXPECT_TRUE(has_line(text, "Cmnd_Alias AICACTL_CMDS = \\")) << text;
  EXPECT_TRUE(has_line(text, "    /data/system/bin/aicactl cache clean --all, \\")) << text;
  EXPECT_TRUE(has_line(text, "    /data/system/bin/aicactl cache clean --pip, \\")) << text;
  EXPECT_TRUE(has_line(text, "    /data/system/bin/aicactl disk check, \\")) << text;
  EXPECT_TRUE(has_line(text, "    /data/system/bin/aicactl disk usage --mine, \\")) << text;
  EXPECT_TRUE(has_line(text, "    /data/system/bin/aicactl docker enable --self, \\")) << text;
  EXPECT_TRUE(has_line(text, "    /data/system/bin/aicactl session create --self, \\")) << text;
  EXPECT_TRUE(has_line(text, "    /data/system/bin/aicactl session create --self *, \\")) << text;
  EXPECT_TRUE(has_line(text, "    /data/system/bin/aicactl session delete --self *")) << text;
  EXPECT_EQ(text.find("--yarn"), std::string::npos) << text;
  EXPECT_EQ(text.find("@"), std::string::npos) << "an unreplaced placeholder:\n" << text;
  // Outside comments: no wildcard, no second grant, no bare binary (which would allow any argv).
  std::istringstream in(text);
  int grants = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("#")) {
      continue;
    }
    // The session --self forms alone end in a wildcard (aicactl checks what follows it itself).
    const bool session_self = line.find(" session create --self *") != std::string::npos ||
                              line.find(" session delete --self *") != std::string::npos;
    EXPECT_EQ(line.find_first_of("*?["), session_self ? line.find('*') : std::string::npos) << line;
    EXPECT_FALSE(line.ends_with("aicactl") || line.ends_with("aicactl, \\")) << line;
    grants += line.find("NOPASSWD") != std::string::npos ? 1 : 0;
  }
  EXPECT_EQ(grants, 1);
  EXPECT_EQ(text.back(), '\n');
}

TEST(RenderSudoers, PassesVisudo) {
  const std::string visudo = os::find_program("visudo");
  if (visudo.empty()) {
    GTEST_SKIP() << "visudo is not installed";
  }
  char tmpl[] = "/tmp/aicactl-sudoers-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  std::ofstream(dir + "/rule") << render_sudoers(default_config());
  auto r = os::run_program({visudo, "-c", "-f", dir + "/rule"});
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->exit_code, 0) << r->out << r->err;
}

TEST(RenderCron, RootJobsThroughTheInstalledBinary) {
  const std::string text = render_cron(default_config());
  EXPECT_TRUE(has_line(text, "SHELL=/bin/sh")) << text;
  EXPECT_TRUE(has_line(text, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")) << text;
  EXPECT_TRUE(has_line(text, "*/15 * * * * root /data/system/bin/aicactl --quiet cache repair --unless-watched"))
      << text;
  EXPECT_TRUE(has_line(text, "7 * * * * root /data/system/bin/aicactl --quiet disk check")) << text;
  EXPECT_EQ(text.back(), '\n');  // cron ignores a last line without one
}

TEST(BuildSpec, SudoersAndCronFilesAreManaged) {
  HostFacts facts;
  facts.have_visudo = true;
  const ServerSpec spec = build_spec(default_config(), facts);
  auto sudoers = std::find_if(spec.files.begin(), spec.files.end(),
                              [](const FileSpec& f) { return f.path == "/etc/sudoers.d/aicactl"; });
  ASSERT_NE(sudoers, spec.files.end());
  EXPECT_EQ(sudoers->mode, 0440U);
  EXPECT_EQ(sudoers->uid, 0U);
  EXPECT_EQ(sudoers->check, FileCheck::sudoers);
  EXPECT_EQ(sudoers->trusted_path, "/data/system/bin/aicactl");
  auto cron = std::find_if(spec.files.begin(), spec.files.end(),
                           [](const FileSpec& f) { return f.path == "/etc/cron.d/aicactl"; });
  ASSERT_NE(cron, spec.files.end());
  EXPECT_EQ(cron->mode, 0644U);

  facts.have_visudo = false;
  const ServerSpec without = build_spec(default_config(), facts);
  EXPECT_TRUE(std::none_of(without.files.begin(), without.files.end(),
                           [](const FileSpec& f) { return f.path.starts_with("/etc/sudoers.d/"); }));
  ASSERT_EQ(without.notes.size(), 1U);
  EXPECT_NE(without.notes[0].find("visudo"), std::string::npos);
}

TEST(RenderLogrotate, BothLogsAndTheirCopiesOnData) {
  Config c = default_config();
  c.log_file = "/var/log/my aicactl.log";
  const std::string text = render_logrotate(c);
  EXPECT_TRUE(has_line(text, "\"/var/log/my aicactl.log\" \"/var/log/aicactl-disk.log\" {")) << text;
  EXPECT_TRUE(has_line(text, "\"/data/system/log/aicactl.log\" \"/data/system/log/aicactl-disk.log\" {")) << text;
  EXPECT_TRUE(has_line(text, "\tmissingok")) << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '{'), std::count(text.begin(), text.end(), '}'));
}

TEST(BuildSpec, DayOneFilesAndTheCommandLink) {
  HostFacts facts;
  facts.bash_completion = "complete -F _aicactl aicactl\n";
  const ServerSpec spec = build_spec(default_config(), facts);
  auto file = [&spec](const std::string& path) {
    return std::find_if(spec.files.begin(), spec.files.end(), [&](const FileSpec& f) { return f.path == path; });
  };
  for (const char* path : {kLogrotateFile, kManPageFile, kBashCompletionFile}) {
    ASSERT_NE(file(path), spec.files.end()) << path;
    EXPECT_EQ(file(path)->mode, 0644U) << path;
  }
  EXPECT_NE(desired_content(*file(kManPageFile), "").find(".TH \"AICACTL\""), std::string::npos);
  EXPECT_EQ(desired_content(*file(kBashCompletionFile), ""), facts.bash_completion);
  auto link =
      std::find_if(spec.links.begin(), spec.links.end(), [](const LinkSpec& l) { return l.path == kCommandLink; });
  ASSERT_NE(link, spec.links.end());
  EXPECT_EQ(link->target, "/data/system/bin/aicactl");

  facts.bash_completion.clear();  // no CLI (unit tests): no completion file
  const ServerSpec without = build_spec(default_config(), facts);
  EXPECT_TRUE(std::none_of(without.files.begin(), without.files.end(),
                           [](const FileSpec& f) { return f.path == kBashCompletionFile; }));
}

// A server whose chain to the binary is "/" -> "/data" -> "/data/system/bin" -> the binary.
struct TrustFixture {
  ServerSpec spec;
  ServerState state;
  TrustFixture() {
    spec.group = "root";
    spec.data_root = "/data";
    spec.dirs = {DirSpec{"/data", "root", 0755, ModePolicy::strip_write, false},
                 DirSpec{"/data/system", "root", 0755, ModePolicy::exact, false},
                 DirSpec{"/data/system/bin", "root", 0755, ModePolicy::exact, false}};
    spec.files = {FileSpec{"/data/system/bin/aicactl", {Setting{FileFormat::whole, "", {}, "bin"}}, 0755},
                  FileSpec{"/etc/sudoers.d/aicactl",
                           {Setting{FileFormat::whole, "", {}, "rule\n"}},
                           0440,
                           0,
                           0,
                           FileCheck::sudoers,
                           "/data/system/bin/aicactl"}};
    state.group_gid = 0;
    for (const char* d : {"/", "/data", "/data/system", "/data/system/bin"}) {
      set(d, S_IFDIR | 0755, 0);
    }
    set("/data/system/bin/aicactl", S_IFREG | 0755, 0);
    state.paths["/data/system/bin/aicactl"].content = "bin";
    state.paths["/etc/sudoers.d/aicactl"] = PathState{};
  }
  void set(const std::string& path, mode_t mode, uid_t uid) {
    os::FileInfo info;
    info.mode = mode;
    info.uid = uid;
    state.paths[path] = PathState{info, {}, {}, {}, "", ""};
  }
  [[nodiscard]] const PlanItem& sudoers_item(const Plan& plan) const {
    return *std::find_if(plan.items.begin(), plan.items.end(),
                         [](const PlanItem& i) { return i.check == "file '/etc/sudoers.d/aicactl'"; });
  }
};

TEST(TrustedBinary, SafeChainInstallsTheRule) {
  TrustFixture t;
  EXPECT_EQ(trust_problem(t.spec, t.state, "/data/system/bin/aicactl", TrustView::current), "");
  const Plan plan = plan_setup(t.spec, t.state);
  const auto& item = t.sudoers_item(plan);
  ASSERT_EQ(item.actions.size(), 1U);
  ASSERT_TRUE(std::holds_alternative<WriteFile>(item.actions[0]));
  EXPECT_EQ(std::get<WriteFile>(item.actions[0]).check, FileCheck::sudoers);
}

TEST(TrustedBinary, WhatSetupFixesDoesNotBlockTheRule) {
  TrustFixture t;
  t.set("/data/system/bin", S_IFDIR | 0775, 1000);  // setup chowns and chmods it (exact)
  t.set("/data", S_IFDIR | 0777, 0);                // setup strips the write bits
  t.state.paths.erase("/data/system/bin/aicactl");
  t.state.paths["/data/system/bin/aicactl"] = PathState{};  // setup copies the binary in
  EXPECT_NE(trust_problem(t.spec, t.state, "/data/system/bin/aicactl", TrustView::current), "");
  EXPECT_EQ(trust_problem(t.spec, t.state, "/data/system/bin/aicactl", TrustView::after_setup), "");
  const Plan plan = plan_setup(t.spec, t.state);
  const auto& item = t.sudoers_item(plan);
  ASSERT_EQ(item.actions.size(), 1U);
  EXPECT_TRUE(std::holds_alternative<WriteFile>(item.actions[0]));
}

TEST(TrustedBinary, AnUnmanagedWritableParentRefusesTheRule) {
  TrustFixture t;
  t.set("/", S_IFDIR | 0775, 0);
  const std::string why = trust_problem(t.spec, t.state, "/data/system/bin/aicactl", TrustView::after_setup);
  EXPECT_NE(why.find("'/' is writable by group/other"), std::string::npos) << why;
  const Plan plan = plan_setup(t.spec, t.state);
  const auto& item = t.sudoers_item(plan);
  ASSERT_EQ(item.actions.size(), 1U);
  ASSERT_TRUE(std::holds_alternative<Conflict>(item.actions[0]));
  EXPECT_NE(std::get<Conflict>(item.actions[0]).reason.find("refusing to install a sudo rule"), std::string::npos);
}

TEST(TrustedBinary, ASymlinkOrForeignOwnerInTheChainRefusesTheRule) {
  TrustFixture t;
  t.set("/data/system", S_IFLNK | 0777, 0);  // setup cannot fix a symlink
  EXPECT_NE(trust_problem(t.spec, t.state, "/data/system/bin/aicactl", TrustView::after_setup).find("symlink"),
            std::string::npos);
  TrustFixture u;
  u.spec.dirs.erase(u.spec.dirs.begin());  // /data not managed (data_root below it)
  u.set("/data", S_IFDIR | 0755, 1000);
  EXPECT_NE(
      trust_problem(u.spec, u.state, "/data/system/bin/aicactl", TrustView::after_setup).find("not owned by root"),
      std::string::npos);
}

// Applying the sudoers write for real on a temp dir (visudo -cf works without root).
class SudoersWrite : public ::testing::Test {
 protected:
  void SetUp() override {
    if (os::find_program("visudo").empty()) {
      GTEST_SKIP() << "visudo is not installed";
    }
    char tmpl[] = "/tmp/aicactl-sudoers-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    if (!dir_.empty()) {
      std::filesystem::remove_all(dir_);
    }
  }
  [[nodiscard]] WriteFile write(const std::string& content) const {
    return WriteFile{dir_ + "/aicactl", content, 0440, false, ::getuid(), ::getgid(), "", FileCheck::sudoers};
  }
  [[nodiscard]] std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir_)) {
      names.push_back(e.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }
  std::string dir_;
};

TEST_F(SudoersWrite, ABrokenRuleIsNeverInstalled) {
  auto r = apply(write("%gpu-users ALL=(root) NOPASSWD /bin/true\n"));  // missing ':'
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("visudo -cf"), std::string::npos) << r.error().message();
  EXPECT_TRUE(entries().empty()) << "left behind: " << entries().front();
}

TEST_F(SudoersWrite, ABrokenRuleLeavesThePreviousFile) {
  const std::string previous = "# the rule that works\n";
  std::ofstream(dir_ + "/aicactl") << previous;
  auto r = apply(write("Cmnd_Alias = oops\n"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(entries(), std::vector<std::string>{"aicactl"});
  std::ifstream in(dir_ + "/aicactl");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), previous);
}

TEST_F(SudoersWrite, AValidRuleIsInstalledWithItsMode) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "needs root (visudo -c reads the whole sudo policy)";
  }
  auto before = os::run_program({"visudo", "-c"});
  if (!before || before->exit_code != 0) {
    GTEST_SKIP() << "this host's sudo policy does not pass visudo -c by itself";
  }
  const std::string rule = render_sudoers(default_config());
  auto r = apply(write(rule));
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(entries(), std::vector<std::string>{"aicactl"});
  struct stat st {};
  ASSERT_EQ(::stat((dir_ + "/aicactl").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777U, 0440U);
  std::ifstream in(dir_ + "/aicactl");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), rule);
}

}  // namespace
}  // namespace aicactl::core
