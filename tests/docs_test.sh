#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every command and global option that --help shows is documented in the man page and README,
# and the *built* man page, as man renders it, shows them as typed: every --option with two
# ASCII hyphens (no smart-typography dash), every section heading of the source, and the
# <placeholder> text (pandoc drops <uv> as raw HTML unless it is escaped).
set -euo pipefail
bin=${AICACTL_BIN:?}
man=${1:?man page source}
readme=${2:?README}
built=${3:?built man page}
fail=0
check() {  # word, file
  if ! grep -qF -- "$1" "$2"; then
    echo "not documented in $2: $1" >&2
    fail=1
  fi
}
rendered_lines=$(mktemp)
rendered=$(mktemp)
trap 'rm -f "$rendered_lines" "$rendered"' EXIT
# Wide lines, then words that groff hyphenated at a line end joined and all white space one
# blank, so a phrase is found wherever the line breaks fell.
LC_ALL=C.UTF-8 MANWIDTH=200 man -l "$built" 2>/dev/null >"$rendered_lines"
[[ -s $rendered_lines ]] || { echo "man -l $built rendered nothing" >&2; exit 1; }
perl -CSD -0pe 's/\x{2010}\n\s*//g; s/\s+/ /g' "$rendered_lines" >"$rendered"
check_rendered() {  # text as the reader must see it
  if ! grep -qF -- "$1" "$rendered"; then
    echo "not in the rendered man page ($built): $1" >&2
    fail=1
  fi
}
for opt in $("$bin" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
  check "$opt" "$man"
  check "$opt" "$readme"
  check_rendered "$opt"
done
for cmd in $("$bin" --help | awk '/^Subcommands:/{on=1;next} on&&NF{print $1}'); do
  for sub in $("$bin" "$cmd" --help | awk '/^Subcommands:/{on=1;next} on&&NF{print $1}'); do
    check "$cmd $sub" "$man"
    check_rendered "$cmd $sub"
    for opt in $("$bin" "$cmd" "$sub" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
      check "$opt" "$man"
      check_rendered "$opt"
    done
  done
  check "$cmd" "$man"
done
for code in 0 1 3 64 65 69 73 75 77; do
  check "**$code**" "$man"
done
# Every heading of the source is a heading of the page (a heading glued to the paragraph above
# it is lost): "# NAME" as "NAME" at the margin, "## cache clean" as "   cache clean".
while IFS= read -r heading; do
  level=${heading%%[!#]*}
  text=$(sed -E 's/^#+ //; s/[*\\]//g' <<<"$heading")
  indent=""
  [[ ${#level} -gt 1 ]] && indent="   "
  if ! grep -qxF -- "$indent$text" "$rendered_lines"; then
    echo "section heading missing from the rendered man page: $text" >&2
    fail=1
  fi
done < <(grep -E '^#{1,2} ' "$man")
for placeholder in '<uv>/.lock' '<huggingface>/hub' '<torch>/hub'; do
  check_rendered "$placeholder"
done
if grep -qP '[\x{2013}\x{2014}]' "$rendered"; then
  echo "the rendered man page has en or em dashes (smart typography):" >&2
  grep -oP '.{0,30}[\x{2013}\x{2014}].{0,30}' "$rendered" | head -5 >&2
  fail=1
fi
exit $fail
