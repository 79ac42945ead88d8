// SPDX-License-Identifier: Apache-2.0
// Naming a mistyped word: when CLI11 cannot parse a command line, find the word it could not
// place (an unknown command or option) and the nearest known name, for a one-line message.
#pragma once

#include <CLI/CLI.hpp>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aicactl::cli {

struct UnknownWord {
  std::string word;        // as typed, e.g. "usr" or "--bogus"
  bool is_option = false;  // an option (starts with '-') rather than a command
  std::string command;     // the command it was given to, e.g. "aicactl user"
  std::string suggestion;  // the nearest known name, or empty when none is near
};

// Edit distance counting insertions, deletions, substitutions and swaps of two neighbours, so
// "dcotor" is one step from "doctor".
[[nodiscard]] std::size_t edit_distance(std::string_view a, std::string_view b);

// The nearest of `names` to `word` when it is near enough to be a typo (at most a third of the
// word's length, and at least 1, edits away), else empty.
[[nodiscard]] std::string nearest_name(std::string_view word, const std::vector<std::string>& names);

// Walks `args` (argv after the program name) through `app`'s tree as CLI11 would and returns the
// first word that is neither a known command where one is expected nor a known option of the
// command or its parents; nullopt when every word has a place (the error is something else).
[[nodiscard]] std::optional<UnknownWord> find_unknown_word(const CLI::App& app, const std::vector<std::string>& args);

}  // namespace aicactl::cli
