#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `aicactl session create` to the SSH banner on its port (goal: at most 1.5 s, median of
# BENCH_REPEAT=5), side by side with the floor: the same container (spec of docs/sessions.md)
# created and started through the Engine API directly (curl), to the same banner. Runs on the
# e2e virtual server with Debian's dockerd inside it (tests/e2e/lib/docker.sh) and the session
# image (scripts/session-image; the root file system is built once and cached).
# Usage (as root): AICACTL_BIN=build/aicactl bench/session.sh
# Exit: 0 goal met, 1 missed (or a failure), 77 not root / tools missing.
# shellcheck source=tests/e2e/lib/vserver.sh
source "$(dirname "$0")/../tests/e2e/lib/vserver.sh"
# shellcheck source=tests/e2e/lib/docker.sh
source "$(dirname "$0")/../tests/e2e/lib/docker.sh"
dk_prepare_rootfs
vs_main "$@"
dk_cleanup_on_exit

REPEAT=${BENCH_REPEAT:-5}
GOAL_MS=1500

vs_boot >/dev/null
vs_setup --quiet >/dev/null
have_session=1
vs_run 'aicactl --help | grep -qE "^ +session"' || have_session=0
((have_session)) && vs_run "printf '\n[sessions]\nengine = \"$DK_SOCKET\"\nbind = \"127.0.0.1\"\nssh_host = \"127.0.0.1\"\nports = \"10000-10099\"\n' >>/data/system/config/aicactl.toml"
vs_aicactl user add alice
vs_assert_rc 0
vs_run 'su - alice -c "ssh-keygen -q -t ed25519 -N \"\" -f ~/.ssh/id_ed25519 && cp ~/.ssh/id_ed25519.pub ~/.ssh/authorized_keys"'
dk_start >/dev/null
dk_load_image

# Inside the server: BANNER waits for sshd's banner on 127.0.0.1:$port (5 ms polls, 30 s).
# shellcheck disable=SC2016 # expanded inside the server
BANNER='for i in $(seq 6000); do
  (exec 3<>/dev/tcp/127.0.0.1/$port && timeout 2 head -c 8 <&3) 2>/dev/null | grep -q "^SSH-2.0" && break
  sleep 0.005
done'

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# The floor: create + start through the API (curl), then the banner.
floor=()
for i in $(seq "$REPEAT"); do
  id=$(printf 'f%011d' "$i")
  port=$((10050 + i))
  dk_session_spec alice "$id" "$port" >"$VS_ROOT/tmp/spec.json"
  ms=$(vs_run "port=$port
    t0=\$(date +%s%N)
    curl -sf --unix-socket $DK_SOCKET -H 'Content-Type: application/json' --data @/tmp/spec.json \
      'http://docker/v1.41/containers/create?name=aicactl-session-$id' >/dev/null
    curl -sf --unix-socket $DK_SOCKET -X POST 'http://docker/v1.41/containers/aicactl-session-$id/start'
    $BANNER
    echo \$(( (\$(date +%s%N) - t0) / 1000000 ))")
  floor+=("$ms")
  dk rm -f "aicactl-session-$id" >/dev/null
  vs_run "rm -rf /data/system/state/sessions/$id"
done

create=()
if ((have_session)); then
  for _ in $(seq "$REPEAT"); do
    out=$(vs_run "t0=\$(date +%s%N)
      j=\$(aicactl session create alice --no-gpu --ttl 1h --json) || exit 1
      port=\$(printf '%s' \"\$j\" | python3 -c 'import json, sys; print(json.load(sys.stdin)[\"port\"])')
      $BANNER
      echo \$(( (\$(date +%s%N) - t0) / 1000000 )) \$(printf '%s' \"\$j\" | python3 -c 'import json, sys; print(json.load(sys.stdin)[\"id\"])')") \
      || vs_fail "aicactl session create failed"
    create+=("${out% *}")
    vs_run "aicactl session delete ${out#* }" >/dev/null
  done
fi

f_med=$(printf '%s\n' "${floor[@]}" | median)
printf '\nsession create -> SSH banner, median of %s (ms; load %s)\n' "$REPEAT" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '  %-44s %6s ms   [%s]\n' "floor: Engine API create+start (curl)" "$f_med" "${floor[*]}"
if ((have_session)); then
  c_med=$(printf '%s\n' "${create[@]}" | median)
  verdict=MET
  ((c_med <= GOAL_MS)) || verdict=MISSED
  printf '  %-44s %6s ms   [%s]   goal <= %s ms: %s (%.2fx the floor)\n' "aicactl session create" "$c_med" "${create[*]}" \
    "$GOAL_MS" "$verdict" "$(echo "$c_med / $f_med" | bc -l)"
  [[ $verdict == MET ]] || exit 1
else
  printf '  aicactl session create: not in this binary (%s)\n' "$AICACTL_BIN"
fi
exit 0
