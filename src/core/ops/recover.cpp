// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/ops/recover.hpp"

#include <map>

#include "aicactl/os/accounts.hpp"

namespace aicactl::core {

std::vector<PlanItem> plan_registry_groups(const Registry& registry) {
  const std::map<std::string, gid_t> wanted = registry.groups();
  std::vector<PlanItem> items;
  for (const auto& [name, gid] : wanted) {
    PlanItem item{"group '" + name + "' (gid " + std::to_string(gid) + ")", {}};
    auto by_name = os::find_group(name);
    if (by_name) {
      if (by_name->gid != gid) {
        item.actions.emplace_back(Conflict{name, "group exists with gid " + std::to_string(by_name->gid) +
                                                     ", the registry says " + std::to_string(gid)});
      }
    } else if (auto holder = os::find_group(gid)) {
      item.actions.emplace_back(
          Conflict{name, "gid " + std::to_string(gid) + " already belongs to group '" + holder->name + "'"});
    } else {
      item.actions.emplace_back(CreateGroup{name, gid});
    }
    items.push_back(std::move(item));
  }
  return items;
}

}  // namespace aicactl::core
