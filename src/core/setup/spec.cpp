// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/setup/spec.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "aicactl/core/plan/errors.hpp"
#include "aicactl/core/setup/man_page.hpp"
#include "aicactl/core/setup/sudoers_template.hpp"
#include "aicactl/core/setup/unit_text.hpp"
#include "aicactl/core/setup/volume.hpp"
#include "aicactl/core/setup/watch_unit.hpp"
#include "aicactl/os/atomic_file.hpp"
#include "aicactl/os/fs.hpp"
#include "aicactl/os/process.hpp"
#include "aicactl/os/temp_dir.hpp"
#include "aicactl/os/tree_ops.hpp"
#include "aicactl/os/walk.hpp"

namespace aicactl::core {
namespace {

constexpr mode_t kPlainDir = 0755;
constexpr mode_t kSharedDir = 02775;
constexpr mode_t kDropDir = 03775;  // setgid + sticky: members share, only owners delete
constexpr mode_t kPlainFile = 0644;
constexpr mode_t kBinary = 0755;

const char* const kHeader = "# Managed by aicactl (aicactl setup); local edits are overwritten.\n";

std::string parent_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == 0 ? "/" : path.substr(0, slash);
}

void add_dir(std::vector<DirSpec>& dirs, DirSpec dir) {
  auto it = std::find_if(dirs.begin(), dirs.end(), [&](const DirSpec& d) { return d.path == dir.path; });
  if (it == dirs.end()) {
    dirs.push_back(std::move(dir));
  }
}

// Adds root-owned 0755 parents between data_root and `path` (exclusive) for a shared tree.
void add_parents(std::vector<DirSpec>& dirs, const std::string& data_root, const std::string& path) {
  std::vector<std::string> chain;
  for (std::string p = parent_of(path); p.size() > data_root.size(); p = parent_of(p)) {
    chain.push_back(p);
  }
  std::reverse(chain.begin(), chain.end());
  for (const auto& p : chain) {
    add_dir(dirs, DirSpec{p, "root", kPlainDir, ModePolicy::exact, false});
  }
}

std::string sh_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return out + "'";
}

// A word of a sudoers Cmnd: the characters sudoers gives a meaning (separators and wildcards)
// are escaped. Config paths are limited to letters, digits and . _ - + @ / already; this keeps
// the rule exact regardless, and visudo checks the result.
std::string sudoers_word(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (std::string_view("\\,:=()! \t*?[]").find(c) != std::string_view::npos) {
      out += '\\';
    }
    out += c;
  }
  return out;
}

// A word of a cron command line: run by /bin/sh, and cron turns an unescaped '%' into a newline.
std::string cron_word(const std::string& s) {
  const bool plain = std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
           std::string_view("/._-+@").find(c) != std::string_view::npos;
  });
  std::string out;
  for (char c : plain ? s : sh_quote(s)) {
    out += c == '%' ? std::string("\\%") : std::string(1, c);
  }
  return out;
}

std::string replace_all(std::string text, std::string_view from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

}  // namespace

// The sshd host keys in `dir` (ssh_host_*), with their modes.
std::vector<HostKey> read_host_keys(const std::string& dir) {
  std::vector<HostKey> keys;
  auto fd = os::open_dir(dir);
  if (!fd) {
    return keys;
  }
  (void)os::walk_tree(dir, os::WalkOptions{1}, [&](const os::WalkEntry& e) {
    const std::string name = e.name;
    if (e.depth != 1 || !e.info->is_regular() || !name.starts_with("ssh_host_")) {
      return;
    }
    if (auto text = os::read_file(os::join_path(dir, name)); text && text->has_value()) {
      keys.push_back(HostKey{name, **text, e.info->perms()});
    }
  });
  std::sort(keys.begin(), keys.end(), [](const HostKey& a, const HostKey& b) { return a.name < b.name; });
  return keys;
}

namespace {

// Where npm reads its global config, or why it could not say (then `problem` is set).
struct NpmAnswer {
  std::string path;
  std::string problem;
};

// Asks npm where it reads its global config. npm must not write logs or a cache anywhere
// while we ask (least of all into the shared npm cache its config points at): a private,
// throwaway cache and logs dir (one a killed run left behind goes first), no logs. The environment
// is the clean helper one, so an admin's NPM_CONFIG_CACHE (exported by our own profile script)
// cannot point it back at the shared cache; npm's own directory is appended to PATH for its
// `#!/usr/bin/env node`.
NpmAnswer ask_npm(const std::string& npm) {
  (void)os::remove_stale_temp_dirs("/tmp", "aicactl-npm-");
  auto scratch = os::TempDir::create("/tmp", "aicactl-npm-");
  const std::string where = scratch ? scratch->path() : std::string("/nonexistent");
  auto r = os::run_program({npm, "config", "get", "globalconfig"},
                           {std::string("PATH=") + os::kSecurePath + ":" + npm.substr(0, npm.rfind('/')),
                            "npm_config_cache=" + where, "npm_config_logs_dir=" + where, "npm_config_logs_max=0",
                            "npm_config_update_notifier=false", "npm_config_audit=false", "npm_config_fund=false"});
  const std::string asked = "'" + npm + " config get globalconfig'";
  if (!r) {
    return {"", asked + " could not run: " + r.error().message()};
  }
  if (r->exit_code != 0) {
    std::string why = r->err.substr(0, r->err.find('\n'));
    return {"", asked + " failed (exit status " + std::to_string(r->exit_code) + (why.empty() ? "" : ": " + why) + ")"};
  }
  std::string p = r->out;
  while (!p.empty() && (p.back() == '\n' || p.back() == '\r' || p.back() == ' ')) {
    p.pop_back();
  }
  if (p.empty() || p.front() != '/' || p.find('\n') != std::string::npos) {
    return {"", asked + " did not answer with an absolute path"};
  }
  return {p, ""};
}

// npm takes most of a second to start, which a healthy `recover` or a cron `doctor` should not
// pay each time: the answer is kept in the root-only lock dir, keyed by npm's identity (a
// failure is not kept: the next run asks again).
NpmAnswer npm_globalconfig(const std::string& npm, const std::string& lock_dir) {
  struct stat st {};
  if (::stat(npm.c_str(), &st) != 0) {
    return ask_npm(npm);
  }
  const std::string key = npm + ":" + std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) + ":" +
                          std::to_string(st.st_mtim.tv_sec) + "\n";
  const std::string cache = os::join_path(lock_dir, "npm-globalconfig");
  if (auto text = os::read_file(cache); text && text->has_value() && (*text)->starts_with(key)) {
    std::string value = (*text)->substr(key.size());
    if (!value.empty() && value.back() == '\n') {
      value.pop_back();
    }
    if (!value.empty()) {
      return {value, ""};
    }
  }
  NpmAnswer answer = ask_npm(npm);
  auto dir = os::lstat_path(lock_dir);
  if (answer.problem.empty() && ::geteuid() == 0 && dir && *dir && (*dir)->is_dir() && (*dir)->uid == 0 &&
      ((*dir)->perms() & 077U) == 0U) {
    (void)os::write_file_atomically(cache, key + answer.path + "\n", 0600, 0, 0);
  }
  return answer;
}

}  // namespace

HostFacts read_host_facts(const Config& config) {
  HostFacts facts;
  facts.etc_ssh_keys = read_host_keys("/etc/ssh");
  facts.saved_ssh_keys = read_host_keys(config.under_root(kSavedHostKeys));
  facts.have_visudo = !os::find_program("visudo").empty();
  if (auto stamp = os::read_file(config.under_root(kVolumeStampFile)); stamp && stamp->has_value()) {
    facts.volume_id = parse_volume_stamp(**stamp);
  }
  // npm from a NodeSource or Debian package is in /usr/bin; one from nodejs.org's tarball in
  // /usr/local/bin, accepted when only root can change it.
  if (auto npm = os::find_program_also_in("npm", "/usr/local/bin"); !npm.empty()) {
    auto answer = npm_globalconfig(npm, config.lock_dir);
    facts.npm_globalconfig = std::move(answer.path);
    facts.npm_problem = std::move(answer.problem);
  }
  auto exe = os::read_self_exe();
  if (!exe) {
    throw Error(exe.error());
  }
  facts.self_binary = std::move(*exe);
  return facts;
}

std::string render_profile_script(const Config& c) {
  std::string s = kHeader;
  s += "# Shared caches for every login user (see aicactl(8)).\n";
  const std::pair<const char*, std::string> vars[] = {
      {"HF_HOME", c.model_path("huggingface")},    {"TORCH_HOME", c.model_path("torch")},
      {"PIP_CACHE_DIR", c.cache_path("pip")},      {"UV_CACHE_DIR", c.cache_path("uv")},
      {"CONDA_PKGS_DIRS", c.cache_path("conda")},  {"NPM_CONFIG_CACHE", c.cache_path("npm")},
      {"YARN_CACHE_FOLDER", c.cache_path("yarn")},
  };
  for (const auto& [name, value] : vars) {
    if (!value.empty()) {
      s += std::string("export ") + name + "=" + sh_quote(value) + "\n";
    }
  }
  s += "# Per-user state never goes into the shared trees: tokens and compiled kernels stay in $HOME.\n"
       "if [ -n \"${HOME:-}\" ]; then\n"
       "  export HF_TOKEN_PATH=\"$HOME/.cache/huggingface/token\"\n"
       "  export TRITON_CACHE_DIR=\"$HOME/.triton/cache\"\n"
       "  export TORCH_EXTENSIONS_DIR=\"$HOME/.cache/torch_extensions\"\n"
       "fi\n";
  // Tools installed by `aicactl install`: tested at login, so the script does not change
  // when they are installed later.
  const std::string uv_bin = os::join_path(c.under_root(c.uv_dir), "bin");
  const std::string conda_sh = os::join_path(c.under_root(c.conda_prefix), "etc/profile.d/conda.sh");
  std::string tools = R"(# Shared tools (aicactl install uv|conda).
if [ -d @UV@ ]; then
  case ":${PATH:-}:" in
    *:@UV@:*) ;;
    *) PATH="${PATH:+$PATH:}"@UV@; export PATH ;;
  esac
fi
if [ -r @CONDA@ ]; then
  . @CONDA@
fi
)";
  tools = replace_all(tools, "@UV@", sh_quote(uv_bin));
  tools = replace_all(tools, "@CONDA@", sh_quote(conda_sh));
  s += tools;
  return s;
}

namespace {

// The pinned forms as argv.
std::vector<std::vector<std::string>> sudo_argvs(const Config& c) {
  const std::string bin = c.under_root(kInstalledBinary);
  std::vector<std::vector<std::string>> argvs{{bin, "cache", "clean", "--all"}};
  for (const auto& cache : c.caches) {
    if (!cache.relative.empty()) {
      argvs.push_back({bin, "cache", "clean", "--" + cache.name});
    }
  }
  // Other configured model trees have no flag of their own (`--all` covers them).
  for (const auto& [model, flag] : {std::pair{"huggingface", "--hf"}, std::pair{"torch", "--torch"}}) {
    if (!c.model_path(model).empty()) {
      argvs.push_back({bin, "cache", "clean", flag});
    }
  }
  argvs.push_back({bin, "disk", "check"});
  argvs.push_back({bin, "disk", "usage", "--mine"});
  argvs.push_back({bin, "docker", "enable", "--self"});
  // GPU sessions: the only forms with a wildcard; aicactl accepts after it only --mig PROFILE and
  // --ttl TTL (create) or one session id (delete), and only the caller's own sessions.
  argvs.push_back({bin, "session", "create", "--self"});
  argvs.push_back({bin, "session", "create", "--self", "*"});
  argvs.push_back({bin, "session", "delete", "--self", "*"});
  return argvs;
}

}  // namespace

std::vector<std::string> sudo_commands(const Config& c) {
  std::vector<std::string> lines;
  for (const auto& argv : sudo_argvs(c)) {
    std::string line;
    for (const auto& word : argv) {
      line += (line.empty() ? "" : " ") + word;
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

std::string render_sudoers(const Config& c) {
  std::string list;
  for (const auto& argv : sudo_argvs(c)) {
    std::string line;
    for (const auto& word : argv) {
      line += (line.empty() ? "" : " ") + (word == "*" ? word : sudoers_word(word));
    }
    list += (list.empty() ? "\\\n    " : ", \\\n    ") + line;
  }
  std::string text = replace_all(kSudoersTemplate, "@COMMANDS@", list);
  return replace_all(std::move(text), "@GROUP@", sudoers_word(c.group));
}

std::string render_cron(const Config& c) {
  const std::string bin = cron_word(c.under_root(kInstalledBinary));
  return std::string(kHeader) +
         "# aicactl's scheduled jobs (see aicactl(8)): give the group back files that tools create\n"
         "# without group access, and alert when a disk fills up (cron mails what a job prints).\n"
         "# cache repair is left out while cache watch runs, but for one complete pass an hour.\n"
         "SHELL=/bin/sh\n"
         "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"
         "*/15 * * * * root " +
         bin +
         " --quiet cache repair --unless-watched\n"
         "7 * * * * root " +
         bin + " --quiet disk check\n" +
         "# Daily: expiry notices once each, then expired accounts revoked and their sessions ended.\n"
         "23 6 * * * root " +
         bin + " --quiet user expire\n" +
         "# Every minute: expired GPU sessions ended, the session database reconciled with the engine.\n"
         "* * * * * root " +
         bin + " --quiet session reap\n";
}

std::string render_logrotate(const Config& c) {
  auto quoted_paths = [](std::initializer_list<std::string> paths) {
    std::string out;
    for (const auto& p : paths) {
      out += (out.empty() ? "\"" : " \"") + p + "\"";
    }
    return out;
  };
  const char* const options =
      " {\n"
      "\tmissingok\n"
      "\tnotifempty\n"
      "\tcompress\n"
      "\tdelaycompress\n";
  return std::string(kHeader) +
         "# aicactl's logs (see aicactl(8)). aicactl opens them for each run, so a rotated file needs no\n"
         "# signal. The copies on the data disk survive a re-image and keep a longer history.\n" +
         quoted_paths({c.log_file, c.disk.alert_log}) + options +
         "\tweekly\n"
         "\trotate 8\n"
         "}\n" +
         quoted_paths({c.under_root(kPersistentLog), c.under_root(kPersistentDiskLog)}) + options +
         "\tmonthly\n"
         "\trotate 24\n"
         "}\n";
}

bool has_persistent_log_dir(const Config& config) {
  const std::string log = config.under_root(kPersistentLog);
  const auto dir = os::lstat_path(log.substr(0, log.find_last_of('/')));
  return dir && *dir && (*dir)->is_dir() && (*dir)->uid == 0 && ((*dir)->perms() & 022U) == 0U;
}

std::string desired_content(const FileSpec& file, std::string_view current) {
  if (file.settings.size() == 1 && file.settings.front().format == FileFormat::whole) {
    return file.settings.front().value;  // the whole content (e.g. the 5 MB binary): one copy
  }
  std::string text(current);
  for (const auto& setting : file.settings) {
    text = merge_setting(text, setting,
                         "# Created by aicactl: it manages the cache setting here; other settings are kept.\n");
  }
  return text;
}

ServerSpec build_spec(const Config& c, const HostFacts& facts) {
  ServerSpec spec;
  spec.group = c.group;
  spec.data_root = c.data_root;
  spec.acl_mode = c.acl_mode;
  auto& dirs = spec.dirs;
  dirs.push_back(DirSpec{c.data_root, "root", kPlainDir, ModePolicy::strip_write, false});
  for (const char* sub : {"users", "cache", "models", "apps", "system", "system/bin", "system/config", "system/log"}) {
    // users: a btrfs subvolume where it can be (one snapshot per term, core/lifecycle/term)
    add_dir(dirs,
            DirSpec{c.under_root(sub), "root", kPlainDir, ModePolicy::exact, false, std::string_view(sub) == "users"});
  }
  for (const char* sub : {"dataset", "code"}) {
    add_dir(dirs, DirSpec{c.under_root(sub), c.group, kDropDir, ModePolicy::exact, true});
  }
  for (const auto& tree : c.shared_trees()) {
    add_parents(dirs, c.data_root, tree);
    add_dir(dirs, DirSpec{tree, c.group, kSharedDir, ModePolicy::exact, true});
  }

  auto add_file = [&](const std::string& path, const Setting& setting) {
    add_dir(dirs, DirSpec{parent_of(path), "root", kPlainDir, ModePolicy::create_only, false});
    spec.files.push_back(FileSpec{path, {setting}, kPlainFile});
    spec.files.back().keep_old = setting.format == FileFormat::whole;
  };
  // The volume stamp first, then its record on the root disk (see core/volume.hpp).
  if (!facts.volume_id.empty()) {
    const Setting stamp{FileFormat::whole, "", {}, render_volume_stamp(facts.volume_id)};
    spec.files.push_back(FileSpec{c.under_root(kVolumeStampFile), {stamp}, kPlainFile});
    add_file(c.volume_record, stamp);
  }
  add_file("/etc/profile.d/aicactl.sh", Setting{FileFormat::whole, "", {}, render_profile_script(c)});
  if (auto pip = c.cache_path("pip"); !pip.empty()) {
    add_file("/etc/pip.conf", Setting{FileFormat::ini, "global", {"cache-dir", "cache_dir"}, pip});
  }
  if (auto conda = c.cache_path("conda"); !conda.empty()) {
    add_file("/etc/conda/.condarc", Setting{FileFormat::yaml_list, "", {"pkgs_dirs"}, conda});
  }
  if (auto uv = c.cache_path("uv"); !uv.empty()) {
    add_file("/etc/uv/uv.toml", Setting{FileFormat::toml_top, "", {"cache-dir"}, uv});
  }
  if (auto npm = c.cache_path("npm"); !npm.empty() && !facts.npm_globalconfig.empty()) {
    add_file(facts.npm_globalconfig, Setting{FileFormat::keyvalue, "", {"cache"}, npm});
  } else if (!npm.empty() && !facts.npm_problem.empty()) {
    spec.problems.emplace_back("npm's global config", facts.npm_problem + ": its cache setting is not written");
  }
  add_file(std::string("/etc/systemd/system/") + kRecoverUnitName, Setting{FileFormat::whole, "", {}, kRecoverUnit});
  add_dir(dirs,
          DirSpec{"/etc/systemd/system/multi-user.target.wants", "root", kPlainDir, ModePolicy::create_only, false});
  spec.links.push_back(LinkSpec{std::string("/etc/systemd/system/multi-user.target.wants/") + kRecoverUnitName,
                                std::string("/etc/systemd/system/") + kRecoverUnitName});
  add_file(std::string("/etc/systemd/system/") + watch::kWatchUnitName,
           Setting{FileFormat::whole, "", {}, watch::kWatchUnit});
  spec.links.push_back(LinkSpec{std::string("/etc/systemd/system/multi-user.target.wants/") + watch::kWatchUnitName,
                                std::string("/etc/systemd/system/") + watch::kWatchUnitName});
  // sshd host keys: saved to /data once, then /data is the truth and /etc gets them back, so
  // users see no host-key warning after a re-image.
  add_dir(dirs, DirSpec{c.under_root("system/host"), "root", 0700, ModePolicy::exact, false});
  add_dir(dirs, DirSpec{c.under_root(kSavedHostKeys), "root", 0700, ModePolicy::exact, false});
  if (facts.saved_ssh_keys.empty()) {
    for (const auto& key : facts.etc_ssh_keys) {
      spec.files.push_back(FileSpec{os::join_path(c.under_root(kSavedHostKeys), key.name),
                                    {Setting{FileFormat::whole, "", {}, key.content}},
                                    key.mode});
    }
  } else if (!facts.etc_ssh_keys.empty() || os::lstat_path("/etc/ssh").value_or(std::nullopt)) {
    for (const auto& key : facts.saved_ssh_keys) {
      spec.files.push_back(
          FileSpec{"/etc/ssh/" + key.name, {Setting{FileFormat::whole, "", {}, key.content}}, key.mode});
    }
  }
  if (!facts.self_binary.empty()) {
    // One copy of the binary, not one per initializer_list: it is megabytes.
    FileSpec binary{c.under_root(kInstalledBinary), {}, kBinary};
    binary.settings.push_back(Setting{FileFormat::whole, "", {}, facts.self_binary});
    spec.files.push_back(std::move(binary));
  }
  add_file(kCronFile, Setting{FileFormat::whole, "", {}, render_cron(c)});
  add_file(kLogrotateFile, Setting{FileFormat::whole, "", {}, render_logrotate(c)});
  // The command on PATH is a link to the binary on /data, so it survives nothing by itself but
  // is restored by recover with the rest; a real file there (another install) is a conflict.
  add_dir(dirs, DirSpec{parent_of(kCommandLink), "root", kPlainDir, ModePolicy::create_only, false});
  spec.links.push_back(LinkSpec{kCommandLink, c.under_root(kInstalledBinary)});
  add_dir(dirs, DirSpec{parent_of(parent_of(kManPageFile)), "root", kPlainDir, ModePolicy::create_only, false});
  add_file(kManPageFile, Setting{FileFormat::whole, "", {}, kManPage});
  if (!facts.bash_completion.empty()) {
    add_file(kBashCompletionFile, Setting{FileFormat::whole, "", {}, facts.bash_completion});
  }
  // The sudo rule comes last: after the binary it names and the directories above it.
  if (facts.have_visudo) {
    add_dir(dirs, DirSpec{parent_of(kSudoersFile), "root", 0750, ModePolicy::create_only, false});
    spec.files.push_back(FileSpec{kSudoersFile,
                                  {Setting{FileFormat::whole, "", {}, render_sudoers(c)}},
                                  0440,
                                  0,
                                  0,
                                  FileCheck::sudoers,
                                  c.under_root(kInstalledBinary),
                                  true});
  } else {
    spec.notes.emplace_back(std::string("sudo is not installed (no visudo): '") + kSudoersFile +
                            "' is not installed, so the group cannot run cache clean or disk check through sudo");
  }
  // Parents of /etc files may sit below other missing dirs (/usr/etc); keep parents first.
  std::stable_sort(dirs.begin(), dirs.end(), [](const DirSpec& a, const DirSpec& b) {
    return std::count(a.path.begin(), a.path.end(), '/') < std::count(b.path.begin(), b.path.end(), '/');
  });
  return spec;
}

}  // namespace aicactl::core
