#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# aicactl disk usage against du -s on the same tree (see bench/README.md, "disk usage").
#
#   bench/du.sh                                     # 200,000 files / 20,000 dirs
#   BENCH_FILES=20000 BENCH_DIRS=2000 bench/du.sh   # quick run
#
# Environment: BENCH_FILES, BENCH_DIRS, BENCH_TMP (parent of the work dir, a real disk;
# default /var/tmp), BENCH_KEEP=1, AICACTL (default: build-bench/ then build/ of this checkout).
# Read-only apart from its own work dir: needs no root. The config points data_root into the
# work dir and disables every cache and model tree but pip, so `disk usage` scans only the tree.
# One run of each tool, warm cache. Exit status: 0 when the target (du / aicactl >= 2) is met and
# both tools agree on the size, 1 when not, 2 when the benchmark could not run.
set -euo pipefail
export LC_ALL=C

FILES=${BENCH_FILES:-200000}
DIRS=${BENCH_DIRS:-20000}
TARGET=2

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
die() { echo "du.sh: $*" >&2; exit 2; }

# shellcheck source=bench/lib.sh
source "$here/lib.sh"

AICACTL=$(bench_bin aicactl "${AICACTL:-}")
for tool in du find python3 bc; do
  command -v "$tool" >/dev/null || die "$tool not found"
done
[[ $FILES =~ ^[0-9]+$ && $DIRS =~ ^[0-9]+$ ]] || die "BENCH_FILES and BENCH_DIRS must be numbers"
bench_workdir bench-du
TREE="$W/data/cache/pip"
bench_config "$AICACTL"

echo "== setup"
echo "aicactl:  $AICACTL"
echo "work dir: $W ($FSTYPE)"
echo "machine:  $(nproc) CPUs, kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
python3 "$here/make_tree.py" --files "$FILES" --dirs "$DIRS" "$TREE"
sync
find "$TREE" >/dev/null
find "$TREE" -printf '%m\n' >/dev/null

# time_once OUT CMD...: runs CMD once, stdout to OUT; prints "WALL CPU" (seconds).
time_once() {
  local out=$1 real user sys
  shift
  {
    TIMEFORMAT='%3R %3U %3S'
    time "$@" >"$out" 2>"$W/last.err"
  } 2>"$W/last.time"
  [[ -s $W/last.err ]] && sed 's/^/    | /' "$W/last.err" | head -20 >&2
  read -r real user sys <"$W/last.time"
  echo "$real $(echo "$user + $sys" | bc -l)"
}

echo "== timing (one run each, warm cache)"
read -r T_DU C_DU < <(time_once "$W/du.out" du -s -B1 "$TREE")
read -r T_A C_A < <(time_once "$W/aicactl.json" "$AICACTL" --config "$CONFIG" --json disk usage)
DU_BYTES=$(cut -f1 "$W/du.out")
A_BYTES=$(python3 -c '
import json, sys
rows = json.load(open(sys.argv[1]))["rows"]
print(sum(r["disk_bytes"] for r in rows if r["name"] == "pip"))' "$W/aicactl.json")
A_ENTRIES=$(python3 -c '
import json, sys
print(json.load(open(sys.argv[1]))["rows"][0]["entries"])' "$W/aicactl.json")

ratio() { echo "$1 / $2" | bc -l; }
R=$(ratio "$T_DU" "$T_A")
RC=$(ratio "$C_DU" "$C_A")
printf '| %-40s | %8s | %8s |\n' "command" "wall s" "cpu s"
printf '| %-40s | %8s | %8s |\n' "du -s -B1 TREE" "$T_DU" "$C_DU"
printf '| %-40s | %8s | %8s |\n' "aicactl --json disk usage (2 threads)" "$T_A" "$C_A"
printf 'entries: %s; du: %s bytes; aicactl: %s bytes\n' "$A_ENTRIES" "$DU_BYTES" "$A_BYTES"
printf 'du / aicactl: %.2fx wall (target >= %sx), %.2fx cpu\n' "$R" "$TARGET" "$RC"

rc=0
if [[ $DU_BYTES != "$A_BYTES" ]]; then
  echo "FAIL: sizes differ (du $DU_BYTES, aicactl $A_BYTES)"
  rc=1
fi
if (($(echo "$R < $TARGET" | bc -l))); then
  echo "FAIL: du / aicactl = $(printf '%.2f' "$R") < $TARGET"
  rc=1
else
  echo "PASS"
fi
exit "$rc"
