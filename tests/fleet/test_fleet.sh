#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The Ansible module and role (deploy/ansible) on a fleet of three hosts: three containers (all
# capabilities, no seccomp filter) of a locally built Debian 12 image (debootstrap from apt's own mirror + docker
# import, no registry; the root file system is cached as a tarball), each with a tmpfs as its
# /data disk, run by a private dockerd of Debian's docker.io whose data root is a tmpfs (it works
# inside the fresh-check container too, where overlay on overlay would not). Debian's
# ansible-core has no docker connection, so the play reaches the containers through
# connection_plugins/docker_cli.py (docker exec). Proves:
#   1. the first play converges all three hosts (changed > 0, failed = 0 on each);
#   2. the second play changes nothing (changed=0 on every host);
#   3. --check --diff on a host that drifted shows exactly that drift (aicactl's "Would ..."
#      lines) on that host only, and changes nothing;
#   4. a bad user name fails that task with aicactl's own message;
#   5. docker_ids: present gave alice a sub-id range on every host (step 1), absent takes it away.
#      (check mode for a new user with docker_ids: the range is a planned change.)
# Usage (as root): AICACTL_DEB=build/aicactl_<version>_amd64.deb tests/fleet/test_fleet.sh
# Exit: 0 pass, 1 fail, 77 skipped (not root, or a tool is missing: scripts/bootstrap installs them).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=scripts/lib/debian-rootfs.sh
source "$repo/scripts/lib/debian-rootfs.sh"
cache=${AICACTL_FLEET_CACHE:-/var/cache/aicactl-fleet}
run_dir=/run/aicactl-fleet
docker_bin=/usr/bin/docker # Debian's docker.io, never another client earlier in PATH
dockerd_bin=/usr/sbin/dockerd
suite=bookworm
hosts=(h1 h2 h3)

say() { printf '[fleet] %s\n' "$*"; }
fail() {
  printf '[fleet] FAIL: %s\n' "$*" >&2
  exit 1
}
skip() {
  printf '[fleet] SKIP: %s\n' "$*" >&2
  exit 77
}

[[ $(id -u) == 0 ]] || skip "needs root (starts a dockerd and containers)"
for tool in "$docker_bin" "$dockerd_bin" /usr/sbin/debootstrap /usr/bin/ansible-playbook; do
  [[ -x $tool ]] || skip "'$tool' is missing (scripts/bootstrap installs docker.io, debootstrap, ansible-core)"
done
deb=$(readlink -f -- "${AICACTL_DEB:-}") || true
[[ -f $deb ]] || fail "the package under test is missing: '${AICACTL_DEB:-}' (ctest builds it in the deb.package fixture)"
install -d -m 0700 "$cache"
exec 9>"$cache/lock"
flock -w 1800 9 || fail "another fleet test has held '$cache/lock' for 30 minutes"

# ---------------------------------------------------------------------------------------------
# a private engine on a tmpfs

engine_ping() {
  timeout 5 /usr/bin/python3 - "$1" <<'PY' >/dev/null 2>&1
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
reply = b""
while chunk := s.recv(4096):
    reply += chunk
sys.exit(0 if reply.split(b"\r\n", 1)[0].split()[1:2] == [b"200"] else 1)
PY
}

dockerd_pid=""
work=""
cleanup() {
  local rc=$?
  set +e
  if [[ -n $dockerd_pid ]]; then
    for h in "${hosts[@]}"; do docker rm -f "aicactl-fleet-$h" >/dev/null 2>&1; done
    kill -TERM "$dockerd_pid" 2>/dev/null
    for _ in $(seq 100); do
      kill -0 "$dockerd_pid" 2>/dev/null || break
      sleep 0.2
    done
    kill -0 "$dockerd_pid" 2>/dev/null && kill -KILL "$dockerd_pid"
    wait "$dockerd_pid" 2>/dev/null
  fi
  if mountpoint -q "$run_dir/data" 2>/dev/null; then
    umount -R "$run_dir/data" 2>/dev/null || umount -R -l "$run_dir/data"
  fi
  [[ -d $run_dir ]] && rm -rf --one-file-system -- "$run_dir"
  [[ -n $work && -d $work ]] && rm -rf --one-file-system -- "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

# A killed run may have left its engine: stop it by its pid file before starting ours.
if [[ -s $run_dir/dockerd.pid ]]; then
  old=$(<"$run_dir/dockerd.pid")
  [[ $(readlink "/proc/$old/exe" 2>/dev/null) == "$dockerd_bin" ]] && kill -TERM "$old" && sleep 3
fi
mountpoint -q "$run_dir/data" 2>/dev/null && umount -R -l "$run_dir/data"
rm -rf --one-file-system -- "$run_dir"
install -d -m 0700 "$run_dir" "$run_dir/data"
mount -t tmpfs -o size=3g,mode=0700 aicactl-fleet "$run_dir/data"
socket=$run_dir/docker.sock
"$dockerd_bin" --host "unix://$socket" --pidfile "$run_dir/dockerd.pid" \
  --data-root "$run_dir/data/docker" --exec-root "$run_dir/exec" \
  --containerd-namespace aicactl-fleet --containerd-plugins-namespace aicactl-fleet-plugins \
  --bridge=none --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
  --storage-driver=overlay2 >"$run_dir/dockerd.log" 2>&1 9>&- &
dockerd_pid=$!
for _ in $(seq 150); do
  engine_ping "$socket" && break
  kill -0 "$dockerd_pid" 2>/dev/null || { tail -n 20 "$run_dir/dockerd.log" >&2; fail "dockerd exited"; }
  sleep 0.2
done
engine_ping "$socket" || { tail -n 20 "$run_dir/dockerd.log" >&2; fail "dockerd did not answer /_ping in 30 s"; }
docker() { "$docker_bin" -H "unix://$socket" "$@"; }
say "started a private dockerd (pid $dockerd_pid) on $socket, data root on a tmpfs"

# ---------------------------------------------------------------------------------------------
# the image: bookworm minbase + python3 (Ansible's modules) from apt's own mirror, cached

include=python3,python3-apt,sudo,acl
recipe="v1 fleet host; sources.list: main of each repository"
start=$SECONDS
tarball=$(debian_rootfs_tarball "$suite" "$include" "$cache" "$recipe") || fail "could not build the root file system"
say "root file system ${tarball##*/} ready in $((SECONDS - start)) s"
key=${tarball##*-}
key=${key%.tar}
image=aicactl-fleet:$suite-$key
docker import --change 'CMD ["/bin/bash"]' "$tarball" "$image" >/dev/null
for h in "${hosts[@]}"; do
  # Every capability and no seccomp filter (accounts, ACLs, mounts as on a server; like
  # fresh-check, without CAP_SYS_RESOURCE, which runc cannot grant where this test itself runs
  # in a container), no network; /data a disk of its own.
  docker run -d --name "aicactl-fleet-$h" --hostname "$h" --cap-add=ALL --cap-drop=SYS_RESOURCE \
    --security-opt seccomp=unconfined --security-opt apparmor=unconfined --network none \
    --tmpfs /data:rw,size=256m,mode=0755 "$image" sleep infinity >/dev/null
done
say "three hosts up in $((SECONDS - start)) s"

# ---------------------------------------------------------------------------------------------
# the playbook

work=$(mktemp -d /var/tmp/aicactl-fleet.XXXXXX)
cat >"$work/ansible.cfg" <<CFG
[defaults]
inventory = $work/inventory.ini
connection_plugins = $here/connection_plugins
interpreter_python = /usr/bin/python3
forks = 3
retry_files_enabled = False
nocows = True
stdout_callback = default
[connection]
# The module goes to the host on stdin of its one docker exec (no temp file copied first).
pipelining = True
CFG
{
  echo "[fleet]"
  for h in "${hosts[@]}"; do echo "$h ansible_host=aicactl-fleet-$h"; done
  echo "[fleet:vars]"
  echo "ansible_connection=docker_cli"
  echo "ansible_docker_host=unix://$socket"
  echo "ansible_docker_bin=$docker_bin"
} >"$work/inventory.ini"
cat >"$work/site.yml" <<YML
---
- name: aicactl on every GPU host
  hosts: fleet
  gather_facts: false
  roles:
    - role: aicactl.server.aicactl
      vars:
        aicactl_deb: $deb
        aicactl_init: true
        aicactl_config:
          layout: {group: gpu-users}
          disk: {threshold: 90}
        aicactl_users:
          - {name: alice, expires: "2099-12-31", docker_ids: present}
          - {name: bob, docker_ids: absent}
          - {name: carol, state: absent}
YML
export ANSIBLE_CONFIG=$work/ansible.cfg ANSIBLE_COLLECTIONS_PATH=$repo/deploy/ansible ANSIBLE_FORCE_COLOR=0 \
  ANSIBLE_NOCOLOR=1 ANSIBLE_LOCAL_TEMP=$work/tmp ANSIBLE_HOME=$work/home

PLAY_OUT=""
PLAY_RC=0
play() { # ARGS...: runs ansible-playbook, keeps its output and exit code
  local t=$SECONDS
  PLAY_RC=0
  PLAY_OUT=$(cd "$work" && ansible-playbook "$@" 2>&1) || PLAY_RC=$?
  say "ansible-playbook $*: exit $PLAY_RC in $((SECONDS - t)) s"
}
dump() { printf '%s\n' "$PLAY_OUT" | sed 's/^/    | /' >&2; }
recap() { # HOST FIELD: that field of the host's PLAY RECAP line
  printf '%s\n' "$PLAY_OUT" | awk -v h="$1" -v f="$2" '$1 == h && $2 == ":" {
    for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == f) print kv[2] } }'
}
on() { docker exec "aicactl-fleet-$1" /bin/sh -c "$2"; }

say "== 1. the first play converges all three hosts"
play site.yml
[[ $PLAY_RC == 0 ]] || { dump; fail "the first play failed"; }
for h in "${hosts[@]}"; do
  [[ $(recap "$h" failed) == 0 && $(recap "$h" changed) -gt 0 ]] \
    || { dump; fail "$h: expected changes and no failure, recap changed=$(recap "$h" changed) failed=$(recap "$h" failed)"; }
  on "$h" 'getent passwd alice >/dev/null && getent passwd bob >/dev/null && ! getent passwd carol' \
    || fail "$h: alice and bob should have accounts, carol none"
  [[ $(on "$h" 'readlink /home/alice') == /data/users/alice ]] || fail "$h: /home/alice is not the link to /data/users/alice"
  on "$h" 'aicactl doctor >/dev/null' || fail "$h: aicactl doctor fails after the play"
  on "$h" 'grep -qx "threshold = 90" /data/system/config/aicactl.toml' || fail "$h: the config file lacks the role's value"
  on "$h" 'grep -q "^alice:" /etc/subuid && grep -q "^alice:" /etc/subgid && ! grep -q "^bob:" /etc/subuid' \
    || fail "$h: docker_ids: alice should have a sub-id range in /etc/subuid and /etc/subgid, bob none"
done

say "== 2. the second play changes nothing"
play site.yml
[[ $PLAY_RC == 0 ]] || { dump; fail "the second play failed"; }
for h in "${hosts[@]}"; do
  [[ $(recap "$h" changed) == 0 && $(recap "$h" failed) == 0 ]] \
    || { dump; fail "$h: the second play should report changed=0, recap changed=$(recap "$h" changed)"; }
done

say "== 3. --check --diff on a drifted host shows exactly the drift and changes nothing"
on h2 'rm /home/alice && chmod g-rwx,o-rx /data/cache/pip'
drifted_mode=$(on h2 'stat -c %a /data/cache/pip')
snapshot() { on "$1" 'find /data /home /etc -xdev -path /data/system/log -prune -o -printf "%p %y %u %g %m %l\n" | sort; getfacl -R -P -p -s /data 2>/dev/null'; }
before=$(snapshot h2)
play site.yml --check --diff
[[ $PLAY_RC == 0 ]] || { dump; fail "the check play failed"; }
[[ $(snapshot h2) == "$before" ]] || fail "h2 changed during --check"
on h2 "! test -e /home/alice && test \"\$(stat -c %a /data/cache/pip)\" = $drifted_mode" || fail "h2's drift was repaired by --check"
[[ $(recap h1 changed) == 0 && $(recap h3 changed) == 0 ]] || { dump; fail "h1 or h3 reported changes under --check"; }
[[ $(recap h2 changed) == 2 ]] || { dump; fail "h2: expected the setup and alice's task to report a change, recap changed=$(recap h2 changed)"; }
would=$(printf '%s\n' "$PLAY_OUT" | grep -E '^Would ' || true)
grep -q "/home/alice" <<<"$would" || { dump; fail "the diff does not show the missing /home/alice link"; }
grep -q "/data/cache/pip" <<<"$would" || { dump; fail "the diff does not show /data/cache/pip's mode"; }
if grep -vE '/home/alice|/data/cache/pip' <<<"$would"; then dump; fail "the diff shows more than the drift (above)"; fi
say "the diff:"
printf '%s\n' "$would" | sed 's/^/    /'
play site.yml --limit h2
[[ $PLAY_RC == 0 && $(recap h2 changed) == 2 ]] || { dump; fail "the play did not repair h2's drift"; }
[[ $(on h2 'readlink /home/alice') == /data/users/alice ]] || fail "h2: /home/alice was not put back"

say "== 4. a bad user name fails that task with aicactl's message"
play site.yml --limit h1 -e '{"aicactl_users": [{"name": "Bad Name"}]}'
[[ $PLAY_RC != 0 && $(recap h1 failed) == 1 ]] || { dump; fail "the play with a bad user name should fail one task on h1"; }
grep -q "TASK \[aicactl.server.aicactl : Users\]" <<<"$PLAY_OUT" || { dump; fail "no Users task ran"; }
msg=$(printf '%s\n' "$PLAY_OUT" | grep -E '^failed: \[h1\]' || true)
[[ $msg == *'"msg": "aicactl: error: '*'Bad Name'* ]] || { dump; fail "the failure does not carry aicactl's message: $msg"; }
say "the failure: ${msg:0:300}"

say "== 5. docker_ids: absent takes a range away; a new user's range is a change in check mode"
play site.yml --limit h3 -e '{"aicactl_users": [{"name": "alice", "docker_ids": "absent"}]}'
[[ $PLAY_RC == 0 && $(recap h3 changed) == 1 ]] || { dump; fail "h3: docker_ids absent should change alice's task, recap changed=$(recap h3 changed)"; }
on h3 '! grep -q "^alice:" /etc/subuid && ! grep -q "^alice:" /etc/subgid' || fail "h3: alice's sub-id lines are still there"
play site.yml --limit h3 --check --diff -e '{"aicactl_users": [{"name": "erin", "docker_ids": "present"}]}'
[[ $PLAY_RC == 0 && $(recap h3 changed) == 1 ]] || { dump; fail "h3: a new user with docker_ids in check mode should be one change"; }
grep -q "Would give 'erin' a sub-id range" <<<"$PLAY_OUT" || { dump; fail "the diff does not show erin's range"; }
on h3 '! getent passwd erin && ! grep -q "^erin:" /etc/subuid' || fail "h3: check mode created erin or her range"

say "PASS in $SECONDS s"
