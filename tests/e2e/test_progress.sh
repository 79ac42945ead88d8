#!/usr/bin/env bash
# On a terminal (a pty made by script(1)), walks over large trees show a one-line progress
# display on stderr (entries, bytes, rate) once they have run for a while, redrawn in place and
# cleared before the results; never with --json or -q, never when stderr is not a terminal, and
# not for a walk shorter than the delay (one second by default; AICACTL_PROGRESS_AFTER_MS=0
# makes every walk long enough here).
source "$(dirname "$0")/lib/vserver.sh"
vs_main "$@"
command -v script >/dev/null || vs_skip "script (util-linux) is not installed on the host"

# on_tty 'ENV... aicactl ARGS': runs it on a pty as root; prints the terminal's transcript.
on_tty() {
  vs_run "script -qec $(printf '%q' "$1") /dev/null"
}

vs_boot
vs_setup
vs_run 'mkdir -p /data/cache/pip/tree && cd /data/cache/pip/tree && for d in $(seq 1 20); do mkdir d$d; for f in $(seq 1 50); do echo x > d$d/f$f; done; done'

for cmd in 'cache repair --full' 'disk usage' 'acl backup /tmp/acl.txt'; do
  what=${cmd% --full}
  what=${what% /tmp/acl.txt}
  vs_step "$cmd"
  out=$(on_tty "AICACTL_PROGRESS_AFTER_MS=0 aicactl $cmd")
  vs_assert_match "aicactl: $what: [0-9]+ entries, [0-9.]+[BKMG], [0-9]+ entries/s" "$out" "$cmd on a terminal"
  vs_assert_contains "$out" $'\r\e[K' "$cmd on a terminal (the line is cleared)"
  vs_try vs_run "AICACTL_PROGRESS_AFTER_MS=0 aicactl $cmd"
  vs_assert_rc 0
  vs_assert_not_contains "$VS_OUT$VS_ERR" "entries/s" "$cmd when stderr is not a terminal"
  vs_assert_not_contains "$(on_tty "AICACTL_PROGRESS_AFTER_MS=0 aicactl --json $cmd")" "entries/s" "--json $cmd on a terminal"
  vs_assert_not_contains "$(on_tty "AICACTL_PROGRESS_AFTER_MS=0 aicactl -q $cmd")" "entries/s" "-q $cmd on a terminal"
  vs_assert_not_contains "$(on_tty "aicactl $cmd")" "entries/s" "$cmd on a terminal, shorter than a second"
done

vs_step "acl restore"
out=$(on_tty "AICACTL_PROGRESS_AFTER_MS=0 aicactl acl restore /tmp/acl.txt")
vs_assert_match "aicactl: acl restore: [0-9]+ entries" "$out" "acl restore on a terminal"
vs_pass
