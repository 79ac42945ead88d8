// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/setup/install.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <sstream>

#include "aicactl/core/plan/errors.hpp"
#include "aicactl/core/setup/merge.hpp"
#include "aicactl/os/atomic_file.hpp"
#include "aicactl/os/download.hpp"
#include "aicactl/os/fs.hpp"
#include "aicactl/os/process.hpp"
#include "aicactl/os/temp_dir.hpp"
#include "aicactl/os/text.hpp"
#include "aicactl/os/tree_ops.hpp"
#include "aicactl/os/walk.hpp"

namespace aicactl::core {
namespace {

constexpr std::size_t kSha256HexLength = 64;
constexpr mode_t kToolDir = 0755;
constexpr mode_t kToolBinary = 0755;
constexpr mode_t kConfigFile = 0644;
constexpr mode_t kPrivateFile = 0600;
constexpr std::size_t kOutputTail = 2000;
const char* const kStagedName = "download";

// What installers and tar see: nothing of the caller's CONDA_*, PYTHON*, LD_* or proxy settings
// leaks in, except that downloads by the installer itself are not ours to configure.
os::RunOptions clean_run(const std::string& tmpdir, mode_t umask) {
  os::RunOptions o;
  o.inherit = os::InheritEnv::no;
  o.env = {std::string("PATH=") + os::kSecurePath, "HOME=/root", "LANG=C.UTF-8", "LC_ALL=C.UTF-8"};
  if (!tmpdir.empty()) {
    o.env.push_back("TMPDIR=" + tmpdir);
  }
  o.umask = umask;
  return o;
}

std::string tail_of(const os::ProcessResult& r) {
  std::string text{os::trim(r.err.empty() ? r.out : r.err)};
  if (text.size() > kOutputTail) {
    text = "..." + text.substr(text.size() - kOutputTail);
  }
  return text;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// A root-owned directory nobody else can write, for staging: data_root/system when setup made
// it, else /var/tmp (sticky, and mkdtemp's 0700 directory is ours alone).
std::string staging_parent(const Config& config) {
  std::string system = config.under_root("system");
  auto info = os::lstat_path(system);
  if (info && *info && (*info)->is_dir() && (*info)->uid == 0 && ((*info)->perms() & 022U) == 0U) {
    return system;
  }
  return "/var/tmp";
}

std::string fetch_step(const std::string& source) {
  return is_url(source) ? "Download '" + source + "'" : "Copy '" + source + "'";
}

// The "Would ..." steps of a dry run for fetching and checking the source.
void add_dry_fetch_steps(InstallResult& res, const InstallRequest& request) {
  res.steps.push_back("Would " + lower(fetch_step(request.source).substr(0, 1)) + fetch_step(request.source).substr(1));
  res.steps.push_back(request.sha256.empty() ? "Would compute its SHA-256 (no --sha256 to check)"
                                             : "Would verify SHA-256 " + lower(request.sha256));
}

// Fetches the source into `name` below the staging dir and checks its digest.
std::string stage(const os::TempDir& tmp, const InstallRequest& request, std::vector<std::string>& steps) {
  const std::string staged = os::join_path(tmp.path(), kStagedName);
  if (is_url(request.source)) {
    os::UniqueFd fd(
        ::openat(tmp.fd(), kStagedName, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, kPrivateFile));
    if (!fd) {
      throw Error(os::OsError{errno, "create", staged});
    }
    auto size = os::download_to_fd(request.source, fd.get(), request.progress);
    if (!size) {
      std::string msg = size.error().message;
      if (size.error().no_library) {
        msg += " (downloads need libcurl: apt-get install libcurl4, or pass a local file)";
      }
      throw Error(ExitCode::failure, msg);
    }
    if (::fsync(fd.get()) != 0) {
      throw Error(os::OsError{errno, "write", staged});
    }
    steps.push_back("Downloaded '" + request.source + "' (" + std::to_string(*size) + " bytes)");
  } else {
    value_or_throw(os::copy_file_into(request.source, tmp.fd(), kStagedName, kPrivateFile, staged));
    steps.push_back("Copied '" + request.source + "'");
  }
  std::string digest = sha256_of_file(staged);
  verify_sha256("'" + request.source + "'", request.sha256, digest);
  steps.push_back(request.sha256.empty() ? "SHA-256 " + digest + " (not checked: no --sha256)"
                                         : "Verified SHA-256 " + digest);
  return digest;
}

// Opens (creating root-owned 0755 where missing) the directory `relative` below data_root,
// refusing symlinks on the way.
os::UniqueFd ensure_dirs(const Config& config, const std::string& relative, std::vector<std::string>& steps) {
  auto fd = os::open_dir(config.data_root);
  if (!fd) {
    throw Error(ExitCode::failure, fd.error().message() + "; run 'aicactl setup' first");
  }
  os::UniqueFd dir = std::move(*fd);
  std::string path = config.data_root;
  std::stringstream parts(relative);
  std::string part;
  while (std::getline(parts, part, '/')) {
    path = os::join_path(path, part);
    auto info = os::stat_at(dir.get(), part.c_str());
    if (!info && info.error().code != ENOENT) {
      throw Error(info.error());
    }
    if (!info) {
      value_or_throw(os::mkdir_at(dir.get(), part.c_str(), kToolDir, path));
      value_or_throw(os::chown_at(dir.get(), part.c_str(), 0, 0, path));
      value_or_throw(os::chmod_at(dir.get(), part.c_str(), kToolDir, path));
      steps.push_back("Created directory '" + path + "'");
    }
    dir = value_or_throw(os::open_dir_at(dir.get(), part.c_str(), path));
  }
  return dir;
}

std::string tool_version(const std::string& exe) {
  auto r = os::run_program_with({exe, "--version"}, clean_run("", 022));
  if (!r || r->exit_code != 0) {
    return "";
  }
  std::string v{os::trim(r->out.empty() ? r->err : r->out)};
  if (auto nl = v.find('\n'); nl != std::string::npos) {
    v.resize(nl);
  }
  return v.empty() ? "(no version)" : v;
}

// Removes `path` (a directory this run created) by fd, never following symlinks.
void remove_created(const std::string& path, std::vector<std::string>& notes) {
  auto parent = os::open_parent(path);
  if (!parent) {
    notes.push_back(parent.error().message() + ", ignoring");
    return;
  }
  if (auto r = os::remove_tree_at(parent->first.get(), parent->second.c_str(), path); !r) {
    notes.push_back(r.error().message() + ", ignoring");
  }
}

// The installed tree must be usable by everyone and changeable only by root: root owner where
// another owner crept in (not for hard-linked files), no group/other write, and read (and
// search/execute where the owner has it) for everyone. Symlinks are never touched or followed.
std::size_t make_world_readable(const std::string& root, std::vector<std::string>& notes) {
  std::size_t changed = 0;
  auto summary = os::walk_tree(root, os::WalkOptions{1}, [&](const os::WalkEntry& e) {
    const os::FileInfo& info = *e.info;
    if (!info.is_dir() && !info.is_regular()) {
      return;
    }
    const bool self = e.dirfd < 0 || e.depth == 0;
    const int dirfd = self ? e.fd : e.dirfd;
    const char* name = self ? "" : e.name;
    const std::string shown = e.depth == 0 ? root : e.path();
    if ((info.uid != 0 || info.gid != 0) && (info.is_dir() || info.nlink == 1)) {
      if (auto r = self ? os::chown_fd(e.fd, 0, 0, shown) : os::chown_at(dirfd, name, 0, 0, shown); !r) {
        notes.push_back(r.error().message());
      }
      ++changed;
    }
    if (!info.is_dir() && info.nlink > 1 && info.uid != 0) {
      notes.push_back("Left '" + shown + "' alone: a hard-linked file of another owner");
      return;
    }
    mode_t want = info.perms() & ~static_cast<mode_t>(S_IWGRP | S_IWOTH | S_ISUID | S_ISGID);
    if (info.is_dir()) {
      want = (info.perms() & ~static_cast<mode_t>(S_IWGRP | S_IWOTH)) | S_IRWXU | S_IRGRP | S_IXGRP | S_IROTH | S_IXOTH;
    } else {
      want |= S_IRUSR | S_IRGRP | S_IROTH;
      if ((info.perms() & S_IXUSR) != 0U) {
        want |= S_IXGRP | S_IXOTH;
      }
      if ((info.perms() & (S_ISUID | S_ISGID)) != 0U) {
        notes.push_back("Removed setuid/setgid bits from '" + shown + "'");
      }
    }
    if (want != info.perms()) {
      if (auto r = self ? os::chmod_fd(e.fd, want, shown) : os::chmod_at(dirfd, name, want, shown); !r) {
        notes.push_back(r.error().message());
      }
      ++changed;
    }
  });
  if (!summary) {
    notes.push_back(summary.error().message());
  } else {
    for (const auto& err : summary->errors) {
      notes.push_back(err.message());
    }
    for (const auto& m : summary->mounts_skipped) {
      notes.push_back("Not entering '" + m + "': another file system, ignoring");
    }
  }
  return changed;
}

// Opens the directory holding an extracted member ("uv" or "dir/uv") without following a
// symlink; nullopt when that directory is not a real one.
std::optional<std::pair<os::UniqueFd, std::string>> member_dir(int root, const std::string& path,
                                                               const std::string& shown) {
  const auto slash = path.find('/');
  if (slash == std::string::npos) {
    return std::pair{os::UniqueFd(::fcntl(root, F_DUPFD_CLOEXEC, 0)), path};
  }
  auto sub = os::open_dir_at(root, path.substr(0, slash).c_str(), shown);
  if (!sub) {
    return std::nullopt;
  }
  return std::pair{std::move(*sub), path.substr(slash + 1)};
}

std::string read_member(int root, const std::string& path, const std::string& root_path) {
  const std::string shown = os::join_path(root_path, path);
  auto dir = member_dir(root, path, shown);
  if (!dir) {
    throw Error(ExitCode::bad_data, "The archive's '" + path + "' is not below a real directory");
  }
  return value_or_throw(os::read_file_at(dir->first.get(), dir->second.c_str(), shown));
}

}  // namespace

std::string_view to_string(InstallOutcome outcome) {
  switch (outcome) {
    case InstallOutcome::already_installed: return "already_installed";
    case InstallOutcome::would_install: return "would_install";
    case InstallOutcome::installed: break;
  }
  return "installed";
}

bool is_url(std::string_view source) {
  const std::string s = lower(source.substr(0, 8));
  return s.starts_with("http://") || s.starts_with("https://");
}

std::string sha256_problem(std::string_view hex) {
  if (hex.size() != kSha256HexLength) {
    return "must be 64 hexadecimal digits (got " + std::to_string(hex.size()) + " characters)";
  }
  if (!std::all_of(hex.begin(), hex.end(), [](unsigned char c) { return std::isxdigit(c) != 0; })) {
    return "must be 64 hexadecimal digits (0-9, a-f)";
  }
  return "";
}

std::string sha256_of_file(const std::string& path) {
  auto r = os::run_program_with({"sha256sum", "--binary", "--", path}, clean_run("", 077));
  if (!r) {
    throw Error(r.error());
  }
  std::string out = lower(r->out.substr(0, kSha256HexLength));
  if (r->exit_code != 0 || !sha256_problem(out).empty()) {
    throw Error(ExitCode::failure, "Failed to compute the SHA-256 of '" + path + "': " + tail_of(*r));
  }
  return out;
}

void verify_sha256(const std::string& what, std::string_view expected, std::string_view actual) {
  if (!expected.empty() && lower(expected) != lower(actual)) {
    throw Error(ExitCode::bad_data, "SHA-256 mismatch for " + what + ": expected " + lower(expected) + ", got " +
                                        lower(actual) + "; nothing installed");
  }
}

std::vector<ArchiveMember> uv_member_candidates(std::string_view listing) {
  std::vector<ArchiveMember> out;
  std::istringstream lines{std::string(listing)};
  std::string listed;
  while (std::getline(lines, listed)) {
    std::string path = listed;
    while (path.starts_with("./")) {
      path.erase(0, 2);
    }
    if (path.empty() || path.front() == '/') {
      continue;
    }
    std::vector<std::string> parts;
    std::istringstream comps(path);
    std::string comp;
    bool bad = false;
    while (std::getline(comps, comp, '/')) {
      bad = bad || comp.empty() || comp == "." || comp == "..";
      parts.push_back(comp);
    }
    if (bad || path.back() == '/' || parts.empty() || parts.size() > 2) {
      continue;
    }
    if (parts.back() == "uv" || parts.back() == "uvx") {
      out.push_back(ArchiveMember{listed, path});
    }
  }
  return out;
}

UvBinaries choose_uv_binaries(const std::vector<ExtractedMember>& extracted) {
  UvBinaries b;
  for (const auto& m : extracted) {
    if (!m.regular) {
      continue;
    }
    const std::string base = m.path.substr(m.path.find_last_of('/') + 1);
    std::string& slot = base == "uv" ? b.uv : b.uvx;
    if (base != "uv" && base != "uvx") {
      continue;
    }
    if (!slot.empty() && slot != m.path) {
      throw Error(ExitCode::bad_data,
                  "The archive holds more than one '" + base + "' ('" + slot + "' and '" + m.path + "')");
    }
    slot = m.path;
  }
  if (b.uv.empty()) {
    throw Error(ExitCode::bad_data, "The archive holds no regular file 'uv' (at the top or one directory down)");
  }
  return b;
}

InstallResult install_conda(const Config& config, const InstallRequest& request) {
  InstallResult res;
  res.tool = "conda";
  res.target = config.under_root(config.conda_prefix);
  const std::string& prefix = res.target;
  const std::string conda = os::join_path(prefix, "bin/conda");
  const auto existing = value_or_throw(os::lstat_path(prefix));
  if (existing && !existing->is_dir()) {
    throw Error(ExitCode::failure, "'" + prefix + "' exists and is not a directory (a symlink?); refusing");
  }
  if (existing) {
    res.version = tool_version(conda);
    if (!res.version.empty() && request.force == Force::no) {
      res.outcome = InstallOutcome::already_installed;
      return res;
    }
    if (res.version.empty() && request.force == Force::no) {
      throw Error(ExitCode::failure, "'" + prefix + "' exists but '" + conda +
                                         " --version' fails; move it away, or pass --force to run the "
                                         "installer over it");
    }
  }
  const std::vector<std::string> mode_args =
      existing ? std::vector<std::string>{"-b", "-u", "-p", prefix} : std::vector<std::string>{"-b", "-p", prefix};
  const std::string pkgs = config.cache_path("conda");
  if (request.dry_run == DryRun::yes) {
    res.outcome = InstallOutcome::would_install;
    add_dry_fetch_steps(res, request);
    std::string cmd = "bash INSTALLER";
    for (const auto& a : mode_args) {
      cmd += " " + a;
    }
    res.steps.push_back("Would run '" + cmd + "' (umask 022, clean environment)");
    if (!pkgs.empty()) {
      res.steps.push_back("Would set pkgs_dirs to '" + pkgs + "' in '" + os::join_path(prefix, ".condarc") + "'");
    }
    res.steps.push_back("Would make '" + prefix + "' root-owned and world-readable");
    return res;
  }

  const auto slash = config.conda_prefix.find_last_of('/');
  if (slash != std::string::npos) {
    (void)ensure_dirs(config, config.conda_prefix.substr(0, slash), res.steps);
  }
  const os::TempDir tmp = value_or_throw(os::TempDir::create(staging_parent(config), "aicactl-install-"));
  res.sha256 = stage(tmp, request, res.steps);
  const std::string installer = os::join_path(tmp.path(), kStagedName);

  std::vector<std::string> argv{"bash", installer};
  argv.insert(argv.end(), mode_args.begin(), mode_args.end());
  auto run = value_or_throw(os::run_program_with(argv, clean_run(tmp.path(), 022)));
  const bool created = !existing;
  if (run.exit_code != 0) {
    if (created) {
      remove_created(prefix, res.notes);
    }
    throw Error(ExitCode::failure, "The conda installer failed (exit " + std::to_string(run.exit_code) + ")" +
                                       (created ? ", removed '" + prefix + "'" : "") + ": " + tail_of(run));
  }
  res.steps.push_back("Ran the installer into '" + prefix + "'");
  res.version = tool_version(conda);
  if (res.version.empty()) {
    if (created) {
      remove_created(prefix, res.notes);
    }
    throw Error(ExitCode::failure, "The installer succeeded but '" + conda + " --version' fails" +
                                       (created ? "; removed '" + prefix + "'" : ""));
  }
  if (!pkgs.empty()) {
    const std::string condarc = os::join_path(prefix, ".condarc");
    const auto current = value_or_throw(os::read_file(condarc));
    const std::string want =
        merge_setting(current.value_or(""), Setting{FileFormat::yaml_list, "", {"pkgs_dirs"}, pkgs},
                      "# Created by aicactl install: pkgs_dirs is the shared conda cache; other settings are kept.\n");
    if (current != want) {
      value_or_throw(os::write_file_atomically(condarc, want, kConfigFile, 0, 0));
      res.steps.push_back("Set pkgs_dirs to '" + pkgs + "' in '" + condarc + "'");
    }
  }
  if (const std::size_t n = make_world_readable(prefix, res.notes); n > 0) {
    res.steps.push_back("Made " + std::to_string(n) + " entries below '" + prefix + "' root-owned and world-readable");
  }
  res.outcome = InstallOutcome::installed;
  return res;
}

InstallResult install_uv(const Config& config, const InstallRequest& request) {
  InstallResult res;
  res.tool = "uv";
  const std::string bin_rel = config.uv_dir + "/bin";
  res.target = config.under_root(bin_rel);
  if (request.dry_run == DryRun::yes) {
    res.outcome = InstallOutcome::would_install;
    add_dry_fetch_steps(res, request);
    res.steps.push_back("Would unpack uv and uvx into '" + res.target + "' (root, 0755)");
    return res;
  }
  const os::TempDir tmp = value_or_throw(os::TempDir::create(staging_parent(config), "aicactl-install-"));
  res.sha256 = stage(tmp, request, res.steps);
  const std::string archive = os::join_path(tmp.path(), kStagedName);
  auto list = value_or_throw(os::run_program_with({"tar", "-tzf", archive}, clean_run(tmp.path(), 077)));
  if (list.exit_code != 0) {
    throw Error(ExitCode::bad_data, "'" + request.source + "' is not a readable .tar.gz archive: " + tail_of(list));
  }
  const auto candidates = uv_member_candidates(list.out);
  if (candidates.empty()) {
    throw Error(ExitCode::bad_data, "The archive holds no 'uv' (at the top or one directory down)");
  }
  const std::string out_dir = os::join_path(tmp.path(), "x");
  value_or_throw(os::mkdir_at(tmp.fd(), "x", 0700, out_dir));
  std::vector<std::string> argv{
      "tar", "--no-same-owner", "--no-same-permissions", "--no-wildcards", "-xzf", archive, "-C", out_dir, "--"};
  for (const auto& c : candidates) {
    argv.push_back(c.listed);
  }
  auto extract = value_or_throw(os::run_program_with(argv, clean_run(tmp.path(), 077)));
  if (extract.exit_code != 0) {
    throw Error(ExitCode::bad_data, "Failed to unpack '" + request.source + "': " + tail_of(extract));
  }
  const os::UniqueFd x = value_or_throw(os::open_dir_at(tmp.fd(), "x", out_dir));
  std::vector<ExtractedMember> extracted;
  for (const auto& c : candidates) {
    auto dir = member_dir(x.get(), c.path, out_dir);
    if (!dir) {
      continue;  // the directory is a symlink or missing: nothing usable there
    }
    auto info = os::stat_at(dir->first.get(), dir->second.c_str());
    extracted.push_back(ExtractedMember{c.path, info && info->is_regular()});
  }
  const UvBinaries chosen = choose_uv_binaries(extracted);

  const os::UniqueFd bin = ensure_dirs(config, bin_rel, res.steps);
  bool changed = false;
  for (const auto& [name, from] : {std::pair{"uv", chosen.uv}, std::pair{"uvx", chosen.uvx}}) {
    if (from.empty()) {
      res.notes.emplace_back("The archive holds no 'uvx'; only uv is installed");
      continue;
    }
    const std::string content = read_member(x.get(), from, out_dir);
    const std::string target = os::join_path(res.target, name);
    auto info = os::stat_at(bin.get(), name);
    if (info && info->is_regular() && info->uid == 0 && info->gid == 0 && info->perms() == kToolBinary) {
      if (auto current = os::read_file_at(bin.get(), name, target); current && *current == content) {
        continue;
      }
    }
    value_or_throw(os::write_file_atomically(target, content, kToolBinary, 0, 0));
    res.steps.push_back("Installed '" + target + "' (root, 0755)");
    changed = true;
  }
  res.version = tool_version(os::join_path(res.target, "uv"));
  if (res.version.empty()) {
    res.notes.push_back("'" + os::join_path(res.target, "uv") + " --version' fails");
  }
  res.outcome = changed ? InstallOutcome::installed : InstallOutcome::already_installed;
  return res;
}

}  // namespace aicactl::core
