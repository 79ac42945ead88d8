#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The .deb (made by the deb.package fixture) passes lintian with no error, and its control
# fields say what the package promises: glibc as its only dependency, the optional helpers as
# Recommends/Suggests, and maintainer scripts that never run setup nor name /data.
# Usage: lintian_test.sh PACKAGE.deb
set -euo pipefail
deb=$1
fail() {
  printf 'deb.lintian: FAIL: %s\n' "$*" >&2
  exit 1
}
[[ -f $deb ]] || fail "no package at '$deb'"
command -v lintian >/dev/null || fail "lintian is not installed (scripts/bootstrap installs it)"

field() { dpkg-deb -f "$deb" "$1"; }
[[ $(field Package) == aicactl ]] || fail "Package is '$(field Package)'"
[[ $(field Depends) == "libc6 (>= 2.36)" ]] || fail "Depends is '$(field Depends)', not glibc alone"
[[ $(field Recommends) == *libcurl4* ]] || fail "libcurl4 is not recommended: '$(field Recommends)'"
[[ $(field Suggests) == *mail-transport-agent* ]] || fail "no MTA suggested: '$(field Suggests)'"

files=$(dpkg-deb -c "$deb" | awk '{ print $6 }')
for f in ./usr/sbin/aicactl ./usr/share/man/man8/aicactl.8.gz ./usr/share/bash-completion/completions/aicactl \
  ./lib/systemd/system/aicactl-recover.service ./usr/share/doc/aicactl/copyright \
  ./usr/share/doc/aicactl/examples/aicactl.toml; do
  grep -qxF -- "$f" <<<"$files" || fail "the package lacks '$f'"
done
if grep -E '^\./data(/|$)' <<<"$files"; then fail "the package ships files on /data"; fi

scripts=$(mktemp -d)
trap 'rm -rf -- "$scripts"' EXIT
dpkg-deb -e "$deb" "$scripts/control"
for s in "$scripts"/control/{preinst,postinst,prerm,postrm}; do
  [[ -f $s ]] || continue
  # Comments and messages may name what the script leaves alone; no command may run aicactl or touch /data.
  if grep -vE '^\s*(#|echo )' "$s" | grep -nE '/data|aicactl +(setup|recover|repair|user|cache)'; then
    fail "$(basename "$s") runs aicactl or names /data"
  fi
done

# --fail-on error: exit non-zero on any error tag (warnings are printed, not fatal).
out=$(lintian --fail-on error --tag-display-limit 0 "$deb" 2>&1) || {
  printf '%s\n' "$out" >&2
  fail "lintian reports errors"
}
printf '%s\n' "$out"
if grep -E '^E: ' <<<"$out"; then fail "lintian reports errors"; fi
echo "deb.lintian: PASS ($deb)"
