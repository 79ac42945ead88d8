// SPDX-License-Identifier: Apache-2.0
// Parsing of the [sessions] section (config.cpp's only entry into core/sessions).
#pragma once

#include <string>
#include <toml.hpp>

#include "aicactl/core/sessions/settings.hpp"

namespace aicactl::core {

// Throws Error(bad_data) naming the key of a bad value or unknown key.
void parse_sessions(const toml::table& table, const std::string& origin, SessionsConfig& out);
[[nodiscard]] std::string render_sessions(const SessionsConfig& config);

}  // namespace aicactl::core
