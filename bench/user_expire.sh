#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Times `aicactl user expire` with 1,000 registered users of whom 10 are due, on the virtual server
# (tests/e2e/lib): 10 notices due (the daily case), then 10 accounts reaching their expiry date
# (one usermod each: --remove --groups, --lock, --expiredate), then the no-op re-run. The clock is the test clock
# AICACTL_TEST_NOW. Target: <= 0.3 s with 10 due.
# Usage (root): AICACTL_BIN=build/aicactl bench/user_expire.sh     BENCH_USERS=1000 by default.
# shellcheck source=../tests/e2e/lib/vserver.sh disable=SC2016  # the vserver expands the quoted commands
source "$(dirname "$0")/../tests/e2e/lib/vserver.sh"
vs_main "$@"
n=${BENCH_USERS:-1000}
REG=/data/system/config/users.toml

vs_boot
vs_setup
vs_step "10 accounts expiring on 2030-01-15, $((n - 10)) registry rows expiring in 2031"
vs_run 'for i in $(seq 1 10); do aicactl -q user add due$i --expires 2030-01-15 >/dev/null || exit 1; done'
vs_assert_rc 0
vs_run "for i in \$(seq 1 $((n - 10))); do u=\$((20000 + i)); printf '\n[users.\"r%d\"]\nuid = %d\ngroup = \"r%d\"\ngid = %d\ngroups = []\nshell = \"/bin/bash\"\nexpires = \"2031-06-30\"\ncreated_at = \"2026-01-01T00:00:00Z\"\n' \$i \$u \$i \$u; done >> $REG"
vs_assert_rc 0
vs_assert_eq "$n" "$(vs_run "grep -c '^\[users\.' $REG")" "registered users"

# timed DATE: seconds of one `user expire` with the clock at noon on DATE
timed() {
  local now
  now=$(date -u -d "$1 12:00" +%s)
  vs_run "s=\$(date +%s.%N); AICACTL_TEST_NOW=$now /data/system/bin/aicactl -q user expire >/dev/null || exit 1; e=\$(date +%s.%N); awk -v s=\$s -v e=\$e 'BEGIN{printf \"%.3f\\n\", e-s}'"
}
notices=$(timed 2030-01-08)
vs_assert_rc 0
again=$(timed 2030-01-08)
expiry=$(timed 2030-01-15)
vs_assert_rc 0
noop=$(timed 2030-01-16)
# The floor: the no-op run plus the 10 usermod runs themselves (each rewrites and re-locks
# passwd, shadow, group and gshadow and tries nscd and sss_cache), timed alone.
usermods=$(vs_run "s=\$(date +%s.%N); for i in \$(seq 1 10); do usermod --expiredate 2029-01-01 -- due\$i || exit 1; done; e=\$(date +%s.%N); awk -v s=\$s -v e=\$e 'BEGIN{printf \"%.3f\\n\", e-s}'")
vs_assert_rc 0
floor=$(awk -v a="$noop" -v b="$usermods" 'BEGIN{printf "%.3f", a + b}')
locked=$(vs_run 'for i in $(seq 1 10); do getent shadow due$i | cut -d: -f2 | grep -c "^!"; done' | awk '{s+=$1} END{print s}')

printf '\n%-40s %10s %10s\n' "user expire, $n users, 10 due" "seconds" "target"
printf '%-40s %10s %10s\n' "10 notices due" "$notices" "<= 0.3"
printf '%-40s %10s %10s\n' "re-run, notices already sent" "$again" "<= 0.3"
printf '%-40s %10s %10s\n' "10 accounts expire (locked: $locked)" "$expiry" "<= 0.3"
printf '%-40s %10s %10s\n' "re-run, nothing to do" "$noop" "<= 0.3"
printf '%-40s %10s %10s\n' "floor: no-op run + 10 usermod alone" "$floor" ""
printf '%-40s %9sx\n' "10 accounts expire / floor" "$(awk -v a="$expiry" -v b="$floor" 'BEGIN{printf "%.2f", a / b}')"
vs_pass
