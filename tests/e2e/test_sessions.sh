#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Registered in tests/e2e/CMakeLists.txt when src/cli/session_cmd.cpp (feat-sess) is in the tree.
# `aicactl session` against a real Docker Engine (Debian's dockerd inside the server,
# lib/docker.sh) and the real sshd of the session image (scripts/session-image):
#   1. alice logs in over the published 127.0.0.1 port with her own key on the first try, as her
#      uid with no capabilities, and /workspace/x lands in /data/users/alice owned by her; bob's
#      key is refused; the container is as documented (user, caps, no-new-privileges, labels);
#   2. list, show, extend (within max_ttl; over it: 65, nothing changed);
#   3. the reaper ends an expired session and frees its port (the next create gets it again);
#   4. 8 parallel creates get 8 distinct ports;
#   5. a dockerd restart and a re-image (recover) keep every allocation, the sessions come back;
#   6. bad input (unknown user, bad profile, TTL over the max, no authorized_keys, bad id), the
#      engine down, the database locked, port exhaustion and a missing image: one line, the
#      documented exit code and nothing left behind (no row, no container, no state dir);
#   7. GPUs through the stand-ins: --mig 3g.40gb (stand-in NVML) puts the MIG UUID in the
#      container's DeviceRequests and the hook ran; gpu_mode = "runtime" runs the runtime;
#   8. self-service through sudo: alice creates her own session; bob cannot delete it.
source "$(dirname "$0")/lib/vserver.sh"
source "$(dirname "$0")/lib/docker.sh"
dk_prepare_rootfs
vs_main "$@"
dk_cleanup_on_exit

CONF=/data/system/config/aicactl.toml
STATE=/data/system/state/sessions
FAKE_NVML_DIR=${FAKE_NVML_DIR:-$VS_E2E_DIR/../../build/tests/support/fake_nvml}
SSH_OPTS="-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o ConnectTimeout=10 -o LogLevel=ERROR"
[[ -f $FAKE_NVML_DIR/libnvidia-ml.so.1 ]] || vs_fail "the stand-in NVML is missing: '$FAKE_NVML_DIR' (set FAKE_NVML_DIR)"

# sess ARGS...: aicactl session ARGS (captured; see vs_try).
sess() { vs_aicactl session "$@"; }

# create USER ARGS...: a session that must be created; sets ID and PORT from --json.
create() {
  sess create "$@" --json
  vs_assert_rc 0 "session create $*"
  ID=$(vs_json 'j["id"]')
  PORT=$(vs_json 'j["port"]')
  vs_assert_match '^[0-9a-f]{12}$' "$ID" "the session id"
}

# wait_banner PORT: sshd's banner on the server's 127.0.0.1:PORT within 30 s.
wait_banner() {
  vs_run "for i in \$(seq 300); do
      (exec 3<>/dev/tcp/127.0.0.1/$1 && timeout 2 head -c 8 <&3) 2>/dev/null | grep -q '^SSH-2.0' && exit 0
      sleep 0.1
    done; exit 1" || vs_fail "no SSH banner on 127.0.0.1:$1"
}

# what_exists: the sessions as the database, the engine and the state dir see them.
what_exists() {
  vs_run "aicactl session list --json | python3 -c '
import json, sys
j = json.load(sys.stdin)
rows = j if isinstance(j, list) else j[\"sessions\"]
print(\"rows:\", sorted((r[\"id\"], r[\"port\"]) for r in rows))'
    echo containers: \$(/usr/bin/docker -H unix://$DK_SOCKET ps -a --filter label=aicactl.session --format '{{.Names}}' 2>/dev/null | sort)
    echo state dirs: \$(ls $STATE 2>/dev/null | sort)"
}

# refused 'ARGS' CODE 'what' [ENV]: session ARGS (with the environment assignments ENV) fails
# with CODE, one line on stderr, nothing on stdout, and nothing changed.
refused() {
  local args=$1 code=$2 what=$3 env=${4:-} before after
  before=$(what_exists)
  vs_try vs_run "$env aicactl session $args"
  VS_LAST_CMD="$env aicactl session $args"
  vs_assert_rc "$code" "$what (session $args)"
  vs_assert_eq 1 "$(printf '%s\n' "$VS_ERR" | grep -c .)" "$what: lines on stderr ('$VS_ERR')"
  vs_assert_match '^aicactl: error: ' "$VS_ERR" "$what: the message"
  vs_assert_eq "" "$VS_OUT" "$what: stdout"
  after=$(what_exists)
  vs_assert_same_text "$what: sessions, containers and state dirs" "$before" "$after"
}

vs_boot
vs_setup
vs_run "printf '\n[sessions]\nengine = \"$DK_SOCKET\"\nbind = \"127.0.0.1\"\nssh_host = \"127.0.0.1\"\nports = \"10000-10019\"\nmax_ttl = \"24h\"\nmax_per_user = 2\n' >>$CONF"
for u in alice bob carol; do
  vs_aicactl user add "$u"
  vs_assert_rc 0
done
vs_run 'for u in alice bob; do su - $u -c "ssh-keygen -q -t ed25519 -N \"\" -f ~/.ssh/id_ed25519 && cp ~/.ssh/id_ed25519.pub ~/.ssh/authorized_keys"; done'
ALICE_UID=$(vs_run 'id -u alice')
dk_start
dk_load_image

vs_step "1. alice logs in with her own key; her uid, no capabilities, her /data home"
create alice --no-gpu --ttl 1h
A1=$ID
A1_PORT=$PORT
vs_assert_eq "ssh -p $PORT alice@127.0.0.1" "$(vs_json 'j["ssh"]')" "the ssh command"
vs_assert_eq "alice" "$(vs_json 'j["user"]')" "the user"
vs_assert_match '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$' "$(vs_json 'j["expires_utc"]')" "expires_utc"
wait_banner "$PORT"
vs_assert_as_ok alice "ssh -p $PORT $SSH_OPTS alice@127.0.0.1 'id -u; grep ^CapEff /proc/self/status; echo from-session >/workspace/x'"
vs_assert_eq "$ALICE_UID
CapEff:	0000000000000000" "$VS_OUT" "id and capabilities inside"
vs_assert_stat /data/users/alice/x "alice alice" "%U %G"
vs_assert_eq from-session "$(vs_run 'cat /data/users/alice/x')" "/data/users/alice/x"
vs_assert_as_fails bob "ssh -p $PORT $SSH_OPTS alice@127.0.0.1 true"
vs_assert_contains "$VS_ERR" "Permission denied (publickey)" "bob's key on alice's port"
vs_try dk inspect --format '{{.Config.User}} {{json .HostConfig.CapDrop}} {{json .HostConfig.SecurityOpt}} {{(index (index .HostConfig.PortBindings "2222/tcp") 0).HostIp}} {{index .Config.Labels "aicactl.user"}} {{index .Config.Labels "aicactl.session"}}' "aicactl-session-$A1"
vs_assert_eq "$ALICE_UID:$(vs_run 'id -g alice') [\"ALL\"] [\"no-new-privileges\"] 127.0.0.1 alice $A1" "$VS_OUT" "the container"

vs_step "2. list, show, extend"
sess list --json
vs_assert_rc 0
vs_assert_eq "[\"$A1\"]" "$(vs_json '[r["id"] for r in (j if isinstance(j, list) else j["sessions"])]')" "session list"
sess show "$A1"
vs_assert_rc 0
vs_assert_contains "$VS_OUT" "$A1_PORT" "session show"
now=$(date +%s)
sess extend "$A1" --ttl 2h --json
vs_assert_rc 0
exp=$(vs_json 'j["expires"]')
((exp >= now + 7200 - 5 && exp <= now + 7200 + 60)) || vs_fail "extend --ttl 2h: expires $exp, now $now"
refused "extend $A1 --ttl 48h" 65 "a TTL over max_ttl"

vs_step "3. the reaper ends an expired session and frees its port"
create alice --no-gpu --ttl 2s
R_ID=$ID
R_PORT=$PORT
sleep 3
sess reap
vs_assert_rc 0
vs_assert_contains "$VS_OUT" "$R_ID" "what reap did"
vs_try dk ps -a --filter "name=aicactl-session-$R_ID" --format '{{.Names}}'
vs_assert_eq "" "$VS_OUT" "the expired session's container"
vs_assert_absent "$STATE/$R_ID"
vs_aicactl --quiet session reap
vs_assert_rc 0
vs_assert_eq "" "$VS_OUT$VS_ERR" "reap --quiet with nothing to do"
create alice --no-gpu --ttl 1h
vs_assert_eq "$R_PORT" "$PORT" "the next create gets the freed port"
sess delete "$ID"
vs_assert_rc 0

vs_step "4. 8 parallel creates get 8 distinct ports"
vs_try vs_run 'for i in 1 2 3 4 5 6 7 8; do
    (aicactl session create bob --no-gpu --ttl 1h --json >/tmp/par.$i 2>/tmp/par.$i.err; echo $? >/tmp/par.$i.rc) &
  done
  wait
  rc=0
  for i in 1 2 3 4 5 6 7 8; do
    [ "$(cat /tmp/par.$i.rc)" = 0 ] || { rc=1; echo "create $i: exit $(cat /tmp/par.$i.rc): $(cat /tmp/par.$i.err)" >&2; }
  done
  cat /tmp/par.[1-8]
  exit $rc'
vs_assert_rc 0 "8 parallel creates"
PORTS=$(printf '%s\n' "$VS_OUT" | python3 -c 'import json, sys; d = json.JSONDecoder(); s = sys.stdin.read(); i = 0; out = []
while i < len(s):
    if s[i].isspace(): i += 1; continue
    o, i = d.raw_decode(s, i); out.append(o["port"])
print(len(out), len(set(out)))')
vs_assert_eq "8 8" "$PORTS" "created sessions and distinct ports"

vs_step "5a. a dockerd restart keeps every allocation; the containers come back"
before=$(what_exists)
dk_restart
vs_assert_same_text "allocations after a dockerd restart" "$before" "$(what_exists)"
wait_banner "$A1_PORT"
vs_assert_as_ok alice "ssh -p $A1_PORT $SSH_OPTS alice@127.0.0.1 'cat /workspace/x'"

vs_step "5b. a re-image: recover re-creates the live sessions on their ports"
vs_reboot
dk_forget
dk_start
dk_load_image
vs_aicactl recover
vs_assert_rc 0 "recover after a re-image"
vs_assert_same_text "allocations after a re-image and recover" "$before" "$(what_exists)"
wait_banner "$A1_PORT"
vs_assert_as_ok alice "ssh -p $A1_PORT $SSH_OPTS alice@127.0.0.1 'id -u; cat /workspace/x'"
vs_assert_eq "$ALICE_UID
from-session" "$VS_OUT" "alice in her session after the re-image"

vs_step "6. bad input, engine down, exhaustion, missing image: one line, exit code, nothing left"
vs_run "for id in \$(aicactl session list --user bob --json | python3 -c 'import json,sys; j=json.load(sys.stdin); print(*[r[\"id\"] for r in (j if isinstance(j, list) else j[\"sessions\"])])'); do aicactl session delete \$id >/dev/null; done"
refused "create nosuchuser --no-gpu" 65 "an unknown user"
refused "create alice --ttl 25h --no-gpu" 65 "a TTL over max_ttl"
refused "create carol --no-gpu" 65 "no ~/.ssh/authorized_keys"
refused "show ../../etc" 65 "a bad id"
refused "delete 0123456789ab" 65 "an unknown id"
refused "create alice --no-gpu --image aicactl/missing:none" 65 "a missing image"
vs_run "sed -i 's/^ports = .*/ports = \"$A1_PORT-$((A1_PORT + 1))\"/' $CONF"
create bob --no-gpu --ttl 1h
refused "create bob --no-gpu" 1 "the port range exhausted"
sess delete "$ID"
vs_assert_rc 0
vs_run "sed -i 's/^ports = .*/ports = \"10000-10019\"/' $CONF"
# Another writer holds the database (BEGIN IMMEDIATE) for 15 s: create waits its busy timeout, then 75.
vs_run 'rm -f /run/db-held; python3 -c "
import sqlite3, time
c = sqlite3.connect(\"/data/system/state/sessions.db\", isolation_level=None)
c.execute(\"BEGIN IMMEDIATE\")
open(\"/run/db-held\", \"w\").close()
time.sleep(15)
"' &
HOLDER=$!
vs_run 'for i in $(seq 100); do test -e /run/db-held && exit 0; sleep 0.1; done; exit 1' || vs_fail "the database holder did not start"
refused "create alice --no-gpu" 75 "the database locked"
wait "$HOLDER" || vs_fail "the database holder failed"
dk_stop
refused "create alice --no-gpu" 69 "the engine down"
dk_start

vs_step "7. GPUs through the stand-ins (NVML, hook, runtime)"
install -D -m 0644 "$FAKE_NVML_DIR/libnvidia-ml.so.1" "$VS_ROOT/usr/local/lib/fake-nvml/libnvidia-ml.so.1"
NV="LD_LIBRARY_PATH=/usr/local/lib/fake-nvml FAKE_NVML_GPUS=1 FAKE_NVML_MIG=3"
vs_try vs_run "$NV aicactl gpu status --json"
vs_assert_rc 0 "gpu status with the stand-in"
MIG=$(vs_json '[m["uuid"] for g in j["gpus"] for m in g["mig_instances"] if m["profile"] == "3g.40gb"][0]')
refused "create alice --mig 9g.99gb" 65 "a bad profile" "$NV"
vs_try vs_run "$NV aicactl session create alice --mig 3g.40gb --ttl 1h --json"
vs_assert_rc 0 "create --mig 3g.40gb"
G1=$(vs_json 'j["id"]')
vs_assert_eq "$MIG" "$(vs_json 'j["slice"]')" "the session's slice"
vs_try dk inspect --format '{{json .HostConfig.DeviceRequests}}' "aicactl-session-$G1"
vs_assert_contains "$VS_OUT" "\"DeviceIDs\":[\"$MIG\"]" "DeviceRequests"
vs_assert_contains "$VS_OUT" '"Driver":"nvidia"' "DeviceRequests"
vs_try vs_run 'cat /run/nvidia-hook.log'
vs_assert_contains "$VS_OUT" "container env: NVIDIA_VISIBLE_DEVICES=$MIG" "the hook stand-in's log"
vs_try vs_run "$NV aicactl session create bob --mig 3g.40gb --ttl 1h"
vs_assert_rc 1 "the only 3g.40gb slice is taken"
vs_run "printf 'gpu_mode = \"runtime\"\n' >>$CONF" # the [sessions] section is the last one
vs_run 'rm -f /run/nvidia-runtime.log'
vs_try vs_run "$NV aicactl session create bob --mig 2g.20gb --ttl 1h --json"
vs_assert_rc 0 "create in runtime mode"
G2=$(vs_json 'j["id"]')
vs_try dk inspect --format '{{.HostConfig.Runtime}} {{range .Config.Env}}{{.}} {{end}}' "aicactl-session-$G2"
vs_assert_match '^nvidia .*NVIDIA_VISIBLE_DEVICES=MIG-' "$VS_OUT" "the runtime-mode container"
vs_assert_ok 'grep -q create /run/nvidia-runtime.log' "the runtime stand-in ran"
sess delete "$G1"
sess delete "$G2"

vs_step "8. self-service through sudo"
vs_try vs_as alice 'sudo -n /data/system/bin/aicactl session create --self --json'
vs_assert_rc 0 "alice: sudo aicactl session create --self"
S1=$(vs_json 'j["id"]')
vs_assert_eq alice "$(vs_json 'j["user"]')" "the self-service session's user"
vs_try vs_as bob "sudo -n /data/system/bin/aicactl session delete --self $S1"
vs_assert_ne 0 "$VS_RC" "bob deleting alice's session"
sess show "$S1"
vs_assert_rc 0 "alice's session after bob's attempt"
vs_try vs_as alice "sudo -n /data/system/bin/aicactl session delete --self $S1"
vs_assert_rc 0 "alice deletes her own session"

vs_pass
