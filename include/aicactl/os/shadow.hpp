// SPDX-License-Identifier: Apache-2.0
// One account's shadow entry (getspnam_r): whether its password is locked and its expiry day.
#pragma once

#include <optional>
#include <string>

namespace aicactl::os {

struct ShadowInfo {
  bool locked = false;             // the password field starts with '!'
  std::optional<long> expire_day;  // days since 1970-01-01; none = never
};

// nullopt when there is no shadow entry (or it cannot be read: not root).
[[nodiscard]] std::optional<ShadowInfo> find_shadow(const std::string& name);

}  // namespace aicactl::os
