#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# gpu status against the stand-in libnvidia-ml.so.1 (tests/support/fake_nvml), found through
# LD_LIBRARY_PATH the way the real one is found: the table, the --json schema (aicactl(8)),
# --watch, and exit 69 with one line when there is no driver or no GPU.
set -euo pipefail
bin=${AICACTL_BIN:?}
fake=${FAKE_NVML_DIR:?directory of the stand-in libnvidia-ml.so.1}
fail=0
expect() {  # description, command...
  local what=$1
  shift
  if ! "$@"; then
    echo "FAIL: $what" >&2
    fail=1
  fi
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
me=$(id -un)

# No driver: an empty library path has no libnvidia-ml.so.1 (skip only where a real driver is).
if ! ldconfig -p 2>/dev/null | grep -q 'libnvidia-ml\.so\.1 '; then
  rc=0
  "$bin" gpu status >"$tmp/out" 2>"$tmp/err" || rc=$?
  expect "no driver exits 69 (got $rc)" test "$rc" = 69
  expect "no driver says so in one line" test "$(cat "$tmp/err")" = "aicactl: error: NVIDIA driver not found: libnvidia-ml.so.1"
  expect "no driver prints nothing on stdout" test ! -s "$tmp/out"
fi

run() { LD_LIBRARY_PATH=$fake "$bin" "$@"; }

rc=0
FAKE_NVML_GPUS=0 run gpu status >"$tmp/out" 2>"$tmp/err" || rc=$?
expect "no GPU exits 69 (got $rc)" test "$rc" = 69
expect "no GPU says so" grep -qx "aicactl: error: No NVIDIA GPU found (the driver reports none)" "$tmp/err"

rc=0
FAKE_NVML_INIT=9 run gpu status >"$tmp/out" 2>"$tmp/err" || rc=$?
expect "driver not loaded exits 69 (got $rc)" test "$rc" = 69
expect "driver not loaded names NVML's reason" grep -qx \
  "aicactl: error: NVIDIA driver not usable: nvmlInit_v2 failed: Driver Not Loaded" "$tmp/err"

sleep 60 &
sleeper=$!
trap 'kill $sleeper 2>/dev/null; rm -rf "$tmp"' EXIT
export FAKE_NVML_GPUS=2 FAKE_NVML_MIG=3 FAKE_NVML_PROCS="0:1:$sleeper:512,1:2:999999999:3"
run gpu status >"$tmp/table"
expect "table: a line per GPU" grep -q '^\[1\] NVIDIA H100 80GB HBM3 | 31 C, - % | 3 / 81559 MiB | MIG | GPU-' "$tmp/table"
expect "table: MIG instances by profile" grep -q '^    MIG 3g.40gb   gi 1 | 512 / 40960 MiB | MIG-' "$tmp/table"
expect "table: the process with its user and command" grep -qE "^ +$sleeper $me +512 MiB gi 1  sleep 60$" "$tmp/table"

run gpu status --json >"$tmp/json"
expect "json schema" python3 - "$tmp/json" "$sleeper" "$me" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
pid, me = int(sys.argv[2]), sys.argv[3]
assert d["command"] == "gpu status" and d["schema"] == 1 and d["driver_version"] == "550.0-fake", d
assert [g["index"] for g in d["gpus"]] == [0, 1]
g = d["gpus"][0]
gpu_keys = {"index", "name", "uuid", "memory_used_bytes", "memory_total_bytes", "utilization_percent",
            "temperature_c", "mig_enabled", "mig_instances", "processes"}
assert set(g) == gpu_keys, set(g) ^ gpu_keys
assert g["utilization_percent"] is None and g["mig_enabled"] is True and g["temperature_c"] == 30
assert g["memory_total_bytes"] == 81559 << 20
m = g["mig_instances"][0]
assert set(m) == {"index", "profile", "uuid", "gpu_instance_id", "memory_used_bytes", "memory_total_bytes",
                  "session"}, m
assert [x["profile"] for x in g["mig_instances"]] == ["3g.40gb", "2g.20gb", "2g.20gb"]
assert m["gpu_instance_id"] == 1 and m["session"] is None and m["uuid"].startswith("MIG-")
p = g["processes"][0]
assert p == {"pid": pid, "user": me, "uid": __import__("os").getuid(), "user_via": "uid", "session": None,
             "command": "sleep 60", "gpu_memory_bytes": 512 << 20, "gpu_instance_id": 1}, p
gone = d["gpus"][1]["processes"][0]
assert gone["user"] == "?" and gone["uid"] is None and gone["command"] == "", gone
PY

# --watch: one JSON object per line, again and again until stopped.
rc=0
timeout 2.5 env LD_LIBRARY_PATH="$fake" "$bin" gpu status --watch 1 --json >"$tmp/watch" || rc=$?
expect "--watch runs until stopped (got $rc)" test "$rc" = 124
expect "--watch printed at least twice" test "$(grep -c '"command":"gpu status"' "$tmp/watch")" -ge 2
rc=0
run gpu status --watch 0 >/dev/null 2>&1 || rc=$?
expect "--watch 0 is bad usage (got $rc)" test "$rc" = 64
exit $fail
