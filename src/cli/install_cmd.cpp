// SPDX-License-Identifier: Apache-2.0
// aicactl install conda|uv: shared, root-owned tools below data_root.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "aicactl/cli/context.hpp"
#include "aicactl/core/plan/errors.hpp"
#include "aicactl/core/setup/install.hpp"
#include "aicactl/os/fs.hpp"

namespace aicactl::cli {
namespace {

struct InstallOptions {
  std::string source;
  std::string sha256;
  bool force = false;
};

void validate(const InstallOptions& o, const char* source_flag) {
  if (o.source.empty()) {
    throw core::Error(core::ExitCode::usage, std::string(source_flag) + " must not be empty");
  }
  if (!o.sha256.empty()) {
    if (auto why = core::sha256_problem(o.sha256); !why.empty()) {
      throw core::Error(core::ExitCode::usage, "--sha256 " + why);
    }
  }
}

// A one-line progress meter on stderr, redrawn at most a few times a second; only on a TTY.
class ProgressLine {
 public:
  explicit ProgressLine(const GlobalOptions& options) : enabled_(!options.quiet && ::isatty(STDERR_FILENO) == 1) {}
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;
  ~ProgressLine() { finish(); }

  os::DownloadProgress callback() {
    if (!enabled_) {
      return {};
    }
    return [this](std::uint64_t now, std::uint64_t total) { draw(now, total); };
  }
  void finish() {
    if (drawn_) {
      (void)std::fputc('\n', stderr);
      drawn_ = false;
    }
  }

 private:
  static constexpr double kMiB = 1024.0 * 1024.0;
  static constexpr auto kInterval = std::chrono::milliseconds(200);

  void draw(std::uint64_t now, std::uint64_t total) {
    const auto t = std::chrono::steady_clock::now();
    const bool done = total > 0 && now >= total;
    if (drawn_ && (now == last_bytes_ || (!done && t - last_ < kInterval))) {
      return;
    }
    last_ = t;
    last_bytes_ = now;
    if (total > 0) {
      (void)std::fprintf(stderr, "\raicactl: downloading: %.1f of %.1f MiB (%3u%%)", static_cast<double>(now) / kMiB,
                         static_cast<double>(total) / kMiB, static_cast<unsigned>(now * 100 / total));
    } else {
      (void)std::fprintf(stderr, "\raicactl: downloading: %.1f MiB", static_cast<double>(now) / kMiB);
    }
    (void)std::fflush(stderr);
    drawn_ = true;
  }

  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_{};
  std::uint64_t last_bytes_ = 0;
};

void render(const GlobalOptions& options, const std::string& command, const core::InstallResult& r) {
  for (const auto& n : r.notes) {
    spdlog::warn("{}", n);
  }
  for (const auto& s : r.steps) {
    spdlog::info("{}", s);
  }
  if (options.json) {
    std::cout << nlohmann::json{{"command", command},
                                {"dry_run", options.dry_run},
                                {"tool", r.tool},
                                {"target", r.target},
                                {"status", core::to_string(r.outcome)},
                                {"version", r.version},
                                {"sha256", r.sha256},
                                {"steps", r.steps},
                                {"notes", r.notes}}
                     .dump(2)
              << "\n";
    return;
  }
  switch (r.outcome) {
    case core::InstallOutcome::would_install:
      for (const auto& s : r.steps) {
        std::cout << s << "\n";
      }
      break;
    case core::InstallOutcome::already_installed:
      std::cout << r.tool << " is already installed in '" << r.target << "' (" << r.version << "); nothing to do\n";
      break;
    case core::InstallOutcome::installed:
      for (const auto& s : r.steps) {
        std::cout << s << "\n";
      }
      std::cout << "Installed " << r.tool << " in '" << r.target << "'"
                << (r.version.empty() ? std::string() : " (" + r.version + ")") << "\n";
      break;
  }
}

// The login script is static but must know the tool's place: older setups lack those lines.
void check_login_script(const std::string& needle) {
  auto text = os::read_file("/etc/profile.d/aicactl.sh");
  if (!text || !text->has_value() || (*text)->find(needle) == std::string::npos) {
    spdlog::warn("'/etc/profile.d/aicactl.sh' does not mention '{}': run 'aicactl setup' so login shells find it",
                 needle);
  }
}

int run_install(const GlobalOptions& options, const InstallOptions& o, const std::string& tool) {
  const std::string command = "install " + tool;
  validate(o, tool == "conda" ? "--installer" : "--archive");
  require_root(options, command);
  const core::Config config = load_data_config(options, command);
  const auto lock = begin_mutation(options, config, command);
  ProgressLine progress(options);
  const core::InstallRequest request{o.source, o.sha256, o.force ? core::Force::yes : core::Force::no, options.dry(),
                                     progress.callback()};
  core::InstallResult result;
  try {
    result = tool == "conda" ? core::install_conda(config, request) : core::install_uv(config, request);
  } catch (...) {
    progress.finish();
    throw;
  }
  progress.finish();
  render(options, command, result);
  if (result.outcome != core::InstallOutcome::would_install) {
    spdlog::info("{}: {} in '{}'", command, core::to_string(result.outcome), result.target);
    check_login_script(tool == "conda" ? config.under_root(config.conda_prefix) : result.target);
  }
  return static_cast<int>(core::ExitCode::ok);
}

}  // namespace

void register_install(Registrar& r) {
  auto* install = r.app.add_subcommand("install", "Install shared tools (conda, uv) below the data root");
  install->require_subcommand(1);
  install->fallthrough();

  auto conda_options = std::make_shared<InstallOptions>();
  auto* conda = install->add_subcommand("conda",
                                        "Run a Miniconda/Miniforge installer in batch mode into the "
                                        "shared conda prefix (apps.conda_prefix)");
  conda->fallthrough();
  conda->add_option("--installer", conda_options->source, "The installer: a local file or an http(s) URL")->required();
  conda->add_option("--sha256", conda_options->sha256, "Expected SHA-256 of the installer (64 hex digits)");
  conda->add_flag("--force", conda_options->force,
                  "Run the installer (with -u) over an existing prefix, healthy or not");
  conda->callback([&r, conda_options] {
    r.set_handler([&o = r.options, conda_options] { return run_install(o, *conda_options, "conda"); });
  });

  auto uv_options = std::make_shared<InstallOptions>();
  auto* uv = install->add_subcommand("uv", "Unpack uv and uvx from a release archive into apps.uv_dir/bin");
  uv->fallthrough();
  uv->add_option("--archive", uv_options->source, "The uv release .tar.gz: a local file or an http(s) URL")->required();
  uv->add_option("--sha256", uv_options->sha256, "Expected SHA-256 of the archive (64 hex digits)");
  uv->callback(
      [&r, uv_options] { r.set_handler([&o = r.options, uv_options] { return run_install(o, *uv_options, "uv"); }); });
}

}  // namespace aicactl::cli
