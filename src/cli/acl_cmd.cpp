// SPDX-License-Identifier: Apache-2.0
// aicactl acl backup | restore: the ACLs of the shared trees in getfacl -R's text format, and
// their restore below a base directory without following symlinks.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <array>
#include <climits>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "aicactl/cli/context.hpp"
#include "aicactl/cli/progress.hpp"
#include "aicactl/cli/render.hpp"
#include "aicactl/core/cache/acl_backup.hpp"
#include "aicactl/core/plan/errors.hpp"
#include "aicactl/os/atomic_file.hpp"
#include "aicactl/os/fs.hpp"

namespace aicactl::cli {
namespace {

struct BackupOptions {
  std::string file;
  std::vector<std::string> paths;
};

struct RestoreOptions {
  std::string file;
  std::string base = "/";
};

std::string absolute(const std::string& path) {
  if (path.empty() || path.front() == '/') {
    return path;
  }
  std::array<char, PATH_MAX> cwd{};
  if (::getcwd(cwd.data(), cwd.size()) == nullptr) {
    throw core::Error(core::ExitCode::failure, "Cannot find the current directory for '" + path + "'");
  }
  return os::join_path(cwd.data(), path);
}

void validate(const BackupOptions& o) {
  if (o.file.empty()) {
    throw core::Error(core::ExitCode::usage, "acl backup: FILE is empty (name a file, or '-' for standard output)");
  }
  for (const auto& p : o.paths) {
    if (p.empty() || p.front() != '/') {
      throw core::Error(core::ExitCode::usage, "acl backup: PATH must be absolute, not '" + p + "'");
    }
  }
}

int run_backup(const GlobalOptions& options, const BackupOptions& o) {
  validate(o);
  std::vector<std::string> roots = o.paths;
  if (roots.empty()) {
    roots = load_data_config(options, "acl backup").shared_trees();
  }
  const core::AclBackup backup = [&] {
    ProgressDisplay progress(options, "acl backup");  // cleared before the results are printed
    return core::backup_acls(roots, progress.counter());
  }();
  for (const auto& n : backup.notes) {
    spdlog::warn("{}", n);
  }
  for (const auto& e : backup.errors) {
    spdlog::error("{}", e);
  }
  const bool to_stdout = o.file == "-";
  const std::string file = to_stdout ? o.file : absolute(o.file);
  if (to_stdout) {
    std::cout << backup.text << std::flush;
  } else if (!options.dry_run) {
    // 0600: the backup names every user and group that has access to what.
    core::value_or_throw(os::write_file_atomically(file, backup.text, 0600, ::geteuid(), ::getegid()));
  }
  if (options.json) {
    if (!to_stdout) {
      std::cout << nlohmann::json{{"command", "acl backup"}, {"dry_run", options.dry_run}, {"file", file},
                                  {"paths", roots},          {"entries", backup.entries},  {"notes", backup.notes},
                                  {"errors", backup.errors}}
                       .dump(2)
                << "\n";
    }
  } else if (!to_stdout) {
    std::cout << (options.dry_run ? "Would write the ACLs of " : "Wrote the ACLs of ") << backup.entries
              << " entries to '" << file << "'\n";
  }
  return static_cast<int>(backup.errors.empty() ? core::ExitCode::ok : core::ExitCode::partial);
}

int run_restore(const GlobalOptions& options, const RestoreOptions& o) {
  if (o.file.empty()) {
    throw core::Error(core::ExitCode::usage, "acl restore: FILE is empty (name a file, or '-' for standard input)");
  }
  if (o.base.empty() || o.base.front() != '/') {
    throw core::Error(core::ExitCode::usage, "acl restore: --base must be an absolute path, not '" + o.base + "'");
  }
  const bool from_stdin = o.file == "-";
  const std::string file = from_stdin ? std::string("standard input") : absolute(o.file);
  std::string text;
  if (from_stdin) {
    std::ostringstream in;
    in << std::cin.rdbuf();
    if (std::cin.bad()) {
      throw core::Error(core::ExitCode::failure, "Cannot read the backup from standard input");
    }
    text = std::move(in).str();
  } else {
    auto read = os::read_file(file);
    if (!read) {
      throw core::Error(read.error());
    }
    if (!read->has_value()) {
      throw core::Error(core::ExitCode::bad_data, "Cannot read '" + file + "': No such file or directory");
    }
    text = std::move(**read);
  }
  const auto entries = core::parse_acl_backup(text, file);  // every line checked before any change
  require_root(options, "acl restore");
  const core::Config config = load_data_config(options, "acl restore");
  const auto lock = begin_mutation(options, config, "acl restore");
  const core::Report report = [&] {
    ProgressDisplay progress(options, "acl restore");
    return core::restore_acls(entries, o.base, options.dry(), progress.counter());
  }();
  render_report(options, "acl restore", report);
  return static_cast<int>(report.failed > 0 ? core::ExitCode::partial : core::ExitCode::ok);
}

}  // namespace

void register_acl(Registrar& r) {
  auto* acl = r.app.add_subcommand("acl", "Back up and restore the ACLs of the shared trees");
  acl->require_subcommand(1);
  acl->fallthrough();

  auto backup = std::make_shared<BackupOptions>();
  auto* cmd = acl->add_subcommand("backup", "Write the ACLs of the shared trees (or PATHs) in getfacl -R's format");
  cmd->add_option("file", backup->file, "The backup file (written atomically, mode 0600; '-' = stdout)")->required();
  cmd->add_option("paths", backup->paths, "Absolute paths of the trees (default: every shared cache and model tree)");
  cmd->fallthrough();
  cmd->callback([&r, backup] { r.set_handler([&o = r.options, backup] { return run_backup(o, *backup); }); });

  auto restore = std::make_shared<RestoreOptions>();
  cmd = acl->add_subcommand("restore", "Apply a backup (getfacl -R format) without following symlinks");
  cmd->add_option("file", restore->file, "The backup file ('-' reads standard input)")->required();
  cmd->add_option("--base", restore->base, "Directory the paths in the file are relative to (default: /)");
  cmd->fallthrough();
  cmd->callback([&r, restore] { r.set_handler([&o = r.options, restore] { return run_restore(o, *restore); }); });
}

}  // namespace aicactl::cli
