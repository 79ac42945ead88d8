#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The session test bed without `aicactl session`: Debian's dockerd inside the server
# (lib/docker.sh), the image of scripts/session-image, and a container made through the Engine
# API with exactly the spec aicactl's sessions use (docs/sessions.md; runs as the user's uid,
# every capability dropped, no-new-privileges, the user's key bound read-only, published on
# 127.0.0.1). Proves: alice logs in over the published port with her own key on the first try,
# runs with her uid and no capabilities, and what she writes to /workspace lands in
# /data/users/alice owned by her; bob's key is refused; a second session-image run imports
# nothing; DeviceRequests with driver nvidia run the hook stand-in with the device id; the
# `nvidia` runtime stand-in runs; a dockerd restart brings the container back on its port.
source "$(dirname "$0")/lib/vserver.sh"
source "$(dirname "$0")/lib/docker.sh"
dk_prepare_rootfs
vs_main "$@"
dk_cleanup_on_exit

SSH_OPTS="-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o ConnectTimeout=10 -o LogLevel=ERROR"

vs_boot
vs_setup
vs_aicactl user add alice
vs_assert_rc 0
vs_aicactl user add bob
vs_assert_rc 0
vs_run 'for u in alice bob; do su - $u -c "ssh-keygen -q -t ed25519 -N \"\" -f ~/.ssh/id_ed25519 && cp ~/.ssh/id_ed25519.pub ~/.ssh/authorized_keys"; done'

vs_step "dockerd in the server, the image from the cache"
dk_start
dk_load_image
vs_try "$DK_REPO_DIR/scripts/session-image" --engine "$(dk_host_socket)"
vs_assert_rc 0
vs_assert_contains "$VS_OUT" "is up to date" "a second session-image run"
vs_try dk image inspect --format '{{json .Config.Cmd}} {{.Config.WorkingDir}}' "$DK_SESSION_IMAGE"
vs_assert_eq '["/usr/local/sbin/aicactl-session-sshd","2222"] /workspace' "$VS_OUT" "the image's command"
vs_assert_fails "/usr/bin/docker -H unix://$DK_SOCKET run --rm --entrypoint /bin/sh $DK_SESSION_IMAGE -c 'ls /etc/ssh/ssh_host_*'" \
  "the image has no host keys"

# container ID PORT EXTRA-HOSTCONFIG-JSON: alice's session container as aicactl makes it.
container() {
  local spec reply
  spec=$(dk_session_spec alice "$1" "$2" "$3")
  reply=$(dk_api POST "/v1.41/containers/create?name=aicactl-session-$1" "$spec")
  [[ $(head -n 1 <<<"$reply") == 201 ]] || vs_fail "creating container $1 failed: $reply"
  reply=$(dk_api POST "/v1.41/containers/aicactl-session-$1/start")
  [[ $(head -n 1 <<<"$reply") == 204 ]] || vs_fail "starting container $1 failed: $reply"
}

# wait_banner PORT: sshd's banner on 127.0.0.1:PORT within 30 s.
wait_banner() {
  vs_run "for i in \$(seq 300); do
      (exec 3<>/dev/tcp/127.0.0.1/$1 && timeout 2 head -c 8 <&3) 2>/dev/null | grep -q '^SSH-2.0' && exit 0
      sleep 0.1
    done; exit 1" || vs_fail "no SSH banner on 127.0.0.1:$1"
}

vs_step "alice logs in with her own key; uid, no capabilities, /workspace is her /data home"
container 0123456789ab 10000 ', "DeviceRequests": [{"Driver": "nvidia", "DeviceIDs": ["MIG-5e1f4f0c-0000-4000-8000-000000000001"], "Capabilities": [["gpu"]]}]'
wait_banner 10000
vs_assert_as_ok alice "ssh -p 10000 $SSH_OPTS alice@127.0.0.1 'id -u; id -un; grep ^CapEff /proc/self/status; grep ^NoNewPrivs /proc/self/status; echo from-session >/workspace/x'"
vs_assert_eq "$(vs_run 'id -u alice')
alice
CapEff:	0000000000000000
NoNewPrivs:	1" "$VS_OUT" "id, capabilities and no_new_privs inside"
vs_assert_stat /data/users/alice/x "alice alice" "%U %G"
vs_assert_eq from-session "$(vs_run 'cat /data/users/alice/x')" "/data/users/alice/x"

vs_step "bob's key is refused on alice's port"
vs_assert_as_fails bob "ssh -p 10000 $SSH_OPTS alice@127.0.0.1 true"
vs_assert_contains "$VS_ERR" "Permission denied (publickey)" "bob on alice's port"
vs_assert_as_fails bob "ssh -p 10000 $SSH_OPTS bob@127.0.0.1 true"

vs_step "DeviceRequests (driver nvidia) ran the hook stand-in with the MIG UUID"
vs_try vs_run 'cat /run/nvidia-hook.log'
vs_assert_contains "$VS_OUT" "argv: prestart" "the hook log"
vs_assert_contains "$VS_OUT" "container env: NVIDIA_VISIBLE_DEVICES=MIG-5e1f4f0c-0000-4000-8000-000000000001" "the hook log"

vs_step "the nvidia runtime stand-in runs a container"
container 0123456789ac 10001 ', "Runtime": "nvidia"'
wait_banner 10001
vs_try vs_run 'cat /run/nvidia-runtime.log'
vs_assert_match "create .*--bundle" "$VS_OUT" "the runtime stand-in's log"

vs_step "a dockerd restart brings the containers back on their ports"
dk_restart
wait_banner 10000
wait_banner 10001
vs_assert_as_ok alice "ssh -p 10000 $SSH_OPTS alice@127.0.0.1 'cat /workspace/x'"
vs_assert_eq from-session "$VS_OUT" "alice's file after the restart"

vs_pass
