// SPDX-License-Identifier: Apache-2.0
// `aicactl install conda|uv`: fetches an installer or a release archive (a local file, or a URL
// through libcurl), checks its SHA-256, and installs a shared, root-owned, world-readable copy
// below data_root (Config::conda_prefix, Config::uv_dir). Everything is staged in a root-only
// temporary directory that is removed afterwards. Errors are thrown as core::Error: a bad
// --sha256 is usage (64), a checksum mismatch or an unusable archive bad data (65), anything
// else a failure (1); nothing is left installed by a failed run.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "aicactl/core/plan/plan.hpp"
#include "aicactl/core/setup/config.hpp"
#include "aicactl/os/download.hpp"

namespace aicactl::core {

enum class Force { no, yes };

struct InstallRequest {
  std::string source;  // a local file or an http(s) URL
  std::string sha256;  // expected digest (any case), "" for none
  Force force = Force::no;
  DryRun dry_run = DryRun::no;
  os::DownloadProgress progress;  // called during a download (the CLI draws it on a TTY)
};

enum class InstallOutcome { installed, already_installed, would_install };

struct InstallResult {
  std::string tool;    // "conda" or "uv"
  std::string target;  // the prefix or the bin directory
  InstallOutcome outcome = InstallOutcome::installed;
  std::string version;             // what the installed tool says with --version
  std::string sha256;              // digest of what was fetched ("" when nothing was)
  std::vector<std::string> steps;  // what was done, or "Would ..." for a dry run
  std::vector<std::string> notes;  // warnings worth showing
};

[[nodiscard]] std::string_view to_string(InstallOutcome outcome);

// True for http:// and https:// sources (case-insensitive scheme); anything else is a file.
[[nodiscard]] bool is_url(std::string_view source);
// "" when `hex` is 64 hexadecimal digits (either case), else the problem.
[[nodiscard]] std::string sha256_problem(std::string_view hex);
// The SHA-256 of a file, in lower case, computed by coreutils' sha256sum.
[[nodiscard]] std::string sha256_of_file(const std::string& path);
// Throws bad_data unless `actual` equals `expected` ignoring case ("" expected: no check).
void verify_sha256(const std::string& what, std::string_view expected, std::string_view actual);

// A member of a uv release archive that may hold uv or uvx: "uv", "uvx", or the same one
// directory down ("uv-x86_64-unknown-linux-gnu/uv"). `listed` is the name as tar lists it,
// `path` the same without a leading "./".
struct ArchiveMember {
  std::string listed;
  std::string path;
};
// The members of an archive listing (`tar -t`, one per line) that may be uv or uvx; names with
// '..', absolute names and deeper names are never picked.
[[nodiscard]] std::vector<ArchiveMember> uv_member_candidates(std::string_view listing);

// An extracted candidate and whether it turned out to be a regular file (symlinks, dirs and
// devices are ignored).
struct ExtractedMember {
  std::string path;
  bool regular = false;
};
struct UvBinaries {
  std::string uv;   // path of uv in the extracted tree
  std::string uvx;  // "" when the archive has none
};
// Picks the one regular uv (required) and uvx; throws bad_data when uv is missing or either
// name is found twice.
[[nodiscard]] UvBinaries choose_uv_binaries(const std::vector<ExtractedMember>& extracted);

[[nodiscard]] InstallResult install_conda(const Config& config, const InstallRequest& request);
[[nodiscard]] InstallResult install_uv(const Config& config, const InstallRequest& request);

}  // namespace aicactl::core
