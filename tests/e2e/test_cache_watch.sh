#!/usr/bin/env bash
# `cache watch` (fanotify) repairs entries of the shared caches as they appear: alice (umask 077)
# creates files and directories, renames into the cache, moves a tree in, chmods a file 600, and
# bob can read and write them within a deadline (polled), with no `cache repair` run. Planted
# symlinks and hard links, a bind mount and another file system inside a cache are left alone. A
# full event queue (the watcher paused by a test-only variable, then a flood) makes it run one
# repair pass; a stopped watcher loses nothing (the next `cache repair` finds what it missed).
source "$(dirname "$0")/lib/vserver.sh"
vs_main "$@"

C=/data/cache/pip
DEADLINE=5 # seconds; the latency target (50 ms at p99) is measured by bench/watch.sh
WATCHER_PID=""

# Starts the watcher as a process of the server (its own vs_run, in the background), with the
# environment given, and waits until it has recorded its state.
start_watcher() {
  vs_run "rm -f /run/aicactl/cache-watch.state"
  vs_run "$* aicactl -v cache watch >>/run/cache-watch.log 2>&1" >/dev/null 2>&1 &
  WATCHER_PID=$!
  vs_run "for i in \$(seq 300); do test -s /run/aicactl/cache-watch.state && exit 0; sleep 0.1; done; exit 1" \
    || vs_fail "the watcher did not start: $(vs_run 'cat /run/cache-watch.log')"
}

# Kills the watcher's server process (SIGKILL: nothing is saved on the way out) and waits until
# its instance lock is free.
stop_watcher() {
  local children
  children="$(children_of "$WATCHER_PID")"
  # shellcheck disable=SC2086 # a list of pids
  kill -KILL $children "$WATCHER_PID" 2>/dev/null || true
  wait "$WATCHER_PID" 2>/dev/null || true
  WATCHER_PID=""
  vs_run "for i in \$(seq 100); do flock -n /run/aicactl/cache-watch.lock true && exit 0; sleep 0.1; done; exit 1" \
    || vs_fail "the watcher still runs after SIGKILL"
}

# poll_as USER 'command' WHAT [SECONDS]: the command succeeds as USER within SECONDS (DEADLINE).
poll_as() {
  local user=$1 cmd=$2 what=$3 deadline=${4:-$DEADLINE}
  vs_run "end=\$((\$(date +%s%N) + $deadline * 1000000000))
    until su -s /bin/sh $user -c $(printf '%q' "$cmd") >/dev/null 2>&1; do
      [ \$(date +%s%N) -lt \$end ] || exit 1
      sleep 0.02
    done" || vs_fail "$what: not within $deadline s: $(vs_run 'tail -5 /run/cache-watch.log')"
}

UNIT=/etc/systemd/system/aicactl-cache-watch.service
REPO_UNIT="$VS_E2E_DIR/../../systemd/aicactl-cache-watch.service"

# check_unit 'when': setup's (or recover's) unit is the repository's, verifies cleanly, is enabled.
check_unit() {
  local when=$1
  vs_assert_same_text "$UNIT $when vs. the repository's" "$(cat "$REPO_UNIT")" "$(vs_run "cat $UNIT")"
  vs_try vs_run "systemd-analyze --man=no verify $UNIT"
  VS_LAST_CMD="systemd-analyze --man=no verify $UNIT ($when)"
  vs_assert_rc 0
  vs_assert_eq "" "$VS_ERR$VS_OUT" "output of systemd-analyze verify $when (warnings)"
  vs_try vs_run 'systemctl --root=/ is-enabled aicactl-cache-watch.service'
  vs_assert_eq enabled "$VS_OUT" "systemctl is-enabled aicactl-cache-watch.service $when"
}

vs_boot
vs_setup
vs_step "setup installs and enables the unit"
check_unit "after setup"
vs_run 'useradd -m -G gpu-users alice && useradd -m -G gpu-users bob && useradd -m mallory'
vs_run "set -e
  install -m 600 /dev/null /data/aicactl-secret && echo root-secret > /data/aicactl-secret
  mkdir -m 700 /data/alice-private && chown alice:alice /data/alice-private
  mkdir $C/bound $C/mnt"
vs_mount_bind /data/alice-private "$C/bound"
vs_mount_tmpfs "$C/mnt" size=1m,mode=0777

vs_step "the watcher starts (one repair pass) and says so"
start_watcher
vs_aicactl cache watch --status --json
vs_assert_rc 0
vs_assert_eq true "$(vs_json 'j["running"]')" "--status while it runs"
vs_assert_eq 1 "$(vs_json 'j["passes"]')" "the start's repair pass"
# doctor checks the watcher where systemd would run it (/run/systemd/system, as sd_booted tests).
vs_run "mkdir -p /run/systemd/system"
vs_aicactl doctor
vs_assert_rc 0 "doctor with the watcher running"
vs_assert_contains "$VS_OUT" "✓ cache watch (aicactl-cache-watch.service) runs: lag" "doctor's watcher line"

vs_step "alice (umask 077) writes; bob reads and writes within ${DEADLINE} s"
# Explicit modes, as pip's mkstemp and huggingface_hub do: the caches' default ACL makes the
# umask irrelevant for a plain `echo > file`.
vs_assert_as_ok alice "umask 077; set -e; cd $C
  install -m 600 /dev/null f600 && echo one > f600
  mkdir -m 700 d700 && install -m 600 /dev/null d700/inner && echo inner > d700/inner
  /usr/bin/python3 -c 'import os; os.makedirs(\"deep/a/b\", 0o700)'
  install -m 600 /dev/null deep/a/b/leaf && echo deep > deep/a/b/leaf
  /usr/bin/python3 -c 'import os, tempfile; fd, t = tempfile.mkstemp(dir=\".\"); os.write(fd, b\"whl\"); os.close(fd); os.rename(t, \"wheel.whl\")'
  mkdir -p ~/tree/sub && echo moved > ~/tree/sub/file && mv ~/tree $C/moved-tree" "alice writes into $C"
poll_as bob "cat $C/f600" "bob reads a 0600 file"
poll_as bob "cat $C/d700/inner && touch $C/d700/bob-file" "bob reads and creates in a 0700 dir"
poll_as bob "cat $C/deep/a/b/leaf && touch $C/deep/a/b/bob-file" "bob reads and creates in mkdir -p dirs"
poll_as bob "cat $C/wheel.whl" "bob reads a file renamed into place"
poll_as bob "cat $C/moved-tree/sub/file && touch $C/moved-tree/sub/bob-file" "bob reads inside a tree moved in"
vs_assert_stat "$C/f600" 'alice gpu-users' '%U %G'
vs_assert_match '^2[0-7]{3}$' "$(vs_stat "$C/d700" '%a')" "setgid on alice's 0700 dir"
vs_assert_acl_has "$C/d700" 'default:group:gpu-users:rwx'

vs_step "alice chmods a shared file 600: shared again"
vs_assert_as_ok alice "chmod 600 $C/f600" "alice chmod 600"
poll_as bob "echo more >> $C/f600" "bob writes it again"

vs_step "planted links, a bind mount and another file system are left alone"
vs_assert_as_ok alice "umask 077; ln -s /etc/shadow $C/evil-shadow && echo mine > $C/bound/private" "alice plants"
vs_run "ln /data/aicactl-secret $C/hardlink-secret && install -m 600 /dev/null $C/mnt/foreign"
vs_assert_as_ok alice "umask 077; install -m 600 /dev/null $C/canary" "alice writes a canary after the plants"
poll_as bob "cat $C/canary" "the canary (written last) is shared"
vs_assert_eq "root shadow 640" "$(vs_stat /etc/shadow '%U %G %a')" "/etc/shadow"
vs_assert_eq "root root 600 2" "$(vs_stat /data/aicactl-secret '%U %G %a %h')" "the hard-linked secret"
vs_assert_eq "alice alice 600" "$(vs_stat /data/alice-private/private '%U %G %a')" "alice's file behind the bind mount"
vs_assert_eq "alice alice 700" "$(vs_stat /data/alice-private '%U %G %a')" "the bind-mounted dir"
vs_assert_eq "root root 600" "$(vs_stat $C/mnt/foreign '%U %G %a')" "a file on another file system"
vs_assert_not_contains "$(vs_run "getfacl -p /data/aicactl-secret /data/alice-private/private")" gpu-users \
  "ACLs of the files not to touch"
# The state file is saved at most once a second while events come in: wait for the count.
for _ in $(seq 1 50); do
  vs_aicactl cache watch --status --json
  [[ $(vs_json 'j["skipped"]') =~ ^[1-9][0-9]*$ ]] && break
  sleep 0.1
done
vs_assert_match '^[1-9][0-9]*$' "$(vs_json 'j["repaired"]')" "repaired count"
vs_assert_match '^[1-9][0-9]*$' "$(vs_json 'j["skipped"]')" "the hard link is counted as skipped"
vs_assert_eq 0 "$(vs_json 'j["overflows"]')" "no overflow so far"

vs_step "cron's cache repair --unless-watched is left out while the watcher runs"
vs_aicactl -v cache repair --unless-watched
vs_assert_rc 0
vs_assert_contains "$VS_ERR" "cache watch runs and a complete repair ran within the hour: nothing to do" \
  "cache repair --unless-watched with the watcher running"

vs_step "a stopped watcher loses nothing: the next cache repair finds it"
stop_watcher
vs_aicactl cache watch --status --json
vs_assert_rc 3 "--status when not running"
vs_assert_eq false "$(vs_json 'j["running"]')" "--status after the stop"
vs_aicactl doctor
vs_assert_rc 3 "doctor with the watcher stopped"
vs_assert_contains "$VS_OUT" "✗ cache watch (aicactl-cache-watch.service) runs: not running" "doctor's watcher line"
vs_assert_as_ok alice "install -m 600 /dev/null $C/late && echo late > $C/late" "alice writes while nobody watches"
vs_run "sleep 1"
vs_assert_as_fails bob "cat $C/late" "bob reads a 0600 file while nobody watches"
vs_aicactl -v cache repair --unless-watched
vs_assert_rc 0
vs_assert_not_contains "$VS_ERR" "nothing to do" "cache repair --unless-watched with no watcher"
vs_assert_as_ok bob "cat $C/late" "bob reads it after cron's cache repair"

vs_step "a full event queue: one repair pass instead"
start_watcher "AICACTL_WATCH_TEST_PAUSE_MS=4000"
vs_assert_as_ok alice "umask 077; mkdir $C/flood && /usr/bin/python3 -c '
import os
for i in range(20000):
    os.close(os.open(\"$C/flood/%d\" % i, os.O_CREAT | os.O_WRONLY, 0o600))'" "alice creates 20000 files in a burst"
# The pass takes longer than one entry's repair: a generous deadline (a loaded CI machine).
poll_as bob "cat $C/flood/0 $C/flood/19999 && touch $C/flood/bob" "bob reads the flood's first and last files" 60
vs_run "for i in \$(seq 100); do grep -q '^overflows [1-9]' /run/aicactl/cache-watch.state && exit 0; sleep 0.1; done; exit 1" \
  || vs_fail "no overflow recorded: $(vs_run 'cat /run/aicactl/cache-watch.state')"
vs_assert_contains "$(vs_run 'cat /run/cache-watch.log')" "event queue overflowed" "the log says why it ran a pass"
vs_aicactl cache watch --status --json
vs_assert_match '^[2-9]$' "$(vs_json 'j["passes"]')" "the start's pass and the overflow's"
vs_assert_eq 0 "$(vs_run "find $C/flood ! -group gpu-users | wc -l")" "every flood file's group"
stop_watcher

vs_step "recover restores the unit after a re-image"
vs_reboot --no-install
vs_assert_absent "$UNIT"
vs_try vs_run '/data/system/bin/aicactl recover'
vs_assert_rc 0
check_unit "after recover"
vs_pass
