#!/usr/bin/env bash
# Crash consistency under injected faults (strace -f -e inject): `setup`, `user add` and
# `recover` (after a re-image) get EIO at a sample of the k-th write, fsync and rename (first and
# last included, at least 30 faults per command; with -f every process counts its own calls, so
# useradd/groupadd are hit too). After each faulty run either the command exited non-zero or the
# server is whole; one re-run always exits 0 and leaves it whole (every account with its shadow
# entry and primary group, every group with its gshadow entry, the users it made able to
# `su -`, doctor clean), and a third run changes nothing. Then SIGKILL at random points of the
# same commands, each followed by a re-run that converges and leaves no temp file of ours behind.
source "$(dirname "$0")/lib/vserver.sh"
vs_main "$@"
command -v strace >/dev/null || vs_skip "strace is not installed on the host (scripts/bootstrap installs it)"

SAMPLES=${CRASH_SAMPLES:-10}  # per syscall class and command: 3 classes -> 30 faults per command
KILLS=${CRASH_KILLS:-4}       # SIGKILLs per command
CLASSES=(write fsync rename)
declare -A SYSCALLS=([write]="write" [fsync]="fsync,fdatasync" [rename]="rename,renameat,renameat2")

# The whole-server check, run inside: prints one line per problem, nothing when whole.
# shellcheck disable=SC2016  # expanded inside the server
WHOLE='
for u in $(cut -d: -f1 /etc/passwd); do grep -q "^$u:" /etc/shadow || echo "account $u has no shadow entry"; done
for g in $(cut -d: -f1 /etc/group); do grep -q "^$g:" /etc/gshadow || echo "group $g has no gshadow entry"; done
while IFS=: read -r u _ _ gid _; do getent group "$gid" >/dev/null || echo "account $u: primary gid $gid has no group"; done </etc/passwd
ls -a /etc /etc/sudoers.d /etc/profile.d /etc/conda /etc/uv /data/system/bin /data/system/config /data/users /home 2>/dev/null \
  | grep -F ".aicactl-" | sed "s/^/temp file left: /"
ls -d /tmp/aicactl-npm-* 2>/dev/null | sed "s/^/npm scratch dir left: /"
for u in $USERS_WANTED; do
  id "$u" >/dev/null 2>&1 || { echo "user $u is missing"; continue; }
  id -nG "$u" | tr " " "\n" | grep -qx gpu-users || echo "user $u is not in gpu-users"
  su - "$u" -c true </dev/null >/dev/null 2>&1 || echo "user $u cannot log in (su -)"
  test -L "/home/$u" || echo "/home/$u is not a link"
done
aicactl doctor >/tmp/doctor.out 2>&1 || { echo "doctor:"; grep "^✗" /tmp/doctor.out; }
'

# whole 'users': the problems of the server (empty when whole).
whole() { vs_run "USERS_WANTED='$1'; $WHOLE" 2>&1 || true; }

# count CLASS 'command': the most calls of CLASS that one process of the command makes.
count() {
  vs_run "rm -rf /tmp/cnt && mkdir /tmp/cnt && strace -f -ff -qq -o /tmp/cnt/t -e trace=${SYSCALLS[$1]} $2 >/dev/null 2>&1;
          for f in /tmp/cnt/t.*; do grep -c . \"\$f\"; done | sort -n | tail -n 1"
}

# ks N: SAMPLES values of k from 1 to N, first and last included.
ks() {
  python3 -c 'import sys; n, s = int(sys.argv[1]), int(sys.argv[2]); print(*sorted({round(1 + i * (n - 1) / max(s - 1, 1)) for i in range(s)}))' "$1" "$SAMPLES"
}

# converge WHAT 'users' 'command': after a fault, one re-run exits 0 and leaves the server whole;
# a third run changes nothing.
converge() {
  local what=$1 users=$2 cmd=$3 problems
  vs_try vs_run "aicactl --json $cmd"
  [[ $VS_RC == 0 ]] || vs_fail "$what: the re-run exited $VS_RC"
  problems="$(whole "$users")"
  [[ -z $problems ]] || vs_fail "$what: the server is not whole after one re-run:
$problems"
  vs_try vs_run "aicactl --json $cmd"
  [[ $VS_RC == 0 ]] || vs_fail "$what: the third run exited $VS_RC"
  vs_assert_eq 0 "$(vs_json 'j["summary"]["changed"]')" "summary.changed of the third run ($what)"
  vs_log "$what: converged"
}

# after_fault WHAT RC 'users': a run that exited 0 must have left the server whole.
after_fault() {
  local what=$1 rc=$2 users=$3 problems
  if [[ $rc == 0 ]]; then
    problems="$(whole "$users")"
    [[ -z $problems ]] || vs_fail "$what exited 0 but left the server broken:
$problems"
  fi
}

TOTAL=0
STATS=""

vs_boot
vs_step "setup under faults (each on a fresh server)"
vs_reboot --wipe-data
for class in "${CLASSES[@]}"; do
  n="$(count "$class" "aicactl setup --init")"
  for k in $(ks "$n"); do
    vs_reboot --wipe-data
    rc=0
    vs_run "strace -f -qq -o /dev/null -e inject=${SYSCALLS[$class]}:error=EIO:when=$k aicactl setup --init >/dev/null 2>&1" || rc=$?
    after_fault "setup with EIO at $class #$k of $n" "$rc" ""
    converge "setup after EIO at $class #$k" "" "setup --init"
    TOTAL=$((TOTAL + 1))
  done
  STATS+=" setup/$class:$n"
done

vs_step "user add under faults (a new user each time)"
vs_reboot --wipe-data
vs_setup
i=0
for class in "${CLASSES[@]}"; do
  n="$(count "$class" "aicactl user add probe$class")"
  for k in $(ks "$n"); do
    i=$((i + 1))
    rc=0
    vs_run "strace -f -qq -o /dev/null -e inject=${SYSCALLS[$class]}:error=EIO:when=$k aicactl user add u$i >/dev/null 2>&1" || rc=$?
    after_fault "user add u$i with EIO at $class #$k of $n" "$rc" "$([[ $rc == 0 ]] && echo "u$i")"
    converge "user add u$i after EIO at $class #$k" "u$i" "user add u$i"
    TOTAL=$((TOTAL + 1))
  done
  STATS+=" user-add/$class:$n"
done

vs_step "recover after a re-image under faults"
vs_reboot --wipe-data
vs_setup
for u in alice bob; do
  vs_aicactl user add "$u"
  vs_assert_rc 0 "user add $u"
done
for class in "${CLASSES[@]}"; do
  vs_reboot
  n="$(count "$class" "aicactl recover")"
  for k in $(ks "$n"); do
    vs_reboot
    rc=0
    vs_run "strace -f -qq -o /dev/null -e inject=${SYSCALLS[$class]}:error=EIO:when=$k aicactl recover >/dev/null 2>&1" || rc=$?
    after_fault "recover with EIO at $class #$k of $n" "$rc" "alice bob"
    converge "recover after EIO at $class #$k" "alice bob" "recover"
    TOTAL=$((TOTAL + 1))
  done
  STATS+=" recover/$class:$n"
done
vs_log "faults injected: $TOTAL (calls per process:$STATS)"

# kill_at 'command' SECONDS: starts the command, SIGKILLs it and every process it started after
# SECONDS (its own process group), then waits for it.
kill_at() {
  vs_run "setsid $1 >/dev/null 2>&1 & pid=\$!; sleep $2; kill -KILL -- -\$pid 2>/dev/null; wait \$pid; true"
}

# delays MS: KILLS delays in seconds spread over (0, MS], jittered.
delays() {
  python3 -c 'import random, sys; t, n = float(sys.argv[1]) / 1000, int(sys.argv[2]); print(*("%.3f" % (t * (i + random.random()) / n) for i in range(n)))' "$1" "$KILLS"
}

# timed 'command': its run time in milliseconds.
timed() { vs_run "s=\$(date +%s%N); $1 >/dev/null 2>&1; e=\$(date +%s%N); echo \$(( (e - s) / 1000000 ))"; }

vs_step "SIGKILL at random points"
vs_reboot --wipe-data
t="$(timed "aicactl setup --init")"
for d in $(delays "$t"); do
  vs_reboot --wipe-data
  kill_at "aicactl setup --init" "$d"
  converge "setup killed after ${d}s of ${t}ms" "" "setup --init"
done
t="$(timed "aicactl user add killprobe")"
for d in $(delays "$t"); do
  i=$((i + 1))
  kill_at "aicactl user add k$i" "$d"
  converge "user add k$i killed after ${d}s of ${t}ms" "k$i" "user add k$i"
done
for u in alice bob; do vs_aicactl user add "$u"; done
vs_reboot
t="$(timed "aicactl recover")"
for d in $(delays "$t"); do
  vs_reboot
  kill_at "aicactl recover" "$d"
  converge "recover killed after ${d}s of ${t}ms" "alice bob" "recover"
done
vs_pass
