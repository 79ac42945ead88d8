#!/usr/bin/env bash
# The lock lives in a root-only /run/aicactl (never a world-writable dir) and setup logs to
# /var/log/aicactl.log; after a reboot (fresh /run, /var/log) the binary on /data recreates both.
# A held lock is waited for at most --wait seconds, naming its holder, then exit 75.
source "$(dirname "$0")/lib/vserver.sh"
vs_main "$@"

check_lock_and_log() {
  local when=$1
  vs_assert_stat /run/aicactl '700 root root directory' '%a %U %G %F'
  vs_assert_eq "" "$(vs_run 'find /run/aicactl -mindepth 1 \( -perm -o+w -o -perm -g+w -o ! -user root \) -printf "%p %m %u\n"')" \
    "group/world-writable or non-root entries in /run/aicactl ($when)"
  # /tmp and /run/lock are the server's own tmpfs; /var/tmp is the image's, so look only at
  # what was written there since boot (the overlay's upper layer).
  vs_assert_eq "" "$(vs_run 'find /tmp /run/lock -mindepth 1 2>/dev/null'; [[ ! -d $VS_STATE/up/var/tmp ]] || find "$VS_STATE/up/var/tmp" -mindepth 1)" \
    "files left in world-writable dirs ($when)"
  vs_assert_match '^[0-7]*[0-7][0-7][0145] root$' "$(vs_stat /var/log/aicactl.log '%a %U')" \
    "/var/log/aicactl.log root-owned and not world-writable ($when)"
  vs_assert_ok 'test -s /var/log/aicactl.log' "/var/log/aicactl.log is not empty ($when)"
  local log
  log="$(vs_run 'cat /var/log/aicactl.log')"
  vs_assert_contains "$log" "setup" "/var/log/aicactl.log ($when)"
  vs_assert_contains "$log" "/data/cache/pip" "/var/log/aicactl.log names what setup created ($when)"
}

vs_boot
vs_assert_absent /run/aicactl
vs_assert_absent /var/log/aicactl.log
vs_step "setup"
vs_setup
check_lock_and_log "after setup"
lines_after_first="$(vs_run 'wc -l < /var/log/aicactl.log')"

vs_step "a second setup appends, the lock dir stays"
vs_setup
vs_assert_stat /run/aicactl '700 root root'
lines_after_second="$(vs_run 'wc -l < /var/log/aicactl.log')"
((lines_after_second > lines_after_first)) \
  || vs_fail "a second setup did not append to /var/log/aicactl.log ($lines_after_first -> $lines_after_second lines)"

vs_step "setup waits for (or refuses) a held lock and changes nothing meanwhile"
vs_run 'chmod 0700 /data/cache/uv'
uv_mode="$(vs_stat /data/cache/uv %a)"
vs_try vs_run 'set -e
  files=$(find /run/aicactl -mindepth 1 -maxdepth 1 -type f)
  [ -n "$files" ] || { echo "no lock file in /run/aicactl" >&2; exit 2; }
  for f in $files; do flock -x "$f" sleep 6 & done
  sleep 0.5
  rc=0; timeout 3 aicactl setup || rc=$?
  echo "setup-rc=$rc"
  echo "uv-mode=$(stat -c %a /data/cache/uv)"
  wait'
vs_assert_rc 0 "holding the lock"
vs_assert_not_contains "$VS_OUT" "setup-rc=0" "setup while another process holds the lock (expected to wait or fail)"
vs_assert_contains "$VS_OUT" "uv-mode=$uv_mode" "/data/cache/uv while the lock was held (setup must not act without the lock)"
vs_setup
vs_assert_stat /data/cache/uv '2775 root gpu-users'

vs_step "--wait SECONDS: says who holds the lock, then gives up with exit 75"
vs_try vs_run 'flock -x /run/aicactl/lock sleep 4 &
  sleep 0.5
  start=$(date +%s%N)
  rc=0; aicactl --wait 1 setup || rc=$?
  echo "setup-rc=$rc ms=$(( ($(date +%s%N) - start) / 1000000 ))"
  wait'
vs_assert_contains "$VS_OUT" "setup-rc=75" "setup --wait 1 while the lock is held"
vs_assert_match 'ms=(1[0-9]{3}|2[0-9]{3}) ' "$VS_OUT " "setup --wait 1 gave up after about a second"
vs_assert_contains "$VS_ERR" "Waiting up to 1 s for the lock '/run/aicactl/lock', held by pid " "stderr of setup --wait 1"
vs_assert_contains "$VS_ERR" "(flock -x /run/aicactl/lock sleep 4)" "stderr of setup --wait 1 (the holder's command line)"
vs_assert_contains "$VS_ERR" "Gave up after 1 s" "stderr of setup --wait 1"

vs_step "a world-writable lock dir is not used as is"
vs_reboot
vs_run 'mkdir -m 0777 /run/aicactl'
vs_aicactl setup
if [[ $VS_RC == 0 ]]; then
  vs_assert_stat /run/aicactl '700 root root'
else
  vs_assert_contains "$VS_ERR" "/run/aicactl" "error for a world-writable /run/aicactl"
fi

vs_step "reboot: the binary on /data recreates lock dir and log"
vs_reboot --no-install
vs_assert_absent /usr/local/sbin/aicactl
vs_assert_absent /run/aicactl
vs_try vs_run '/data/system/bin/aicactl setup'
vs_assert_rc 0 "/data/system/bin/aicactl setup after a reboot"
check_lock_and_log "after reboot + setup"
vs_pass
