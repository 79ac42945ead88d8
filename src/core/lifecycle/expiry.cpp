// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/lifecycle/expiry.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <functional>
#include <sstream>

#include "aicactl/core/lifecycle/clock.hpp"
#include "aicactl/core/users/users.hpp"
#include "aicactl/os/atomic_file.hpp"
#include "aicactl/os/entry_ops.hpp"
#include "aicactl/os/expected.hpp"
#include "aicactl/os/fs.hpp"
#include "aicactl/os/host.hpp"
#include "aicactl/os/process.hpp"
#include "aicactl/os/process_input.hpp"
#include "aicactl/os/procs.hpp"
#include "aicactl/os/shadow.hpp"
#include "aicactl/os/subid.hpp"
#include "aicactl/os/text.hpp"

namespace aicactl::core {
namespace {

constexpr int kMillisPerSecond = 1000;
constexpr std::time_t kSecondsPerDay = 86400;

// One step of the run: described, applied unless dry, counted.
class Steps {
 public:
  explicit Steps(DryRun dry) : dry_(dry) {}

  void step(const std::string& kind, const std::string& target, const std::string& future, const std::string& past,
            const std::function<os::Result<void>()>& apply) {
    ActionReport r{kind, target, dry_ == DryRun::yes ? future : past, Status::planned, ""};
    if (dry_ == DryRun::no) {
      if (auto res = apply(); res) {
        r.status = Status::changed;
        ++report_.changed;
      } else {
        r.status = Status::failed;
        r.description = future;
        r.error = res.error().message();
        ++report_.failed;
      }
    }
    report_.actions.push_back(std::move(r));
  }
  // Several steps done by one call: each is reported, with the call's outcome.
  struct Part {
    std::string kind, target, future, past;
  };
  void together(const std::vector<Part>& parts, const std::function<os::Result<void>()>& apply) {
    if (parts.empty()) {
      return;
    }
    os::Result<void> res;
    if (dry_ == DryRun::no) {
      res = apply();
    }
    for (const auto& p : parts) {
      step(p.kind, p.target, p.future, p.past, [&res] { return res; });
    }
  }
  void note(std::string text) { report_.notes.push_back(std::move(text)); }
  void ok() { ++report_.ok; }
  Report& report() { return report_; }

 private:
  DryRun dry_;
  Report report_;
};

os::Result<void> run_tool(const std::vector<std::string>& argv, const std::string& target) {
  auto r = os::run_program(argv);
  AICACTL_RETURN_IF_ERROR(r);
  if (r->exit_code != 0) {
    std::string err = r->err;
    while (!err.empty() && err.back() == '\n') {
      err.pop_back();
    }
    return os::fail(argv.front() + " (" + err + ")", target, 0);
  }
  return {};
}

bool logind_runs() {
  auto seats = os::lstat_path("/run/systemd/seats");
  return seats && *seats && (*seats)->is_dir() && !os::find_program("loginctl").empty();
}

std::string mail_address(const LifecycleConfig& lc, const UserRecord& rec) {
  if (!rec.email.empty()) {
    return rec.email;
  }
  return lc.mail_domain.empty() ? rec.name : rec.name + "@" + lc.mail_domain;
}

std::string notice_text(const UserRecord& rec, long days_left) {
  return "Your account '" + rec.name + "' on " + os::host_name() + " expires on " + rec.expires + " (in " +
         std::to_string(days_left) + (days_left == 1 ? " day" : " days") +
         "). Copy what you need from your home before then: after that date you can no longer log in, and "
         "your files may be archived and removed at the end of the term.\n";
}

// Whether a process belongs to the user: their uid or an id of their sub-id ranges.
std::function<bool(uid_t)> owned_ids(uid_t uid, const std::vector<os::SubIdRange>& ranges) {
  return [uid, ranges](uid_t id) {
    if (id == uid) {
      return true;
    }
    return std::any_of(ranges.begin(), ranges.end(),
                       [id](const os::SubIdRange& r) { return id >= r.start && id < r.end(); });
  };
}

std::vector<os::SubIdRange> sub_ranges(const UserRecord& rec, uid_t uid) {
  std::vector<os::SubIdRange> out;
  if (rec.subid_count != 0) {
    out.push_back(os::SubIdRange{rec.name, rec.subid_start, rec.subid_count});
  }
  if (auto text = os::read_file("/etc/subuid"); text && text->has_value()) {
    for (auto& r : os::ranges_of(os::parse_subid(**text), rec.name, uid)) {
      out.push_back(std::move(r));
    }
  }
  return out;
}

os::Result<void> ensure_state_dir(const Config& config) {
  auto system = os::open_dir(config.under_root("system"));
  AICACTL_RETURN_IF_ERROR(system);
  return os::ensure_dir_at(system->get(), "state", 0755, config.under_root("system/state"));
}

void send_notice(Steps& steps, const Config& config, const UserRecord& rec, const std::optional<os::UserInfo>& account,
                 long days_left, const std::vector<os::ProcInfo>& procs) {
  const LifecycleConfig& lc = config.lifecycle;
  const std::string text = notice_text(rec, days_left);
  const std::string to = mail_address(lc, rec);
  const std::string sendmail = os::find_program("sendmail");
  if (sendmail.empty()) {
    steps.note("No sendmail on this host: the notice to '" + rec.name + "' goes to the login line and terminals only");
  } else {
    const std::string message = "To: " + to + "\nSubject: Your account '" + rec.name + "' expires on " + rec.expires +
                                "\nAuto-Submitted: auto-generated\n\n" + text;
    steps.step("notice-mail", to, "Would mail the expiry notice to '" + to + "'",
               "Mailed the expiry notice to '" + to + "'", [&]() -> os::Result<void> {
                 auto rc = os::run_program_with_input({sendmail, "-t", "-oi"}, message);
                 AICACTL_RETURN_IF_ERROR(rc);
                 if (*rc != 0) {
                   return os::fail("mail the notice (sendmail exit " + std::to_string(*rc) + ")", to, 0);
                 }
                 return {};
               });
  }
  if (!account) {
    return;
  }
  std::set<dev_t> ttys;
  for (const auto& p : procs) {
    if (p.tty != 0 && p.ruid == account->uid) {
      ttys.insert(p.tty);
    }
  }
  if (ttys.empty()) {
    return;
  }
  const std::string banner = "\r\n\a*** aicactl: " + text + "\r\n";
  steps.step("notice-tty", rec.name,
             "Would write the notice to " + std::to_string(ttys.size()) + " terminal(s) of '" + rec.name + "'",
             "Wrote the notice to " + std::to_string(ttys.size()) + " terminal(s) of '" + rec.name + "'",
             [&]() -> os::Result<void> {
               std::optional<os::OsError> last;
               std::size_t written = 0;
               for (dev_t t : ttys) {
                 if (auto w = os::write_to_tty(t, account->uid, banner); w) {
                   ++written;
                 } else {
                   last = w.error();
                 }
               }
               if (written == 0 && last) {  // one closed meanwhile is no failure, all of them are
                 return std::unexpected(*last);
               }
               return {};
             });
}

void expire_account(Steps& steps, const Config& config, const UserRecord& rec, const os::UserInfo& account,
                    const std::vector<os::ProcInfo>& procs) {
  const LifecycleConfig& lc = config.lifecycle;
  std::vector<std::string> groups = {config.group};
  groups.insert(groups.end(), lc.revoke_groups.begin(), lc.revoke_groups.end());
  const auto member_of = os::groups_of(account);
  // One usermod does what gpasswd -d, usermod -L and chage -E would do one by one (each tool run
  // rewrites and re-locks the account files: a third of the time for 10 expiring accounts).
  std::vector<Steps::Part> parts;
  std::vector<std::string> revoke;
  for (const auto& g : groups) {
    auto info = os::find_group(g);
    if (!info || info->gid == account.gid ||
        std::find(member_of.begin(), member_of.end(), info->gid) == member_of.end()) {
      continue;
    }
    revoke.push_back(g);
    parts.push_back({"revoke-group", rec.name + ":" + g, "Would remove '" + rec.name + "' from group '" + g + "'",
                     "Removed '" + rec.name + "' from group '" + g + "'"});
  }
  std::vector<std::string> argv = {"usermod"};
  if (!revoke.empty()) {
    argv.insert(argv.end(), {"--remove", "--groups", os::join(revoke, ",")});
  }
  const auto shadow = os::find_shadow(rec.name);
  if (shadow && !shadow->locked) {
    argv.emplace_back("--lock");
    parts.push_back({"lock-password", rec.name, "Would lock the password of '" + rec.name + "'",
                     "Locked the password of '" + rec.name + "'"});
  }
  // Expired by shadow's own clock too: the expiry date, or today when the date is still ahead of
  // the system clock (a test clock); shadow refuses logins from that day on.
  const auto day = days_until(rec.expires, 0);
  const long system_today = static_cast<long>(std::time(nullptr) / kSecondsPerDay);
  if (shadow && day) {
    const long target_day = std::min(*day, system_today);
    const std::string target = date_of_day(target_day);
    if (!shadow->expire_day || *shadow->expire_day > target_day) {
      argv.insert(argv.end(), {"--expiredate", target});
      parts.push_back({"expire-account", rec.name, "Would set the account '" + rec.name + "' to expire on " + target,
                       "Set the account '" + rec.name + "' to expire on " + target});
    }
  }
  argv.insert(argv.end(), {"--", rec.name});
  bool all_ok = parts.empty();
  steps.together(parts, [&] { return run_tool(argv, rec.name); });
  const auto owned = owned_ids(account.uid, sub_ranges(rec, account.uid));
  const std::size_t running = static_cast<std::size_t>(std::count_if(
      procs.begin(), procs.end(), [&](const os::ProcInfo& p) { return p.pid != ::getpid() && os::runs_as(p, owned); }));
  if (running > 0) {
    all_ok = false;
    std::string past;
    steps.step("end-sessions", rec.name,
               "Would end " + std::to_string(running) + " process(es) of '" + rec.name +
                   "' (SIGTERM, then SIGKILL after " + std::to_string(lc.grace_seconds) + " s)",
               "Ended the sessions and processes of '" + rec.name + "'", [&]() -> os::Result<void> {
                 if (logind_runs()) {
                   (void)run_tool({"loginctl", "terminate-user", rec.name}, rec.name);
                 }
                 auto ended = os::end_processes(owned, lc.grace_seconds * kMillisPerSecond);
                 AICACTL_RETURN_IF_ERROR(ended);
                 if (ended->left > 0) {
                   return os::fail("end " + std::to_string(ended->left) + " process(es) even with SIGKILL of", rec.name,
                                   0);
                 }
                 return {};
               });
  }
  if (all_ok) {
    steps.ok();
  }
}

}  // namespace

NoticeLog parse_notice_log(std::string_view text) {
  NoticeLog log;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.front() != '#') {
      log.sent.insert(line);
    }
  }
  return log;
}

std::string render_notice_log(const NoticeLog& log) {
  std::string out = "# Expiry notices sent by `aicactl user expire` (USER EXPIRES DAYS-BEFORE); each is sent once.\n";
  for (const auto& k : log.sent) {
    out += k + "\n";
  }
  return out;
}

std::string notice_key(const UserRecord& record, int days) {
  return record.name + " " + record.expires + " " + std::to_string(days);
}

std::string protection(const LifecycleConfig& config, const UserRecord& record,
                       const std::optional<os::UserInfo>& account, bool named) {
  const uid_t uid = account ? account->uid : record.uid;
  if (record.name == "root" || uid < kFirstRegularUid) {
    return "a system account (uid " + std::to_string(uid) + ")";
  }
  if (named) {
    return "";
  }
  if (std::find(config.keep.begin(), config.keep.end(), record.name) != config.keep.end()) {
    return "in [lifecycle] keep";
  }
  if (account) {
    const auto member_of = os::groups_of(*account);
    for (auto admin : kAdminGroups) {
      auto g = os::find_group(admin);
      if (g && std::find(member_of.begin(), member_of.end(), g->gid) != member_of.end()) {
        return "a member of the admin group '" + g->name + "'";
      }
    }
  }
  return "";
}

std::vector<int> due_notices(const std::vector<int>& notice_days, const UserRecord& record, long days_left,
                             const NoticeLog& log) {
  std::vector<int> due;
  for (int d : notice_days) {
    if (d >= days_left && !log.sent.contains(notice_key(record, d))) {
      due.push_back(d);
    }
  }
  return due;
}

std::string render_expiry_profile(const std::vector<std::pair<std::string, std::string>>& soon) {
  std::string out =
      "# Managed by aicactl (user expire): a line at login for accounts about to expire. Rewritten daily.\n";
  if (soon.empty()) {
    return out;
  }
  out += "case \"$(id -un 2>/dev/null)\" in\n";
  for (const auto& [name, date] : soon) {
    out += "  " + name + ") echo \"aicactl: your account expires on " + date +
           ": copy what you need from your home before then.\" >&2 ;;\n";
  }
  out += "esac\n";
  return out;
}

Report run_user_expire(const Config& config, const Registry& registry, const ExpireOptions& options) {
  const LifecycleConfig& lc = config.lifecycle;
  const long today = lifecycle_today();
  const int window = lc.notice_days.empty() ? 0 : *std::max_element(lc.notice_days.begin(), lc.notice_days.end());
  Steps steps(options.dry_run);
  const std::string log_path = config.under_root(kNoticesFile);
  NoticeLog log;
  if (auto text = os::read_file(log_path); text && text->has_value()) {
    log = parse_notice_log(**text);
  }
  const NoticeLog before = log;
  std::optional<std::vector<os::ProcInfo>> procs;  // scanned once, when first needed
  auto processes = [&]() -> const std::vector<os::ProcInfo>& {
    if (!procs) {
      auto list = os::list_processes();
      procs = list ? std::move(*list) : std::vector<os::ProcInfo>{};
    }
    return *procs;
  };
  std::vector<std::pair<std::string, std::string>> soon;
  for (const auto& rec : registry.users) {
    const bool named = std::find(options.names.begin(), options.names.end(), rec.name) != options.names.end();
    if (!options.names.empty() && !named) {
      continue;
    }
    const auto left = days_until(rec.expires, today);
    if (!left || *left > window) {
      if (named) {
        steps.note("'" + rec.name + "' " +
                   (left ? "expires on " + rec.expires + ", not yet due" : "has no expiry date"));
      }
      continue;
    }
    const auto account = os::find_user(rec.name);
    if (auto why = protection(lc, rec, account, named); !why.empty()) {
      steps.note("Left '" + rec.name + "' alone: " + why);
      continue;
    }
    if (*left > 0) {
      soon.emplace_back(rec.name, rec.expires);
      const auto due = due_notices(lc.notice_days, rec, *left, log);
      if (due.empty()) {
        steps.ok();
        continue;
      }
      const std::size_t failed_before = steps.report().failed;
      send_notice(steps, config, rec, account, *left, processes());
      if (steps.report().failed == failed_before) {  // a failed mail is tried again on the next run
        for (int d : due) {
          log.sent.insert(notice_key(rec, d));
        }
      }
      continue;
    }
    if (!account) {
      steps.note("'" + rec.name + "' expired on " + rec.expires + " and has no account here");
      continue;
    }
    expire_account(steps, config, rec, *account, processes());
  }
  // The login line: users whose notice window has begun (also after a re-image wiped /etc).
  const std::string profile = render_expiry_profile(soon);
  // Written when it differs; not made at all while nobody is about to expire.
  auto current = os::read_file(kExpiryProfileFile);
  const bool absent = !current || !current->has_value();
  if ((absent && !soon.empty()) || (!absent && **current != profile)) {
    steps.step("notice-login", std::string(kExpiryProfileFile),
               "Would write the login notice '" + std::string(kExpiryProfileFile) + "' (" +
                   std::to_string(soon.size()) + " user(s))",
               "Wrote the login notice '" + std::string(kExpiryProfileFile) + "' (" + std::to_string(soon.size()) +
                   " user(s))",
               [&] { return os::write_file_atomically(kExpiryProfileFile, profile, 0644, 0, 0); });
  }
  if (log.sent != before.sent) {
    steps.step("record-notices", log_path, "Would record the notices sent in '" + log_path + "'",
               "Recorded the notices sent in '" + log_path + "'", [&]() -> os::Result<void> {
                 if (auto dir = ensure_state_dir(config); !dir) {
                   return dir;
                 }
                 return os::write_file_atomically(log_path, render_notice_log(log), 0644, 0, 0);
               });
  }
  return std::move(steps.report());
}

}  // namespace aicactl::core
