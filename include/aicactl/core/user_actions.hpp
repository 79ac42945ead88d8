// SPDX-License-Identifier: Apache-2.0
// Applying the account and home actions (internal to core: called by apply() in actions.cpp).
#pragma once

#include "aicactl/core/actions.hpp"

namespace aicactl::core::detail {

[[nodiscard]] os::Result<void> apply_create_account(const CreateAccount& a);
[[nodiscard]] os::Result<void> apply_add_to_group(const AddToGroup& a);
[[nodiscard]] os::Result<void> apply_create_home(const CreateHome& a);
[[nodiscard]] os::Result<void> apply_migrate_home(const MigrateHome& a);
[[nodiscard]] os::Result<void> apply_make_symlink(const MakeSymlink& a);
[[nodiscard]] os::Result<void> apply_write_file(const WriteFile& a);
// Saves the current content of a WriteFile's path to its keep_old path (root, 0600) when set.
[[nodiscard]] os::Result<void> keep_old_copy(const WriteFile& a);
// Runs an account tool by argv and turns a non-zero exit into an error with its stderr.
[[nodiscard]] os::Result<void> run_tool(const std::vector<std::string>& argv, const std::string& target);

}  // namespace aicactl::core::detail
