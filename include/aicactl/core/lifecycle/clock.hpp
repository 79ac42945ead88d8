// SPDX-License-Identifier: Apache-2.0
// The clock of life-cycle decisions (expiry, notices). AICACTL_TEST_NOW=<epoch seconds> replaces
// it: a test-only hook (documented as such in the man page) so tests can walk through notice
// days; nothing else reads it.
#pragma once

#include <ctime>
#include <optional>
#include <string>

namespace aicactl::core {

inline constexpr const char* kTestNowVariable = "AICACTL_TEST_NOW";

[[nodiscard]] std::time_t lifecycle_now();
// Days since 1970-01-01 (UTC) of lifecycle_now().
[[nodiscard]] long lifecycle_today();
// YYYY-MM-DD of a day number.
[[nodiscard]] std::string date_of_day(long day);
// Days from `today` to a YYYY-MM-DD `date` (negative when past); nullopt for "" or a bad date.
[[nodiscard]] std::optional<long> days_until(const std::string& date, long today);

}  // namespace aicactl::core
