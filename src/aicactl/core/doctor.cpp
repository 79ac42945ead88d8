#include "aicactl/core/doctor.hpp"

#include <algorithm>

#include "aicactl/core/users.hpp"
#include "aicactl/core/volume.hpp"
#include "aicactl/os/fs.hpp"

namespace aicactl::core {
namespace {

Check lock_dir_check(const Config& config) {
  Check check{"lock directory '" + config.lock_dir + "' is root-only", true, ""};
  auto info = os::lstat_path(config.lock_dir);
  if (!info) {
    return Check{check.name, false, info.error().message()};
  }
  if (!*info) {
    check.detail = "not created yet (made by the first mutating command)";
    return check;
  }
  const auto& st = **info;
  if (!st.is_dir() || st.uid != 0 || (st.perms() & 077U) != 0U) {
    check.ok = false;
    check.detail = "must be a directory owned by root with mode 0700";
  }
  return check;
}

}  // namespace

Check volume_check(const Config& config) {
  const VolumeVerdict verdict = check_volume(config, VolumeUse::existing);
  return Check{"'" + config.data_root + "' is a mounted file system carrying the aicactl volume stamp",
               verdict.problem.empty(), verdict.problem};
}

std::vector<std::string> user_notes(const Config& config, const Registry& registry, std::string_view today) {
  std::vector<std::string> notes;
  for (const auto& u : registry.users) {
    if (is_expired(u, today)) {
      notes.push_back("User '" + u.name + "' expired on " + u.expires +
                      ": the account can no longer log in (extend it with 'usermod -e', or remove the user)");
    }
  }
  for (const auto& orphan : orphaned_homes(config, registry)) {
    notes.push_back(describe(orphan));
  }
  return notes;
}

bool DoctorReport::ok() const {
  return std::all_of(checks.begin(), checks.end(), [](const Check& c) { return c.ok; });
}

DoctorReport run_doctor(const Config& config, const ServerSpec& spec, const ServerState& state) {
  DoctorReport report;
  const Plan plan = plan_setup(spec, state);
  report.notes = plan.notes;
  for (const auto& item : plan.items) {
    Check check{item.check, item.ok(), ""};
    for (const auto& action : item.actions) {
      if (!check.detail.empty()) {
        check.detail += "; ";
      }
      check.detail += describe(action, Tense::future);
    }
    report.checks.push_back(std::move(check));
  }
  for (const auto& file : spec.files) {
    if (!file.trusted_path.empty()) {
      const std::string why = trust_problem(spec, state, file.trusted_path, TrustView::current);
      report.checks.push_back(Check{"'" + file.trusted_path + "' (run by the sudo rule '" + file.path +
                                        "') and every directory above it are root-owned and not group/other-writable",
                                    why.empty(), why});
    }
  }
  report.checks.push_back(lock_dir_check(config));
  return report;
}

}  // namespace aicactl::core
