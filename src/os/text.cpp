// SPDX-License-Identifier: Apache-2.0
#include "aicactl/os/text.hpp"

#include <array>
#include <cmath>
#include <cstdio>

namespace aicactl::os {

std::string quoted(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out += '\'';
  out += text;
  out += '\'';
  return out;
}

std::string_view trim(std::string_view text, std::string_view chars) {
  const auto b = text.find_first_not_of(chars);
  if (b == std::string_view::npos) {
    return {};
  }
  return text.substr(b, text.find_last_not_of(chars) - b + 1);
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) {
      out += sep;
    }
    out += parts[i];
  }
  return out;
}

std::string human_size(std::uint64_t bytes) {
  constexpr std::uint64_t kStep = 1024;
  if (bytes < kStep) {
    return std::to_string(bytes) + "B";
  }
  constexpr std::string_view kUnits = "KMGTPE";
  double v = static_cast<double>(bytes);
  std::size_t unit = 0;
  v /= kStep;
  while (v >= kStep && unit + 1 < kUnits.size()) {
    v /= kStep;
    ++unit;
  }
  std::array<char, 32> buf{};
  if (v < 10) {
    const double up = std::ceil(v * 10) / 10;
    if (up < 10) {
      (void)std::snprintf(buf.data(), buf.size(), "%.1f%c", up, kUnits[unit]);
      return buf.data();
    }
    v = up;
  }
  double up = std::ceil(v);
  if (up >= kStep && unit + 1 < kUnits.size()) {
    up = 1;
    ++unit;
    (void)std::snprintf(buf.data(), buf.size(), "%.1f%c", up, kUnits[unit]);
    return buf.data();
  }
  (void)std::snprintf(buf.data(), buf.size(), "%.0f%c", up, kUnits[unit]);
  return buf.data();
}

}  // namespace aicactl::os
