// SPDX-License-Identifier: Apache-2.0
// Parsing of the [lifecycle] section (config.cpp's only entry into core/lifecycle).
#pragma once

#include <string>
#include <toml.hpp>

#include "aicactl/core/lifecycle/settings.hpp"

namespace aicactl::core {

// Throws Error(bad_data) naming the key of a bad value or unknown key.
void parse_lifecycle(const toml::table& table, const std::string& origin, LifecycleConfig& out);
[[nodiscard]] std::string render_lifecycle(const LifecycleConfig& config);

}  // namespace aicactl::core
