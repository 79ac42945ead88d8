#include "aicactl/core/recover.hpp"

#include <fcntl.h>

#include <map>

#include "aicactl/os/accounts.hpp"
#include "aicactl/os/fs.hpp"

namespace aicactl::core {

std::string data_mount_problem(const Config& config) {
  auto data = os::lstat_path(config.data_root);
  auto root = os::stat_at(AT_FDCWD, "/");
  if (!data || !*data) {
    return "'" + config.data_root + "' does not exist";
  }
  if (!(*data)->is_dir()) {
    return "'" + config.data_root + "' is not a directory";
  }
  if (!root) {
    return "cannot stat '/'";
  }
  const bool same_mount = (*data)->dev == root->dev && ((*data)->mnt_id == 0 || (*data)->mnt_id == root->mnt_id);
  if (same_mount) {
    return "'" + config.data_root +
           "' is not a mounted file system (it is part of '/'); refusing to recover "
           "onto the root disk. Mount it, or set [recover] require_mount = false if it really lives on '/'";
  }
  return "";
}

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
