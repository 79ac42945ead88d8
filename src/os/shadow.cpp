// SPDX-License-Identifier: Apache-2.0
#include "aicactl/os/shadow.hpp"

#include <shadow.h>

#include <array>

namespace aicactl::os {

std::optional<ShadowInfo> find_shadow(const std::string& name) {
  constexpr std::size_t kBuf = 4096;
  std::array<char, kBuf> buf{};
  spwd entry{};
  spwd* found = nullptr;
  if (::getspnam_r(name.c_str(), &entry, buf.data(), buf.size(), &found) != 0 || found == nullptr) {
    return std::nullopt;
  }
  ShadowInfo info;
  info.locked = found->sp_pwdp != nullptr && found->sp_pwdp[0] == '!';
  if (found->sp_expire >= 0) {
    info.expire_day = found->sp_expire;
  }
  return info;
}

}  // namespace aicactl::os
