// SPDX-License-Identifier: Apache-2.0
// aicactl completion bash: a bash completion script made at run time from the CLI11 command
// tree, so every registered command, subcommand and option is in it without a list to keep.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "aicactl/cli/context.hpp"

namespace aicactl::cli {
namespace {

struct CommandNode {
  std::string path;  // "aicactl" itself, "aicactl cache repair" for a subcommand (bash has no "" key)
  std::vector<std::string> subcommands;
  std::vector<std::string> options;  // own and inherited (fallthrough) option spellings
};

// Option spellings, long before short, as the user would type them.
std::vector<std::string> spellings(const CLI::Option& opt) {
  std::vector<std::string> out;
  for (const auto& l : opt.get_lnames()) {
    out.push_back("--" + l);
  }
  for (const auto& s : opt.get_snames()) {
    out.push_back("-" + s);
  }
  return out;
}

void add_unique(std::vector<std::string>& to, const std::string& word) {
  if (std::find(to.begin(), to.end(), word) == to.end()) {
    to.push_back(word);
  }
}

void collect(const CLI::App& app, const std::string& path, const std::vector<std::string>& inherited,
             std::vector<CommandNode>& nodes, std::set<std::string>& valued) {
  CommandNode node{path, {}, inherited};
  for (const CLI::Option* opt : app.get_options()) {
    if (!opt->nonpositional() || opt->get_group().empty()) {
      continue;  // positionals and hidden options
    }
    for (const auto& s : spellings(*opt)) {
      add_unique(node.options, s);
      if (opt->get_expected_max() > 0 && opt->get_type_size_max() > 0) {  // flags expect 0 values
        valued.insert(s);
      }
    }
  }
  const auto subs = app.get_subcommands([](const CLI::App* a) { return !a->get_name().empty() && !a->get_disabled(); });
  for (const CLI::App* sub : subs) {
    node.subcommands.push_back(sub->get_name());
  }
  const std::vector<std::string> options = node.options;
  nodes.push_back(std::move(node));
  for (const CLI::App* sub : subs) {
    const std::string sub_path = path + " " + sub->get_name();
    collect(*sub, sub_path, sub->get_fallthrough() ? options : std::vector<std::string>{}, nodes, valued);
  }
}

std::string joined(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) {
    out += (out.empty() ? "" : " ") + w;
  }
  return out;
}

}  // namespace

std::string bash_completion_script(const CLI::App& root) {
  std::vector<CommandNode> nodes;
  std::set<std::string> valued;
  const std::string& name = root.get_name();
  collect(root, name, {}, nodes, valued);
  std::string s = "# bash completion for " + name + ", made by '" + name +
                  " completion bash' from its command tree.\n"
                  "# Install: " +
                  name + " completion bash > /etc/bash_completion.d/" + name + "\n";
  s += "declare -gA _aicactl_subcommands=(\n";
  for (const auto& n : nodes) {
    s += "  [\"" + n.path + "\"]=\"" + joined(n.subcommands) + "\"\n";
  }
  s += ")\ndeclare -gA _aicactl_options=(\n";
  for (const auto& n : nodes) {
    s += "  [\"" + n.path + "\"]=\"" + joined(n.options) + "\"\n";
  }
  s += ")\n_aicactl_valued=\" " + joined({valued.begin(), valued.end()}) + " \"\n";
  s += R"BASH(
_aicactl() {
  local cur="${COMP_WORDS[COMP_CWORD]}" prev="" path="${COMP_WORDS[0]##*/}" word i skip=0
  [[ -n ${_aicactl_subcommands[$path]+set} ]] || path=aicactl
  ((COMP_CWORD > 0)) && prev="${COMP_WORDS[COMP_CWORD - 1]}"
  # The command path so far: words that name a subcommand of the path before them.
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="${COMP_WORDS[i]}"
    if ((skip)); then skip=0; continue; fi
    case "$word" in
      --*=*) continue ;;
      -*) [[ $_aicactl_valued == *" $word "* ]] && skip=1; continue ;;
    esac
    if [[ " ${_aicactl_subcommands[$path]} " == *" $word "* ]]; then
      path="$path $word"
    fi
  done
  if [[ $_aicactl_valued == *" $prev "* && $cur != -* ]]; then
    COMPREPLY=($(compgen -f -- "$cur"))
    return 0
  fi
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "${_aicactl_options[$path]}" -- "$cur"))
  elif [[ -n ${_aicactl_subcommands[$path]} ]]; then
    COMPREPLY=($(compgen -W "${_aicactl_subcommands[$path]}" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
  return 0
}
)BASH";
  s += "complete -F _aicactl " + name + "\n";
  return s;
}

void register_completion(Registrar& r) {
  auto* completion = r.app.add_subcommand("completion", "Print a shell completion script");
  completion->require_subcommand(1);
  completion->fallthrough();
  auto* bash = completion->add_subcommand(
      "bash", "Print the bash completion script (install: aicactl completion bash > /etc/bash_completion.d/aicactl)");
  bash->fallthrough();
  bash->callback([&r] {
    r.set_handler([&app = r.app] {
      std::cout << bash_completion_script(app);
      return 0;
    });
  });
}

}  // namespace aicactl::cli
