// SPDX-License-Identifier: Apache-2.0
// Small text helpers every layer shares, so messages and sizes read the same everywhere: a path
// in quotes, trimming, joining, and the one human-readable size (du -h's).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace aicactl::os {

inline constexpr std::string_view kWhitespace = " \t\n\r\f\v";

// 'text', as the messages quote paths and names.
[[nodiscard]] std::string quoted(std::string_view text);

// `text` without the leading and trailing characters in `chars`.
[[nodiscard]] std::string_view trim(std::string_view text, std::string_view chars = kWhitespace);

// The parts with `sep` between them ("" for none).
[[nodiscard]] std::string join(const std::vector<std::string>& parts, std::string_view sep);

// du -h style, 1024-based, rounded up: "0B", "900B", "4.0K", "12M", "1.5G".
[[nodiscard]] std::string human_size(std::uint64_t bytes);

}  // namespace aicactl::os
