#!/usr/bin/env bash
# On a terminal (a pty made by script(1)), walks over large trees (cache repair, disk usage, acl
# backup/restore, cache clean, a home copied across file systems) show a one-line progress
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

# cache clean empties what it walks: the pip cache is filled again before each run.
fill_pip='rm -rf /data/cache/pip/tree && mkdir -p /data/cache/pip/tree && cd /data/cache/pip/tree && for d in $(seq 1 20); do mkdir d$d; for f in $(seq 1 50); do echo x > d$d/f$f; done; done'
vs_step "cache clean --pip"
vs_run "$fill_pip"
out=$(on_tty "AICACTL_PROGRESS_AFTER_MS=0 aicactl cache clean --pip")
vs_assert_match "aicactl: cache clean: [1-9][0-9]* entries, [0-9.]+[BKMG], [0-9]+ entries/s" "$out" "cache clean on a terminal"
vs_assert_eq 0 "$(vs_run 'find /data/cache/pip -type f | wc -l')" "files left by cache clean on a terminal"
for quiet in '' '--json' '-q'; do
  vs_run "$fill_pip"
  vs_assert_not_contains "$(vs_run "AICACTL_PROGRESS_AFTER_MS=0 aicactl $quiet cache clean --pip" 2>&1)" "entries/s" \
    "cache clean $quiet when stderr is not a terminal"
  vs_run "$fill_pip"
  [[ -z $quiet ]] && continue
  vs_assert_not_contains "$(on_tty "AICACTL_PROGRESS_AFTER_MS=0 aicactl $quiet cache clean --pip")" "entries/s" \
    "$quiet cache clean on a terminal"
done

# /home is on the root file system and /data on another: user add copies the home, and the copy
# is counted as the target file system's inodes and blocks grow.
vs_step "home copy (user add of an account with a real /home)"
vs_run 'useradd -m -s /bin/bash zed && mkdir /home/zed/many && for i in $(seq 1 3000); do echo $i > /home/zed/many/f$i; done && chown -R zed:zed /home/zed'
out=$(on_tty "AICACTL_PROGRESS_AFTER_MS=0 aicactl user add zed")
vs_assert_match "aicactl: home copy: [1-9][0-9]* entries, [0-9.]+[BKMG], [0-9]+ entries/s" "$out" "home copy on a terminal"
vs_assert_eq 3000 "$(vs_run 'ls /data/users/zed/many | wc -l')" "files of zed's home on /data"
vs_run 'useradd -m -s /bin/bash yan && echo y > /home/yan/y && chown yan:yan /home/yan/y'
vs_assert_not_contains "$(vs_run 'AICACTL_PROGRESS_AFTER_MS=0 aicactl user add yan' 2>&1)" "entries/s" \
  "home copy when stderr is not a terminal"
vs_pass
