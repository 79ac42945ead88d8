// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/lifecycle/subids.hpp"

#include <algorithm>

#include "aicactl/core/plan/errors.hpp"
#include "aicactl/os/fs.hpp"

namespace aicactl::core {
namespace {

std::string read_or_empty(const std::string& path, bool& exists) {
  auto text = os::read_file(path);
  exists = text && text->has_value();
  return exists ? **text : std::string();
}

std::string range_text(const os::SubIdRange& r) {
  return r.owner + ":" + std::to_string(r.start) + ":" + std::to_string(r.count);
}

}  // namespace

std::vector<os::SubIdRange> registry_ranges(const Registry& registry) {
  std::vector<os::SubIdRange> out;
  for (const auto& u : registry.users) {
    if (u.subid_count != 0) {
      out.push_back(os::SubIdRange{u.name, u.subid_start, u.subid_count});
    }
  }
  return out;
}

std::vector<PlanItem> plan_subids(const Registry& registry, const std::string& etc_dir, const std::string& only) {
  std::vector<PlanItem> items;
  if (std::none_of(registry.users.begin(), registry.users.end(),
                   [&](const UserRecord& u) { return u.subid_count != 0 && (only.empty() || u.name == only); })) {
    return items;  // nobody's range to keep: the files are not even read
  }
  for (const char* file : kSubIdFiles) {
    const std::string path = etc_dir + "/" + file;
    bool exists = false;
    const std::string text = read_or_empty(path, exists);
    std::string wanted = text;
    PlanItem item{"sub-id ranges '" + path + "'", {}};
    for (const auto& u : registry.users) {
      if (u.subid_count == 0 || (!only.empty() && u.name != only)) {
        continue;
      }
      const os::SubIdRange want{u.name, u.subid_start, u.subid_count};
      const auto lines = os::parse_subid(wanted);
      const auto mine = os::ranges_of(lines, u.name, u.uid);
      if (std::any_of(mine.begin(), mine.end(),
                      [&](const os::SubIdRange& r) { return r.start == want.start && r.count == want.count; })) {
        continue;
      }
      const auto clash = std::find_if(lines.begin(), lines.end(), [&](const os::SubIdRange& r) {
        return !os::owned_by(r, u.name, u.uid) && os::overlaps(r, want);
      });
      if (clash != lines.end()) {
        item.actions.emplace_back(Conflict{path, "the registered range " + range_text(want) + " overlaps the line '" +
                                                     range_text(*clash) + "'; not written"});
        continue;
      }
      wanted = os::with_range(wanted, want);
    }
    if (wanted != text) {
      item.actions.emplace_back(WriteFile{path, wanted, 0644, exists, 0, 0, ""});
    }
    items.push_back(std::move(item));
  }
  return items;
}

std::vector<std::string> subid_overlaps(const std::string& text) {
  std::vector<std::string> out;
  const auto lines = os::parse_subid(text);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    for (std::size_t j = i + 1; j < lines.size(); ++j) {
      if (lines[i].owner != lines[j].owner && os::overlaps(lines[i], lines[j])) {
        out.push_back("'" + range_text(lines[i]) + "' overlaps '" + range_text(lines[j]) + "'");
      }
    }
  }
  return out;
}

os::SubIdRange choose_subid_range(const Registry& registry, const UserRecord& record, uid_t uid,
                                  const std::string& etc_dir) {
  if (record.subid_count != 0) {
    return os::SubIdRange{record.name, record.subid_start, record.subid_count};
  }
  std::vector<os::SubIdRange> all = registry_ranges(registry);
  std::vector<std::vector<os::SubIdRange>> per_file;
  for (const char* file : kSubIdFiles) {
    bool exists = false;
    per_file.push_back(os::parse_subid(read_or_empty(etc_dir + "/" + file, exists)));
    all.insert(all.end(), per_file.back().begin(), per_file.back().end());
  }
  // A range the user already has (another tool gave it): adopted when both files agree.
  const auto in_uid = os::ranges_of(per_file[0], record.name, uid);
  const auto in_gid = os::ranges_of(per_file[1], record.name, uid);
  if (!in_uid.empty() || !in_gid.empty()) {
    if (in_uid.size() != 1 || in_gid.size() != 1 || in_uid[0].start != in_gid[0].start ||
        in_uid[0].count != in_gid[0].count) {
      throw Error(ExitCode::bad_data, "'" + record.name + "' already has different lines in " + etc_dir +
                                          "/subuid and /subgid; fix them by hand (or 'docker disable' first)");
    }
    os::SubIdRange mine{record.name, in_uid[0].start, in_uid[0].count};
    for (const auto& r : all) {
      if (!os::owned_by(r, record.name, uid) && os::overlaps(r, mine)) {
        throw Error(ExitCode::bad_data, "'" + record.name + "''s existing range " + range_text(in_uid[0]) +
                                            " overlaps '" + range_text(r) + "'; refusing to record it");
      }
    }
    return mine;
  }
  auto start = os::free_start(all, kSubIdCount);
  if (!start) {
    throw Error(ExitCode::failure, "No free sub-id range of 65536 ids is left below 2^32");
  }
  return os::SubIdRange{record.name, *start, kSubIdCount};
}

std::vector<PlanItem> plan_subid_removal(const std::string& name, uid_t uid, const std::string& etc_dir) {
  std::vector<PlanItem> items;
  for (const char* file : kSubIdFiles) {
    const std::string path = etc_dir + "/" + file;
    bool exists = false;
    const std::string text = read_or_empty(path, exists);
    PlanItem item{"sub-id ranges '" + path + "'", {}};
    if (const std::string wanted = os::without_owner(text, name, uid); wanted != text) {
      item.actions.emplace_back(WriteFile{path, wanted, 0644, true, 0, 0, ""});
    }
    items.push_back(std::move(item));
  }
  return items;
}

std::vector<Check> subid_checks(const Registry& registry, const std::string& etc_dir) {
  std::vector<Check> checks;
  const auto plans = plan_subids(registry, etc_dir);
  for (std::size_t i = 0; i < kSubIdFiles.size(); ++i) {
    const bool planned = i < plans.size();
    const std::string path = etc_dir + "/" + kSubIdFiles.at(i);
    bool exists = false;
    Check overlap{"no two owners' ranges overlap in '" + path + "'", true, ""};
    for (const auto& o : subid_overlaps(read_or_empty(path, exists))) {
      overlap.ok = false;
      overlap.detail += (overlap.detail.empty() ? "" : "; ") + o;
    }
    checks.push_back(std::move(overlap));
    Check missing{"every registered rootless-Docker range is in '" + path + "'", true, ""};
    for (const auto& action : planned ? plans.at(i).actions : std::vector<Action>{}) {
      missing.ok = false;
      missing.detail += (missing.detail.empty() ? "" : "; ") + describe(action, Tense::future);
    }
    checks.push_back(std::move(missing));
  }
  return checks;
}

}  // namespace aicactl::core
