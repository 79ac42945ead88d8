#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Times `aicactl cache watch` (issue 13's targets) on the virtual server (tests/e2e/lib), side
# by side with the incremental `cache repair` pass it replaces between cron runs:
# - latency: alice creates a 0600 file (a 0700 dir) in /data/cache/pip, bob polls until he can
#   read it (create in it): p50/p99/max over BENCH_LAT_FILES files and BENCH_LAT_DIRS dirs;
# - burst: BENCH_BURST files created as fast as one process can; time from the burst's end until
#   every one is repaired, and whether the kernel's queue overflowed;
# - idle: the watcher's CPU over BENCH_IDLE_S idle seconds, and its resident memory;
# - one incremental and one --full `cache repair` over the same caches.
# /data is the virtual server's tmpfs. Usage (root): AICACTL_BIN=build/aicactl bench/watch.sh
# shellcheck source=../tests/e2e/lib/vserver.sh disable=SC2016  # the vserver expands the quoted commands
source "$(dirname "$0")/../tests/e2e/lib/vserver.sh"
vs_main "$@"
lat_files=${BENCH_LAT_FILES:-1000}
lat_dirs=${BENCH_LAT_DIRS:-200}
burst=${BENCH_BURST:-20000}
idle_s=${BENCH_IDLE_S:-10}
C=/data/cache/pip

vs_boot
vs_setup
vs_run 'useradd -m -G gpu-users alice && useradd -m -G gpu-users bob'
cp -- "$(dirname "$0")/watch_probe.py" "$VS_ROOT/run/watch_probe.py"

vs_step "starting the watcher"
vs_run "aicactl cache watch >>/run/cache-watch.log 2>&1" >/dev/null 2>&1 &
outer=$!
vs_run "for i in \$(seq 300); do test -s /run/aicactl/cache-watch.state && exit 0; sleep 0.1; done; exit 1" \
  || vs_fail "the watcher did not start"
# The watcher's pid as this namespace sees it: the aicactl below the background vs_run.
find_watcher() {
  local p=$1 c
  [[ $(cat "/proc/$p/comm" 2>/dev/null) == aicactl ]] && { echo "$p"; return 0; }
  for c in $(children_of "$p"); do find_watcher "$c" && return 0; done
  return 1
}
wpid=$(find_watcher "$outer") || vs_fail "no watcher process found"

vs_step "idle cost over ${idle_s} s"
ticks=$(getconf CLK_TCK)
cpu0=$(awk '{print $14 + $15}' "/proc/$wpid/stat")
sleep "$idle_s"
cpu1=$(awk '{print $14 + $15}' "/proc/$wpid/stat")
idle_pct=$(awk -v a="$cpu0" -v b="$cpu1" -v t="$ticks" -v s="$idle_s" 'BEGIN{printf "%.3f", (b - a) / t / s * 100}')
rss_kb=$(awk '/^VmRSS/{print $2}' "/proc/$wpid/status")

vs_step "latency over $lat_files files and $lat_dirs dirs"
vs_run "python3 /run/watch_probe.py latency $C $lat_files $lat_dirs" >"$VS_STATE/lat" || vs_fail "latency probe failed"
read -r f50 f99 fmax d50 d99 dmax < <(python3 -c '
import sys
v = {"file": [], "dir": []}
for line in open(sys.argv[1]):
    k, ms = line.split()
    v[k].append(float(ms))
def p(a, q):
    a = sorted(a)
    return a[min(len(a) - 1, round(q / 100 * (len(a) - 1)))]
print(" ".join("%.2f" % x for k in ("file", "dir") for x in (p(v[k], 50), p(v[k], 99), max(v[k]))))
' "$VS_STATE/lat")

vs_step "burst of $burst files"
vs_run "python3 /run/watch_probe.py burst $C $burst gpu-users" >"$VS_STATE/burst" || vs_fail "burst probe failed"
create_s=$(awk '/^burst_create_s/{print $2}' "$VS_STATE/burst")
after_s=$(awk '/^burst_repaired_after_s/{print $2}' "$VS_STATE/burst")
not_repaired=$(awk '/^burst_not_repaired/{print $2}' "$VS_STATE/burst")
sleep 1.5 # the state file is written at most once a second
overflows=$(vs_run "awk '/^overflows/{print \$2}' /run/aicactl/cache-watch.state")
rss_after_kb=$(awk '/^VmRSS/{print $2}' "/proc/$wpid/status")

vs_step "the cache repair passes it replaces (same caches, watcher stopped)"
# shellcheck disable=SC2046 # a list of pids
kill -KILL $(children_of "$outer") "$outer" 2>/dev/null || true
wait "$outer" 2>/dev/null || true
entries=$(vs_run "find /data/cache /data/models | wc -l")
time_repair() {
  vs_run "s=\$(date +%s.%N); aicactl -q cache repair $1 >/dev/null || exit 1; e=\$(date +%s.%N); awk -v s=\$s -v e=\$e 'BEGIN{printf \"%.3f\", e-s}'"
}
full_s=$(time_repair --full)
incr_s=$(time_repair "")

printf '\n%-44s %12s %12s\n' "cache watch ($entries entries in the caches)" "measured" "target"
printf '%-44s %12s %12s\n' "file latency p50 / p99 / max (ms)" "$f50/$f99/$fmax" "p99 <= 50"
printf '%-44s %12s %12s\n' "dir latency p50 / p99 / max (ms)" "$d50/$d99/$dmax" "p99 <= 50"
printf '%-44s %12s %12s\n' "burst: $burst files created in (s)" "$create_s" ""
printf '%-44s %12s %12s\n' "burst: all repaired after its end (s)" "$after_s" "<= 1"
printf '%-44s %12s %12s\n' "burst: files left unrepaired" "$not_repaired" "0"
printf '%-44s %12s %12s\n' "queue overflows" "$overflows" "0"
printf '%-44s %12s %12s\n' "idle CPU (% of one CPU)" "$idle_pct" "< 0.5"
printf '%-44s %12s %12s\n' "RSS idle / after the burst (MB)" "$((rss_kb / 1024))/$((rss_after_kb / 1024))" "< 20"
printf '%-44s %12s %12s\n' "cache repair, incremental pass (s)" "$incr_s" ""
printf '%-44s %12s %12s\n' "cache repair --full pass (s)" "$full_s" ""
awk -v p="$f99" -v b="$after_s" -v i="$incr_s" 'BEGIN{
  printf "ratios: cron latency (up to 900 s) / watch p99 = %.0fx; incremental pass / burst catch-up = %.2fx\n", 900000 / p, i / (b > 0 ? b : 0.001) }'
vs_pass
