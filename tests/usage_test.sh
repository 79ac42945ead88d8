#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Bad usage is one line on stderr and exit 64 (nothing on stdout): a mistyped command or option
# is named with the nearest known name; an empty FILE is refused before anything is read.
# Valid command lines and help are unaffected.
set -uo pipefail
bin=${AICACTL_BIN:?}
fail=0
# expect ARGS... -- LINE: `aicactl ARGS` exits 64, prints nothing on stdout and exactly LINE on stderr.
expect() {
  local args=() out err rc
  while [[ $1 != -- ]]; do args+=("$1"); shift; done
  shift
  err=$("$bin" "${args[@]}" 2>&1 >/dev/null)
  rc=$?
  out=$("$bin" "${args[@]}" 2>/dev/null)
  if [[ $rc -ne 64 || -n $out || $err != "$1" ]]; then
    printf 'aicactl %s: exit %s, stdout %q\n  stderr:   %q\n  expected: %q\n' "${args[*]}" "$rc" "$out" "$err" "$1" >&2
    fail=1
  fi
}
expect usr add alice -- "aicactl: error: Unknown command 'aicactl usr'; did you mean 'aicactl user'?"
expect dcotor -- "aicactl: error: Unknown command 'aicactl dcotor'; did you mean 'aicactl doctor'?"
expect user ad alice -- "aicactl: error: Unknown command 'aicactl user ad'; did you mean 'aicactl user add'?"
expect cache cleen --pip -- "aicactl: error: Unknown command 'aicactl cache cleen'; did you mean 'aicactl cache clean'?"
expect frobnicate -- "aicactl: error: Unknown command 'aicactl frobnicate' (see 'aicactl --help')"
expect --bogus -- "aicactl: error: Unknown option '--bogus' for 'aicactl' (see 'aicactl --help')"
expect --dry-rn setup -- "aicactl: error: Unknown option '--dry-rn' for 'aicactl'; did you mean '--dry-run'?"
expect cache clean --pipp -- "aicactl: error: Unknown option '--pipp' for 'aicactl cache clean'; did you mean '--pip'?"
expect --config /x doctor --jsn -- "aicactl: error: Unknown option '--jsn' for 'aicactl doctor'; did you mean '--json'?"
expect acl backup '' -- "aicactl: error: acl backup: FILE is empty (name a file, or '-' for standard output)"
expect acl restore '' -- "aicactl: error: acl restore: FILE is empty (name a file, or '-' for standard input)"
# Not typos: help, and an error that is not an unknown word keeps CLI11's message.
"$bin" --help >/dev/null || { echo "aicactl --help failed" >&2; fail=1; }
"$bin" user add --help >/dev/null || { echo "aicactl user add --help failed" >&2; fail=1; }
err=$("$bin" user add 2>&1 >/dev/null)
rc=$?
if [[ $rc -ne 64 || $err == *Unknown* ]]; then
  echo "aicactl user add (missing NAME): exit $rc, $err" >&2
  fail=1
fi
exit $fail
