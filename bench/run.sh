#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# aicactl cache-repair benchmark (see bench/README.md).
#
#   sudo bench/run.sh                                   # 200,000 files / 20,000 dirs
#   sudo BENCH_FILES=20000 BENCH_DIRS=2000 bench/run.sh # quick run
#
# Environment:
#   BENCH_FILES   files in the tree (default 200000)
#   BENCH_DIRS    directories in the tree (default 20000)
#   BENCH_REPEAT  runs of each repeatable measurement (no-op repair, walks); the median is
#                 reported (default 3)
#   BENCH_GROUP   existing regular group (gid 1000-60000: aicactl refuses system groups) to share
#                 with (default: the first one getent lists); no group is created
#   BENCH_TMP     parent of the work dir; must be a real disk, not tmpfs (default /var/tmp)
#   BENCH_KEEP=1  keep the work dir
#   AICACTL, AICACTL_WALK_FLOOR   binaries (default: build-bench/ then build/ of this checkout)
#
# Everything happens below one work dir: the config points data_root, lock_dir and log_file
# there, so nothing on the host's /data, /etc, /run/aicactl or /var/log is touched.
# Exit status: 0 when every target passes and the trees check out, 1 otherwise, 2 on setup errors.
# shellcheck disable=SC2317  # functions run through check/time_once/trap look unreachable
set -euo pipefail
export LC_ALL=C

FILES=${BENCH_FILES:-200000}
DIRS=${BENCH_DIRS:-20000}
REPEAT=${BENCH_REPEAT:-3}
GROUP=${BENCH_GROUP:-$(getent group | awk -F: '$3 >= 1000 && $3 <= 60000 { print $1; exit }')}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)

die() { echo "run.sh: $*" >&2; exit 2; }

# shellcheck source=bench/lib.sh
source "$here/lib.sh"

[[ $(id -u) -eq 0 ]] || die "must run as root (setfacl, chgrp and cache repair need it)"
for tool in setfacl getfacl find python3 bc; do
  command -v "$tool" >/dev/null || die "$tool not found"
done
[[ -n $GROUP ]] && getent group "$GROUP" >/dev/null || die "group '$GROUP' does not exist (set BENCH_GROUP to an existing regular group)"
AICACTL=$(bench_bin aicactl "${AICACTL:-}")
FLOOR=$(bench_bin aicactl_walk_floor "${AICACTL_WALK_FLOOR:-}")

[[ $FILES =~ ^[0-9]+$ && $DIRS =~ ^[0-9]+$ && $REPEAT =~ ^[1-9][0-9]*$ ]] ||
  die "BENCH_FILES, BENCH_DIRS and BENCH_REPEAT must be numbers (BENCH_REPEAT at least 1)"
bench_workdir bench
A="$W/data/cache/pip"   # the tree aicactl repairs
P="$W/pipeline"         # the tree the shell pipeline repairs
F="$W/first-run-floor"  # the tree the first run's syscall floor changes
bench_config "$AICACTL" "$GROUP"

echo "== setup"
echo "aicactl:    $AICACTL"
echo "walk floor: $FLOOR"
echo "work dir:   $W ($FSTYPE)"
echo "machine:    $(nproc) CPUs, kernel $(uname -r)"
t0=$(date +%s.%N)
# The trees are made the same way, from the same seed: one made and then copied with `cp -a`
# would hold each directory's inodes together (cp copies a directory at a time) while the other
# keeps them spread in creation order, as in a cache that grew over time; that difference alone
# moved times by 10-25%.
python3 "$here/make_tree.py" --files "$FILES" --dirs "$DIRS" "$P"
python3 "$here/make_tree.py" --files "$FILES" --dirs "$DIRS" "$A"
python3 "$here/make_tree.py" --files "$FILES" --dirs "$DIRS" "$F"
sync
t1=$(date +%s.%N)
printf 'generated the three trees in %.1f s\n' "$(echo "$t1 - $t0" | bc -l)"

now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc -l; }

# warm TREE...: one listing walk and one stat walk, so every timing below is warm-cache.
warm() {
  local d
  for d in "$@"; do
    find "$d" >/dev/null
    find "$d" -printf '%m\n' >/dev/null
  done
}

# time_once CMD...: runs CMD once (stdout to $W/last.out, stderr to $W/last.err, shown if any)
# and prints "WALL CPU": wall-clock seconds and user+sys CPU seconds of CMD and its children.
time_once() {
  local rc=0 real user sys
  sync
  {
    TIMEFORMAT='%3R %3U %3S'
    time "$@" >"$W/last.out" 2>"$W/last.err" || rc=$?
  } 2>"$W/last.time"
  [[ -s $W/last.err ]] && sed 's/^/    | /' "$W/last.err" | head -20 >&2
  read -r real user sys <"$W/last.time"
  echo "$real $(echo "$user + $sys" | bc -l)"
  return "$rc"
}

# time_median N CMD...: runs CMD N times and prints the median "WALL CPU" (each column on its
# own); the runs, in order, go to $W/times.
time_median() {
  local n=$1 i
  shift
  : >"$W/times"
  for ((i = 0; i < n; i++)); do
    time_once "$@" >>"$W/times" || return
  done
  median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
  echo "$(cut -d' ' -f1 "$W/times" | median) $(cut -d' ' -f2 "$W/times" | median)"
}

# runs: the wall-clock seconds of the last time_median's runs, in the order they ran.
runs() { cut -d' ' -f1 "$W/times" | xargs printf '%.3f ' | sed 's/ $//'; }

repair() { "$AICACTL" --config "$CONFIG" --json cache repair; }
repair_full() { "$AICACTL" --config "$CONFIG" --json cache repair --full; }

# repair_counts: "entries changed status errors skipped" from the --json output in $W/last.out.
repair_counts() {
  python3 - "$W/last.out" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
a = doc["actions"][0]
print(a["entries"], a["changed_entries"], a["status"], len(a["errors"]), len(a["skipped"]), a.get("unchanged_entries", 0))
PY
}

add() { echo "$1 + $2" | bc -l; }

warm "$A" "$P"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
if (($(echo "${LOAD_START%% *} > $(nproc) / 2" | bc -l))); then
  echo "run.sh: warning: load average $LOAD_START on $(nproc) CPUs; wall-clock ratios will be noisy" >&2
fi
echo
echo "== (a) shell pipeline, one step at a time"
echo "   setfacl -R -m g:$GROUP:rwx DIR"
out=$(time_once setfacl -R -m "g:$GROUP:rwx" "$P") || die "setfacl -R failed"
read -r A1_W A1_C <<<"$out"
echo "     $A1_W s (cpu $A1_C s)"
echo "   find DIR -type d -exec setfacl -d -m g:$GROUP:rwx {} +"
out=$(time_once find "$P" -type d -exec setfacl -d -m "g:$GROUP:rwx" {} +) || die "find -exec setfacl -d failed"
read -r A2_W A2_C <<<"$out"
echo "     $A2_W s (cpu $A2_C s)"
echo "   find DIR -type d -exec chmod g+s {} +"
out=$(time_once find "$P" -type d -exec chmod g+s {} +) || die "find -exec chmod failed"
read -r A3_W A3_C <<<"$out"
echo "     $A3_W s (cpu $A3_C s)"
T_PIPE=$(add "$(add "$A1_W" "$A2_W")" "$A3_W")
C_PIPE=$(add "$(add "$A1_C" "$A2_C")" "$A3_C")
echo "   total $T_PIPE s (cpu $C_PIPE s)"

warm "$A"
echo "== (b) aicactl cache repair, first run (plain 0755/0644 tree)"
out=$(time_once repair) || { cat "$W/last.out"; die "cache repair failed"; }
read -r T_FIRST C_FIRST <<<"$out"
read -r B_ENTRIES B_CHANGED B_STATUS B_ERRORS B_SKIPPED <<<"$(repair_counts)"
echo "   $T_FIRST s (cpu $C_FIRST s; $B_ENTRIES entries, $B_CHANGED changed, status $B_STATUS, $B_ERRORS errors, $B_SKIPPED skipped)"

warm "$F"
GID=$(getent group "$GROUP" | cut -d: -f3)
echo "== (h) the first run's syscalls and nothing else: aicactl_walk_floor --threads 2 --first-run-syscalls $GID"
out=$(time_once "$FLOOR" --threads 2 --first-run-syscalls "$GID" "$F") || { cat "$W/last.out"; die "aicactl_walk_floor --first-run-syscalls failed"; }
read -r T_FIRSTFLOOR C_FIRSTFLOOR <<<"$out"
echo "   $T_FIRSTFLOOR s (cpu $C_FIRSTFLOOR s): $(cat "$W/last.out")"

echo "== (c) aicactl cache repair --full, no-op re-run reading every entry (x$REPEAT)"
out=$(time_median "$REPEAT" repair_full) || { cat "$W/last.out"; die "cache repair --full (no-op) failed"; }
read -r T_FULL C_FULL <<<"$out"
read -r C_ENTRIES C_CHANGED C_STATUS C_ERRORS _ C_UNCHANGED <<<"$(repair_counts)"
echo "   median $T_FULL s (cpu $C_FULL s; runs in order: $(runs); $C_ENTRIES entries, $C_CHANGED changed, $C_UNCHANGED not read, status $C_STATUS)"

echo "== (c') aicactl cache repair, no-op re-run as the 15-minute timer sees it (x$REPEAT)"
echo "   (after a complete repair: entries whose ctime predates it are not read again)"
sleep 3  # past the stamps' 2-second margin, then one untimed run: the state a timer finds
repair >/dev/null || die "cache repair failed"
out=$(time_median "$REPEAT" repair) || { cat "$W/last.out"; die "cache repair (no-op) failed"; }
read -r T_NOOP C_NOOP <<<"$out"
read -r S_ENTRIES S_CHANGED S_STATUS S_ERRORS _ S_UNCHANGED <<<"$(repair_counts)"
echo "   median $T_NOOP s (cpu $C_NOOP s; runs in order: $(runs); $S_ENTRIES entries, $S_CHANGED changed, $S_UNCHANGED not read, status $S_STATUS)"

echo "== (d) stat-only walk: aicactl_walk_floor --threads 2 (x$REPEAT)"
out=$(time_median "$REPEAT" "$FLOOR" --threads 2 "$A") || die "aicactl_walk_floor failed"
read -r T_FLOOR2 C_FLOOR2 <<<"$out"
echo "   median $T_FLOOR2 s (cpu $C_FLOOR2 s; runs: $(runs)): $(cat "$W/last.out")"

echo "== (e) find DIR -printf '' (lists; GNU find needs no stat for it) (x$REPEAT)"
out=$(time_median "$REPEAT" find "$A" -printf '') || die "find failed"
read -r T_FIND C_FIND <<<"$out"
echo "   median $T_FIND s (cpu $C_FIND s; runs: $(runs))"

echo "== (f) stat-only walk: aicactl_walk_floor --threads 1 (x$REPEAT)"
out=$(time_median "$REPEAT" "$FLOOR" --threads 1 "$A") || die "aicactl_walk_floor failed"
read -r T_FLOOR1 C_FLOOR1 <<<"$out"
echo "   median $T_FLOOR1 s (cpu $C_FLOOR1 s; runs: $(runs)): $(cat "$W/last.out")"

echo "== (g) find DIR -printf '%m' (lists and lstats every entry) (x$REPEAT)"
out=$(time_median "$REPEAT" find "$A" -printf '%m') || die "find failed"
read -r T_FINDSTAT C_FINDSTAT <<<"$out"
echo "   median $T_FINDSTAT s (cpu $C_FINDSTAT s; runs: $(runs))"

# ---- correctness: the named group entry is on both trees, aicactl's no-op run changed nothing.
echo
echo "== checks"
failures=0
check() {  # check DESCRIPTION COMMAND...
  local what=$1
  shift
  if "$@"; then
    echo "  ok    $what"
  else
    echo "  FAIL  $what"
    failures=$((failures + 1))
  fi
}
# sample LIST: about 50 evenly spaced lines of LIST (sorted, so both trees get the same paths).
sample() { sort | awk '{ v[NR] = $0 } END { s = int(NR / 50); if (s < 1) s = 1; for (i = 1; i <= NR; i += s) print v[i] }'; }
(cd "$A" && find . -mindepth 1 -type d) | sample >"$W/sample.dirs"
(cd "$A" && find . -mindepth 1 -type f) | sample >"$W/sample.files"
n_dirs=$(wc -l <"$W/sample.dirs")
n_files=$(wc -l <"$W/sample.files")

# has_entries TREE LIST ENTRY...: every path in LIST below TREE shows every ENTRY in getfacl.
has_entries() {
  local tree=$1 list=$2 path acl entry
  shift 2
  while IFS= read -r path; do
    acl=$(cd "$tree" && getfacl -cp -- "$path" 2>/dev/null) || { echo "    getfacl failed: $tree/$path" >&2; return 1; }
    for entry in "$@"; do
      if ! grep -qx -- "$entry" <<<"$acl"; then
        echo "    $tree/$path: no '$entry' in: $(tr '\n' ' ' <<<"$acl")" >&2
        return 1
      fi
    done
  done <"$list"
}
# setgid_and_group TREE LIST WANT_GROUP: sampled dirs are setgid (and owned by the group if given).
setgid_dirs() {
  local tree=$1 list=$2 want_group=$3 path st
  while IFS= read -r path; do
    st=$(stat -c '%A %G' -- "$tree/$path")
    [[ ${st:6:1} == s ]] || { echo "    $tree/$path: not setgid ($st)" >&2; return 1; }
    [[ -z $want_group || ${st#* } == "$want_group" ]] || { echo "    $tree/$path: group is not $want_group ($st)" >&2; return 1; }
  done <"$list"
}
check "pipeline: $n_dirs sampled dirs have group:$GROUP:rwx + default:group:$GROUP:rwx" \
  has_entries "$P" "$W/sample.dirs" "group:$GROUP:rwx" "default:group:$GROUP:rwx"
check "pipeline: $n_dirs sampled dirs are setgid" setgid_dirs "$P" "$W/sample.dirs" ""
check "pipeline: $n_files sampled files have group:$GROUP:rwx" has_entries "$P" "$W/sample.files" "group:$GROUP:rwx"
check "aicactl:  $n_dirs sampled dirs have group:$GROUP:rwx + default:group:$GROUP:rwx" \
  has_entries "$A" "$W/sample.dirs" "group:$GROUP:rwx" "default:group:$GROUP:rwx"
check "aicactl:  $n_dirs sampled dirs are setgid and group $GROUP" setgid_dirs "$A" "$W/sample.dirs" "$GROUP"
check "aicactl:  $n_files sampled files have group:$GROUP:rw-" has_entries "$A" "$W/sample.files" "group:$GROUP:rw-"
check "aicactl:  first run saw all $((FILES + DIRS + 1)) entries, changed all, no errors" \
  test "$B_ENTRIES" -eq $((FILES + DIRS + 1)) -a "$B_CHANGED" -eq "$B_ENTRIES" -a "$B_ERRORS" -eq 0
check "aicactl:  --full no-op re-run read and changed 0 of $C_ENTRIES entries (status $C_STATUS)" \
  test "$C_CHANGED" -eq 0 -a "$C_UNCHANGED" -eq 0 -a "$C_ENTRIES" -eq "$B_ENTRIES" -a "$C_ERRORS" -eq 0
check "aicactl:  timer no-op re-run changed 0 of $S_ENTRIES entries, $S_UNCHANGED not read (status $S_STATUS)" \
  test "$S_CHANGED" -eq 0 -a "$S_ENTRIES" -eq "$B_ENTRIES" -a "$S_ERRORS" -eq 0

# ---- results
ratio() { echo "$1 / $2" | bc -l; }
verdict() {  # verdict VALUE OP LIMIT
  if [[ $(echo "$1 $2 $3" | bc -l) == 1 ]]; then echo PASS; else echo FAIL; fi
}
R_FIRST=$(ratio "$T_PIPE" "$T_FIRST")
R_NOOP=$(ratio "$T_PIPE" "$T_NOOP")
R_FLOOR=$(ratio "$T_NOOP" "$T_FLOOR2")
R_FULL=$(ratio "$T_PIPE" "$T_FULL")
R_FULL_FLOOR=$(ratio "$T_FULL" "$T_FLOOR2")
V1=$(verdict "$R_FIRST" '>=' 4)
V2=$(verdict "$R_NOOP" '>=' 7)
V3=$(verdict "$R_FLOOR" '<=' 1.25)
# The same ratios on CPU time (user+sys): less sensitive to other load on the machine, but blind
# to parallelism (two threads doing the work of one show the same CPU time).
RC_FIRST=$(ratio "$C_PIPE" "$C_FIRST")
RC_NOOP=$(ratio "$C_PIPE" "$C_NOOP")
RC_FLOOR=$(ratio "$C_NOOP" "$C_FLOOR2")
RC_FULL=$(ratio "$C_PIPE" "$C_FULL")
RC_FULL_FLOOR=$(ratio "$C_FULL" "$C_FLOOR2")
# How far the first run is from the calls it cannot avoid, and the best ratio to the pipeline
# that any first run making these calls could reach on this machine.
R_FIRST_FLOOR=$(ratio "$T_FIRST" "$T_FIRSTFLOOR")
RC_FIRST_FLOOR=$(ratio "$C_FIRST" "$C_FIRSTFLOOR")
R_PIPE_FIRST_FLOOR=$(ratio "$T_PIPE" "$T_FIRSTFLOOR")
RC_PIPE_FIRST_FLOOR=$(ratio "$C_PIPE" "$C_FIRSTFLOOR")

dashes() { printf -- '-%.0s' $(seq "$1"); }
echo
echo "== results: $FILES files, $DIRS dirs, $(nproc) CPUs, warm cache, median of $REPEAT where repeated"
echo "load average at start: $LOAD_START; at end: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '| %-62s | %8s | %8s |\n' "measurement" "wall s" "cpu s"
printf '|%s|%s|%s|\n' "$(dashes 64)" "$(dashes 10)" "$(dashes 10)"
row() { printf '| %-62s | %8.3f | %8.3f |\n' "$1" "$2" "$3"; }
row "(a) shell pipeline, total" "$T_PIPE" "$C_PIPE"
row "    setfacl -R -m g:$GROUP:rwx" "$A1_W" "$A1_C"
row "    find -type d -exec setfacl -d -m g:$GROUP:rwx {} +" "$A2_W" "$A2_C"
row "    find -type d -exec chmod g+s {} +" "$A3_W" "$A3_C"
row "(b) aicactl cache repair, first run" "$T_FIRST" "$C_FIRST"
row "(c) aicactl cache repair --full, no-op re-run" "$T_FULL" "$C_FULL"
row "(c') aicactl cache repair, no-op re-run (timer)" "$T_NOOP" "$C_NOOP"
row "(d) stat-only walk, aicactl_walk_floor --threads 2" "$T_FLOOR2" "$C_FLOOR2"
row "(e) find DIR -printf '' (lists only, no stat)" "$T_FIND" "$C_FIND"
row "(f) stat-only walk, aicactl_walk_floor --threads 1" "$T_FLOOR1" "$C_FLOOR1"
row "(g) find DIR -printf '%m' (lstat every entry)" "$T_FINDSTAT" "$C_FINDSTAT"
row "(h) first run's syscalls only, walk_floor --first-run-syscalls" "$T_FIRSTFLOOR" "$C_FIRSTFLOOR"
echo
printf '| %-34s | %8s | %-8s | %-6s | %8s |\n' "ratio (wall clock)" "value" "target" "" "(cpu)"
printf '|%s|%s|%s|%s|%s|\n' "$(dashes 36)" "$(dashes 10)" "$(dashes 10)" "$(dashes 8)" "$(dashes 10)"
printf '| %-34s | %7.2fx | %-8s | %-6s | %7.2fx |\n' "pipeline / first run" "$R_FIRST" ">= 4x" "$V1" "$RC_FIRST"
printf '| %-34s | %7.2fx | %-8s | %-6s | %7.2fx |\n' "pipeline / no-op re-run" "$R_NOOP" ">= 7x" "$V2" "$RC_NOOP"
printf '| %-34s | %7.2fx | %-8s | %-6s | %7.2fx |\n' "no-op re-run / walk floor (2 thr)" "$R_FLOOR" "<= 1.25x" "$V3" "$RC_FLOOR"
printf '| %-34s | %7.2fx | %-8s | %-6s | %7.2fx |\n' "pipeline / --full no-op (info)" "$R_FULL" "" "" "$RC_FULL"
printf '| %-34s | %7.2fx | %-8s | %-6s | %7.2fx |\n' "--full no-op / walk floor (info)" "$R_FULL_FLOOR" "" "" "$RC_FULL_FLOOR"
printf '| %-34s | %7.2fx | %-8s | %-6s | %7.2fx |\n' "first run / its syscalls (info)" "$R_FIRST_FLOOR" "" "" "$RC_FIRST_FLOOR"
printf '| %-34s | %7.2fx | %-8s | %-6s | %7.2fx |\n' "pipeline / first-run floor (info)" "$R_PIPE_FIRST_FLOOR" "" "" "$RC_PIPE_FIRST_FLOOR"

status=0
[[ $V1 == PASS && $V2 == PASS && $V3 == PASS ]] || status=1
if ((failures > 0)); then
  echo "run.sh: $failures correctness check(s) failed" >&2
  status=1
fi
exit "$status"
