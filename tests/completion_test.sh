#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `aicactl completion bash` makes a script that bash can source and whose function completes
# commands, subcommands and options by position (checked against the real --help output, so
# it fails when the function is empty or a command is missing from the generated tree).
set -uo pipefail
bin=${AICACTL_BIN:?}
script=$(mktemp)
trap 'rm -f "$script"' EXIT
"$bin" completion bash >"$script" || { echo "aicactl completion bash failed" >&2; exit 1; }
bash -n "$script" || { echo "the completion script is not valid bash" >&2; exit 1; }

# Prints the completions of the last word of "$1" (a command line), one per line, sorted.
complete_line() {
  bash --norc --noprofile -c '
    source "$1" || exit 2
    read -r -a COMP_WORDS <<<"$2"
    [[ $2 == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMP_LINE=$2 COMP_POINT=${#2}
    _aicactl aicactl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
    printf "%s\n" "${COMPREPLY[@]}" | sort' _ "$script" "$1"
}

subcommands_of() {  # the "Subcommands:" of `aicactl ARGS --help`
  "$bin" "$@" --help | awk '/^Subcommands:/{on=1;next} on&&NF{print $1}' | sort
}

fail=0
expect_words() {  # line, expected words (each must be offered)
  local line=$1 got
  shift
  got=$(complete_line "$line")
  for w in "$@"; do
    if ! grep -qxF -- "$w" <<<"$got"; then
      echo "FAIL: '$line<TAB>' should offer '$w'; got: $(tr '\n' ' ' <<<"$got")" >&2
      fail=1
    fi
  done
}
expect_not() {  # line, words that must not be offered
  local line=$1 got
  shift
  got=$(complete_line "$line")
  for w in "$@"; do
    if grep -qxF -- "$w" <<<"$got"; then
      echo "FAIL: '$line<TAB>' should not offer '$w'" >&2
      fail=1
    fi
  done
}

grep -q '^complete -F _aicactl aicactl$' "$script" || { echo "FAIL: no 'complete -F _aicactl aicactl'" >&2; fail=1; }

top=$(subcommands_of)
[[ -n $top ]] || { echo "FAIL: aicactl --help lists no subcommands" >&2; exit 1; }
# shellcheck disable=SC2086
expect_words "aicactl " $top
expect_words "aicactl " cache acl completion
expect_words "aicactl ca" cache
expect_not "aicactl ca" user setup
# Every subcommand of every command, by position, as --help lists them.
for cmd in $top; do
  subs=$(subcommands_of "$cmd")
  # shellcheck disable=SC2086
  [[ -n $subs ]] && expect_words "aicactl $cmd " $subs
done
expect_words "aicactl cache " repair
expect_not "aicactl cache " cache setup
expect_words "aicactl acl " backup restore
expect_words "aicactl --dry-run cache re" repair
expect_words "aicactl --config /tmp/x.toml cache " repair
# Options: the subcommand's own and the global ones (they fall through).
expect_words "aicactl user add --" --uid --shell --dry-run --json --config --help
expect_words "aicactl acl restore --" --base --dry-run
expect_not "aicactl cache repair --" --uid --base
expect_words "aicactl --" --dry-run --json --version --config
# After an option that takes a value, files are offered (not subcommands).
expect_not "aicactl --config " cache
exit $fail
