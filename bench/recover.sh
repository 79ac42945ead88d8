#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Times `aicactl recover` with 100 registered users on the virtual server (tests/e2e/lib):
# healthy (nothing to do) and after a full re-image (every account, link and env file gone).
# Usage (root): AICACTL_BIN=build/aicactl bench/recover.sh     BENCH_USERS=100 by default.
# Nothing outside the virtual server changes (see tests/e2e/README.md, "Containment").
# shellcheck source=../tests/e2e/lib/vserver.sh disable=SC2016  # the vserver expands the quoted commands
source "$(dirname "$0")/../tests/e2e/lib/vserver.sh"
vs_main "$@"
n=${BENCH_USERS:-100}

vs_boot
vs_setup
vs_step "registering $n users"
vs_run "for i in \$(seq 1 $n); do aicactl -q user add u\$i >/dev/null || exit 1; done"
vs_assert_rc 0

# time_recover LABEL: median of 3 runs of recover, in seconds (the last output is kept).
time_recover() {
  local t
  t=$(vs_run 'for r in 1 2 3; do s=$(date +%s.%N); /data/system/bin/aicactl -q recover >/dev/null || exit 1; e=$(date +%s.%N); awk -v s=$s -v e=$e "BEGIN{printf \"%.3f\\n\", e-s}"; done | sort -n | sed -n 2p')
  echo "$t"
}

vs_step "healthy server"
healthy=$(time_recover)
vs_log "recover, healthy: ${healthy} s (median of 3)"

vs_step "after a re-image"
vs_reboot --no-install
reimage=$(vs_run 's=$(date +%s.%N); /data/system/bin/aicactl -q recover >/dev/null; rc=$?; e=$(date +%s.%N); awk -v s=$s -v e=$e "BEGIN{printf \"%.3f\\n\", e-s}"; exit $rc')
vs_assert_rc 0
back=$(vs_run "for i in \$(seq 1 $n); do id -u u\$i >/dev/null 2>&1 && [ -L /home/u\$i ] && echo ok; done | wc -l")
vs_log "recover, re-image: ${reimage} s; users back: ${back}/${n}"

printf '\n%-28s %10s %10s\n' "recover with $n users" "seconds" "target"
printf '%-28s %10s %10s\n' "healthy (nothing to do)" "$healthy" "<= 0.4"
printf '%-28s %10s %10s\n' "re-image (all back: $back)" "$reimage" "< 3"
vs_pass
