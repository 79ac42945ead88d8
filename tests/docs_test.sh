#!/usr/bin/env bash
# Every command and global option that --help shows is documented in the man page and README.
set -euo pipefail
bin=${AICACTL_BIN:?}
man=${1:?man page source}
readme=${2:?README}
fail=0
check() {  # word, file
  if ! grep -qF -- "$1" "$2"; then
    echo "not documented in $2: $1" >&2
    fail=1
  fi
}
for opt in $("$bin" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
  check "$opt" "$man"
  check "$opt" "$readme"
done
for cmd in $("$bin" --help | awk '/^Subcommands:/{on=1;next} on&&NF{print $1}'); do
  for sub in $("$bin" "$cmd" --help | awk '/^Subcommands:/{on=1;next} on&&NF{print $1}'); do
    check "$cmd $sub" "$man"
    for opt in $("$bin" "$cmd" "$sub" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
      check "$opt" "$man"
    done
  done
  check "$cmd" "$man"
done
for code in 0 1 3 64 65 73 75 77; do
  check "**$code**" "$man"
done
exit $fail
