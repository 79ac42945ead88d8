// SPDX-License-Identifier: Apache-2.0
#include "aicactl/cli/render.hpp"

#include <spdlog/spdlog.h>

#include <iostream>
#include <nlohmann/json.hpp>

namespace aicactl::cli {
namespace {

void print_json(const nlohmann::json& j) {
  std::cout << j.dump(2) << "\n";
}

void log_notes(const std::vector<std::string>& notes) {
  for (const auto& n : notes) {
    spdlog::warn("{}", n);
  }
}

}  // namespace

void render_report(const GlobalOptions& options, const std::string& command, const core::Report& report) {
  for (const auto& a : report.actions) {
    if (a.status == core::Status::failed) {
      spdlog::error("{}", a.error);
    } else if (a.status == core::Status::changed && options.json) {
      spdlog::info("{}", a.description);
    } else if (a.status == core::Status::changed) {
      log_to_files(a.description);  // stdout shows it below; -v must not say it twice
    }
  }
  if (options.json) {
    nlohmann::json actions = nlohmann::json::array();
    for (const auto& a : report.actions) {
      nlohmann::json item{{"kind", a.kind},
                          {"target", a.target},
                          {"description", a.description},
                          {"status", core::to_string(a.status)}};
      if (!a.error.empty()) {
        item["error"] = a.error;
      }
      actions.push_back(std::move(item));
    }
    print_json({{"command", command},
                {"dry_run", options.dry_run},
                {"actions", actions},
                {"notes", report.notes},
                {"summary", {{"changed", report.changed}, {"ok", report.ok}, {"failed", report.failed}}}});
    return;
  }
  log_notes(report.notes);
  for (const auto& a : report.actions) {
    if (a.status != core::Status::failed) {
      std::cout << a.description << "\n";
    }
  }
  if (options.quiet && report.actions.empty()) {
    return;  // -q: nothing changed, failed or would change, so nothing to say (cron mails output)
  }
  if (options.dry_run) {
    std::cout << report.actions.size() << " to change, " << report.ok << " ok\n";
  } else {
    std::cout << report.changed << " changed, " << report.ok << " ok, " << report.failed << " failed\n";
  }
}

void render_repairs(const GlobalOptions& options, const std::vector<core::RepairResult>& results,
                    const std::vector<std::string>& notes) {
  std::size_t changed = 0;
  std::size_t ok = 0;
  std::size_t failed = 0;
  for (const auto& r : results) {
    for (const auto& s : r.skipped) {
      spdlog::warn("Skipped '{}': a hard link to a file of a non-member, ignoring", s);
    }
    for (const auto& m : r.mounts_skipped) {
      spdlog::warn("Not entering '{}': a mount point (another file system or a bind mount), ignoring", m);
    }
    for (const auto& e : r.errors) {
      spdlog::error("{}", e);
    }
    if (!r.errors.empty()) {
      ++failed;
    } else if (r.changed > 0) {
      ++changed;
    } else {
      ++ok;
    }
  }
  if (options.json) {
    nlohmann::json actions = nlohmann::json::array();
    for (const auto& r : results) {
      const char* status =
          !r.errors.empty() ? "failed" : (r.changed == 0 ? "ok" : (options.dry_run ? "planned" : "changed"));
      actions.push_back({{"kind", "repair-tree"},
                         {"target", r.root},
                         {"status", status},
                         {"entries", r.entries},
                         {"changed_entries", r.changed},
                         {"unchanged_entries", r.unchanged},
                         {"skipped", r.skipped},
                         {"mounts_skipped", r.mounts_skipped},
                         {"errors", r.errors}});
    }
    print_json({{"command", "cache repair"},
                {"dry_run", options.dry_run},
                {"actions", actions},
                {"notes", notes},
                {"summary", {{"changed", options.dry_run ? 0 : changed}, {"ok", ok}, {"failed", failed}}}});
    return;
  }
  log_notes(notes);
  for (const auto& r : results) {
    if (r.changed > 0) {
      std::cout << (options.dry_run ? "Would repair '" : "Repaired '") << r.root << "': " << r.changed << " of "
                << r.entries << " entries\n";
    } else if (r.errors.empty() && !options.quiet) {
      std::cout << "'" << r.root << "' is in order (" << r.entries << " entries)\n";
    }
  }
}

void render_doctor(const GlobalOptions& options, const core::DoctorReport& report) {
  if (options.json) {
    nlohmann::json checks = nlohmann::json::array();
    for (const auto& c : report.checks) {
      checks.push_back({{"name", c.name}, {"ok", c.ok}, {"detail", c.detail}});
    }
    print_json({{"ok", report.ok()}, {"checks", checks}, {"notes", report.notes}});
    return;
  }
  for (const auto& c : report.checks) {
    if (c.ok && options.quiet) {
      continue;  // -q: only the problems
    }
    std::cout << (c.ok ? "\u2713 " : "\u2717 ") << c.name;
    if (!c.detail.empty()) {
      std::cout << ": " << c.detail;
    }
    std::cout << "\n";
  }
  for (const auto& n : report.notes) {
    std::cout << "! " << n << "\n";
  }
}

}  // namespace aicactl::cli
