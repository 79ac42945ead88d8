#!/usr/bin/env bash
# Concurrent `user add` processes are serialized by the lock: 8 at once all succeed and the
# registry (written atomically) holds all 8. Then 25 `user add` processes are SIGKILLed at
# random moments: the registry still parses, every user it lists has an account, and the lock
# is not stuck (a killed process releases it): the next `user add` succeeds at once.
source "$(dirname "$0")/lib/vserver.sh"
vs_main "$@"
/usr/bin/python3 -c 'import tomllib' 2>/dev/null || vs_skip "python3 has no tomllib (needs Python >= 3.11)"

REG=/data/system/config/users.toml
# registry_check: parses the registry with tomllib, prints the sorted user names, and fails
# when a registered user has no account or another uid than the account.
# shellcheck disable=SC2317  # called through vs_try
registry_check() {
  vs_run "/usr/bin/python3 - <<'EOF'
import pwd, sys, tomllib
with open('$REG', 'rb') as f:
    reg = tomllib.load(f)
users = reg.get('users', {})
for name, rec in sorted(users.items()):
    try:
        pw = pwd.getpwnam(name)
    except KeyError:
        sys.exit(f'registered user {name} has no account')
    if pw.pw_uid != rec['uid']:
        sys.exit(f'registered user {name}: uid {rec[\"uid\"]} in the registry, {pw.pw_uid} in passwd')
print(' '.join(sorted(users)))
EOF"
}

vs_boot
vs_setup

vs_step "8 user add at once"
vs_try vs_run 'for i in 1 2 3 4 5 6 7 8; do
    aicactl user add "u$i" >"/tmp/add-u$i.out" 2>&1 &
  done
  fails=0
  for job in $(jobs -p); do wait "$job" || fails=$((fails + 1)); done
  for i in 1 2 3 4 5 6 7 8; do echo "== u$i"; cat "/tmp/add-u$i.out"; done
  exit "$fails"'
VS_LAST_CMD="8 x aicactl user add uN in parallel"
vs_assert_rc 0 "number of parallel user adds that failed"
vs_try registry_check
VS_LAST_CMD="parse $REG"
vs_assert_rc 0
vs_assert_eq "u1 u2 u3 u4 u5 u6 u7 u8" "$VS_OUT" "users in the registry after 8 parallel adds"
for i in 1 8; do
  vs_assert_eq "/data/users/u$i" "$(vs_run "readlink /home/u$i")" "target of /home/u$i"
  vs_assert_stat "/data/users/u$i" "750 u$i u$i"
done
vs_assert_eq 8 "$(vs_run 'getent group gpu-users | cut -d: -f4 | tr , "\n" | grep -c "^u[1-8]$"')" "u1..u8 in gpu-users"

vs_step "25 user add killed with SIGKILL at random moments (5 at a time, after 5..1205 ms)"
# A /etc/skel with many files makes a home's creation take a while, so that some kills land
# in the middle of it (a site's skel with a few dotfile frameworks is not unusual).
vs_run 'mkdir -p /etc/skel/.local/share/skel-many && cd /etc/skel/.local/share/skel-many && for i in $(seq 1 1500); do echo "$i" > "f$i"; done'
vs_try vs_run 'for batch in 1 2 3 4 5; do
    for j in 1 2 3 4 5; do
      n=$(( (batch - 1) * 5 + j ))
      delay=$(awk -v r="$RANDOM" "BEGIN { printf \"%.3f\", 0.005 + (r % 1200) / 1000 }")
      timeout -s KILL "$delay" aicactl user add "k$n" >/dev/null 2>&1 &
    done
    wait
  done
  echo done'
vs_assert_rc 0 "the kill loop"
vs_try registry_check
VS_LAST_CMD="parse $REG after the killed adds"
vs_assert_rc 0
vs_log "registered after the kills: $VS_OUT"
for i in 1 2 3 4 5 6 7 8; do
  vs_assert_contains " $VS_OUT " " u$i " "registered users after the killed adds"
done
vs_assert_stat "$REG" '644 root root'
vs_log "homes not owned by their user after the kills: $(vs_run 'cd /data/users && for d in k*; do [ "$(stat -c %U "$d")" = "$d" ] || printf "%s(%s) " "$d" "$(stat -c "%U %a" "$d")"; done')"
vs_log "/data/system/config: $(vs_run 'ls -A /data/system/config' | tr '\n' ' ')"
vs_assert_stat /run/aicactl '700 root root'
vs_log "/run/aicactl: $(vs_run 'ls -la /run/aicactl' | tr '\n' ' ')"

vs_step "the lock is free: the next user add works at once"
vs_try vs_run 'start=$(date +%s%N); timeout -s KILL 10 aicactl user add z1; rc=$?; end=$(date +%s%N)
  echo "took $(( (end - start) / 1000000 )) ms"; exit $rc'
VS_LAST_CMD="timeout 10 aicactl user add z1"
vs_assert_rc 0
ms="$(sed -n 's/^took \([0-9]*\) ms$/\1/p' <<<"$VS_OUT")"
vs_log "user add z1 took $ms ms"
((ms < 5000)) || vs_fail "user add z1 after the killed adds took $ms ms (a stuck lock?)"
vs_try registry_check
vs_assert_rc 0
vs_assert_contains " $VS_OUT " " z1 " "users in the registry after user add z1"
vs_assert_eq /data/users/z1 "$(vs_run 'readlink /home/z1')" "target of /home/z1"

vs_step "a killed add is finished by running it again"
vs_try vs_run 'fails=0
  for n in $(seq 1 25); do
    aicactl user add "k$n" >/tmp/again.out 2>&1 || { fails=$((fails + 1)); echo "== k$n"; cat /tmp/again.out; }
  done
  exit "$fails"'
VS_LAST_CMD="aicactl user add k1..k25 again"
vs_assert_rc 0 "number of repeated adds of k1..k25 that failed"
vs_try registry_check
vs_assert_rc 0
vs_assert_eq 34 "$(wc -w <<<"$VS_OUT")" "number of registered users (u1..u8, k1..k25, z1)"
vs_aicactl user repair --all
vs_assert_rc 0
vs_pass
