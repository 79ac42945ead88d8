// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/plan/plan.hpp"

namespace aicactl::core {

std::size_t Plan::action_count() const {
  std::size_t n = 0;
  for (const auto& item : items) {
    n += item.actions.size();
  }
  return n;
}

Report apply_plan(const Plan& plan, DryRun dry_run) {
  Report report;
  report.notes = plan.notes;
  for (const auto& item : plan.items) {
    if (item.ok()) {
      ++report.ok;
      continue;
    }
    bool item_failed = false;
    for (const auto& action : item.actions) {
      ActionReport r{kind_of(action), target_of(action), "", Status::planned, ""};
      if (dry_run == DryRun::yes) {
        r.description = describe(action, Tense::future);
      } else if (item_failed) {
        continue;
      } else if (auto applied = apply(action); applied) {
        r.description = describe(action, Tense::past);
        r.status = Status::changed;
        ++report.changed;
      } else {
        r.description = describe(action, Tense::future);
        r.status = Status::failed;
        r.error = applied.error().message();
        ++report.failed;
        item_failed = true;
      }
      report.actions.push_back(std::move(r));
    }
  }
  return report;
}

void Report::merge(const Report& other) {
  actions.insert(actions.end(), other.actions.begin(), other.actions.end());
  changed += other.changed;
  ok += other.ok;
  failed += other.failed;
  notes.insert(notes.end(), other.notes.begin(), other.notes.end());
}

const char* to_string(Status status) {
  switch (status) {
    case Status::changed: return "changed";
    case Status::failed: return "failed";
    case Status::planned: return "planned";
    case Status::ok: break;
  }
  return "ok";
}

}  // namespace aicactl::core
