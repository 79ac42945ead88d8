// SPDX-License-Identifier: Apache-2.0
#include "aicactl/core/lifecycle/clock.hpp"

#include <array>
#include <charconv>
#include <cstdlib>
#include <string_view>

#include "aicactl/core/users/account_batch.hpp"

namespace aicactl::core {

std::time_t lifecycle_now() {
  if (const char* fake = std::getenv(kTestNowVariable); fake != nullptr) {
    const std::string_view text(fake);
    long long seconds = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (ec == std::errc{} && ptr == text.data() + text.size() && seconds >= 0) {
      return static_cast<std::time_t>(seconds);
    }
  }
  return std::time(nullptr);
}

long lifecycle_today() {
  constexpr long kSecondsPerDay = 86400;
  return static_cast<long>(lifecycle_now() / kSecondsPerDay);
}

std::string date_of_day(long day) {
  constexpr long kSecondsPerDay = 86400;
  const std::time_t t = static_cast<std::time_t>(day) * kSecondsPerDay;
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  std::array<char, 16> buf{};
  (void)std::strftime(buf.data(), buf.size(), "%Y-%m-%d", &tm);
  return buf.data();
}

std::optional<long> days_until(const std::string& date, long today) {
  if (date.empty()) {
    return std::nullopt;
  }
  auto day = epoch_day(date);
  if (!day) {
    return std::nullopt;
  }
  return *day - today;
}

}  // namespace aicactl::core
