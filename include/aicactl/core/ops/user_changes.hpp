// SPDX-License-Identifier: Apache-2.0
// `user add` and `user repair` as plans applied by apply_plan: the user's account, home, link and
// conda settings first; then, once the account exists (its uid and gid are known only then), its
// registry row and sub-id lines (add), or the home's entries given back to it (repair: a walk of
// the home, core/cache/repair's repair_home_tree). The registry is written only after the account
// step succeeded; a dry run shows every step and changes nothing.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "aicactl/core/plan/plan.hpp"
#include "aicactl/core/setup/config.hpp"
#include "aicactl/core/users/registry.hpp"
#include "aicactl/os/walk.hpp"

namespace aicactl::core {

// A validated `user add` (or one line of `user import`).
struct AddUserRequest {
  std::string name{};
  std::vector<std::string> groups{};  // supplementary, besides the sharing group
  std::optional<uid_t> uid{};         // none: the lowest free id (pick_new_id) for a new account
  std::string shell = "/bin/bash";
  std::string expires{};      // YYYY-MM-DD or ""
  std::string email{};        // "" = keep the registry's
  bool replace_link = false;  // --force: replace a /home/NAME link that points elsewhere
  std::uint64_t quota = 0;    // bytes (core/users/quota); 0 = keep the registry's
};

// Adds (or adopts) one user and records it in `registry` (written to disk by a plan item).
// `progress`: a home copied across file systems counts into it. Throws Error(failure) when no
// id is left for a new account.
[[nodiscard]] Report add_user(const Config& config, Registry& registry, const AddUserRequest& request, DryRun dry_run,
                              os::WalkProgress* progress = nullptr);

// Re-asserts each registered user in `users` (plan_user with AccountPolicy::restore, their
// sub-id lines), then gives them back their home's entries; the walk's hard links and devices
// left alone become notes.
[[nodiscard]] Report repair_users(const Config& config, const Registry& registry, const std::vector<UserRecord>& users,
                                  DryRun dry_run, os::WalkProgress* progress = nullptr);

}  // namespace aicactl::core
