// SPDX-License-Identifier: Apache-2.0
#include "aicactl/cli/typos.hpp"

#include <algorithm>
#include <numeric>

namespace aicactl::cli {
namespace {

std::string command_path(const CLI::App& app) {
  std::string path = app.get_name();
  for (const CLI::App* p = app.get_parent(); p != nullptr; p = p->get_parent()) {
    path = p->get_name() + " " + path;
  }
  return path;
}

// The option `name` ("--x", "-x") of `app` or, as options fall through, of one of its parents.
const CLI::Option* find_option(const CLI::App& app, const std::string& name) {
  for (const CLI::App* a = &app; a != nullptr; a = a->get_parent()) {
    if (const CLI::Option* o = a->get_option_no_throw(name); o != nullptr) {
      return o;
    }
  }
  return nullptr;
}

std::vector<std::string> option_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* a = &app; a != nullptr; a = a->get_parent()) {
    for (const CLI::Option* o : a->get_options()) {
      for (const auto& l : o->get_lnames()) {
        names.push_back("--" + l);
      }
    }
  }
  return names;
}

const CLI::App* find_subcommand(const CLI::App& app, const std::string& word) {
  for (const CLI::App* s : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (s->get_name() == word || std::ranges::find(s->get_aliases(), word) != s->get_aliases().end()) {
      return s;
    }
  }
  return nullptr;
}

std::vector<std::string> subcommand_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* s : app.get_subcommands([](const CLI::App*) { return true; })) {
    names.push_back(s->get_name());
  }
  return names;
}

bool has_positionals(const CLI::App& app) {
  return !app.get_options([](const CLI::Option* o) { return !o->nonpositional(); }).empty();
}

}  // namespace

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // Optimal string alignment: three rows of the dynamic-programming table.
  std::vector<std::size_t> before(b.size() + 1);
  std::vector<std::size_t> prev(b.size() + 1);
  std::vector<std::size_t> cur(b.size() + 1);
  std::iota(prev.begin(), prev.end(), std::size_t{0});
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        cur[j] = std::min(cur[j], before[j - 2] + 1);
      }
    }
    before.swap(prev);
    prev.swap(cur);
  }
  return prev[b.size()];
}

std::string nearest_name(std::string_view word, const std::vector<std::string>& names) {
  const std::size_t limit = std::max<std::size_t>(1, word.size() / 3);
  std::string best;
  std::size_t best_distance = limit + 1;
  for (const auto& n : names) {
    const std::size_t d = edit_distance(word, n);
    if (d < best_distance) {
      best_distance = d;
      best = n;
    }
  }
  return best;
}

std::optional<UnknownWord> find_unknown_word(const CLI::App& app, const std::vector<std::string>& args) {
  const CLI::App* current = &app;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      return std::nullopt;
    }
    if (arg.size() > 1 && arg.front() == '-') {
      const bool long_form = arg.starts_with("--");
      const std::string name = long_form ? arg.substr(0, arg.find('=')) : arg.substr(0, 2);
      const CLI::Option* option = find_option(*current, name);
      if (option == nullptr) {
        return UnknownWord{name, true, command_path(*current),
                           long_form ? nearest_name(name, option_names(*current)) : ""};
      }
      const bool value_attached = long_form ? arg.find('=') != std::string::npos : arg.size() > 2;
      if (option->get_type_size_max() > 0 && !value_attached) {
        ++i;  // its value, whatever it looks like
      }
      continue;
    }
    if (const CLI::App* sub = find_subcommand(*current, arg); sub != nullptr) {
      current = sub;
      continue;
    }
    if (!has_positionals(*current) && !subcommand_names(*current).empty()) {
      return UnknownWord{arg, false, command_path(*current), nearest_name(arg, subcommand_names(*current))};
    }
  }
  return std::nullopt;
}

}  // namespace aicactl::cli
