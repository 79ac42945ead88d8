#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# aicactl gpu status on 8 GPUs x 7 MIG instances (56 MIG devices, 56 processes) from the stand-in
# NVML (tests/support/fake_nvml, compiled here into the work dir), against the goal of 50 ms.
#
#   bench/gpu_status.sh            # 30 runs, median and worst
#   BENCH_REPEAT=100 bench/gpu_status.sh
#
# Environment: BENCH_REPEAT, AICACTL (default: build-bench/ then build/ of this checkout).
# Needs no root; changes nothing. Exit status: 0 when the median meets the goal, 1 when not, 2 when
# the benchmark could not run. The time is the whole process (exec, dlopen, every NVML call,
# /proc reads of the 56 processes, the --json rendering), as a user or a monitoring script sees it.
set -euo pipefail
export LC_ALL=C
REPEAT=${BENCH_REPEAT:-30}
GOAL_MS=50
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
die() { echo "gpu_status.sh: $*" >&2; exit 2; }
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
AICACTL=$(bench_bin aicactl "${AICACTL:-}")
command -v g++ >/dev/null || die "g++ not found"
W=$(mktemp -d)
trap 'kill "${sleepers[@]}" 2>/dev/null; rm -rf "$W"' EXIT
g++ -std=c++20 -O2 -shared -fPIC -o "$W/libnvidia-ml.so.1" "$repo/tests/support/fake_nvml/fake_nvml.cpp" ||
  die "cannot build the stand-in NVML"
# 56 live processes, one per MIG instance, so every /proc lookup finds something to read.
sleepers=()
procs=""
for g in 0 1 2 3 4 5 6 7; do
  for gi in 1 2 3 4 5 6 7; do
    sleep 600 &
    sleepers+=($!)
    procs+="${procs:+,}$g:$gi:$!:512"
  done
done
export LD_LIBRARY_PATH=$W FAKE_NVML_GPUS=8 FAKE_NVML_MIG=7 FAKE_NVML_PROCS=$procs
n=$("$AICACTL" gpu status --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(sum(len(g["mig_instances"]) for g in d["gpus"]), sum(len(g["processes"]) for g in d["gpus"]))')
[[ $n == "56 56" ]] || die "expected 56 MIG instances and 56 processes, got $n"
echo "machine: $(nproc) CPUs, kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
# Median and worst wall time in microseconds of REPEAT runs of the command.
timed() {
  local times=() i t0 t1
  for ((i = 0; i < REPEAT; i++)); do
    t0=$(date +%s%N)
    "$@" >/dev/null
    t1=$(date +%s%N)
    times+=($(((t1 - t0) / 1000)))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)], a[NR]}'
}
ms() { bc -l <<<"scale=1; $1/1000"; }
# The floor: starting the binary at all (a loaded machine shows here, not in gpu status).
read -r floor _ < <(timed "$AICACTL" --version)
read -r median worst < <(timed "$AICACTL" gpu status --json)
# CPU time (user + sys) of one run: what the command itself costs, whatever the load.
cpu=$( { TIMEFORMAT='%3U %3S'; time "$AICACTL" gpu status --json >/dev/null; } 2>&1)
echo "aicactl --version (process start, the floor): median $(ms "$floor") ms"
echo "gpu status --json CPU time: user ${cpu% *} s, sys ${cpu#* } s"
echo "gpu status --json, 8 GPUs x 7 MIG, 56 processes: median $(ms "$median") ms, worst $(ms "$worst") ms" \
  "over $REPEAT runs (goal <= $GOAL_MS ms); above the floor: $(ms $((median - floor))) ms"
((median <= GOAL_MS * 1000))
