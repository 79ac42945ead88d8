# shellcheck shell=bash
# SPDX-License-Identifier: Apache-2.0
# A real Docker Engine (Debian's docker.io) inside the virtual server, for the session scenarios.
# Source it after lib/vserver.sh; before vs_main, call dk_prepare_rootfs (on the host, which has
# the network: it builds or finds the session image's cached root file system).
#
# dk_start starts dockerd as a background vs_run (pid 1 of its own pid namespace; its mounts
# stay in that vs_run's mount namespace): socket /run/docker.sock inside the server, data root a
# tmpfs at /var/lib/docker (overlay2 on the server's overlay root would fail; it survives a
# dockerd restart and is gone with a re-image), no iptables, no NAT, no ip_forward change. The
# server has its own network namespace, so the bridge, the veths and docker-proxy stay in it and
# published ports are reached on the server's 127.0.0.1. The cgroup hierarchies are bound in
# (the server's /sys is a non-recursive read-only bind); containers get the cgroup parent
# /aicactl-e2e, removed (when empty) by dk_stop.
#
# Stand-ins at the NVIDIA boundary (no GPU here): the runtime `nvidia` is a script that logs its
# argv to /run/nvidia-runtime.log and execs runc; `nvidia-container-runtime-hook` on dockerd's
# PATH (so DeviceRequests with driver nvidia are accepted) logs argv, environment, its stdin
# (the OCI state) and the container's NVIDIA_VISIBLE_DEVICES to /run/nvidia-hook.log, exits 0.

DK_SOCKET=/run/docker.sock
DK_PID=""
DK_SESSION_IMAGE=aicactl/session:bookworm # the image name scenarios use (scripts/session-image)
export DK_SESSION_IMAGE
DK_REPO_DIR="$(cd "$VS_E2E_DIR/../.." && pwd)"
DK_CGROUP_PARENT=/aicactl-e2e

# On the host (not in the server), before vs_main: the session image's root file system, built
# once with debootstrap (network) and cached. Not root: vs_main skips.
dk_prepare_rootfs() {
  [[ ${VS_INSIDE:-} == 1 || $(id -u) != 0 ]] && return 0
  [[ -x /usr/sbin/dockerd && -x /usr/bin/docker && -x /usr/sbin/debootstrap ]] \
    || vs_skip "docker.io or debootstrap is missing (scripts/bootstrap installs them)"
  "$DK_REPO_DIR/scripts/session-image" --rootfs-only >/dev/null \
    || vs_fail "scripts/session-image --rootfs-only failed"
}

dk__install_standins() {
  cat >"$VS_ROOT/usr/local/sbin/nvidia-standin-runtime" <<'SH'
#!/bin/sh
# Stand-in for nvidia-container-runtime (e2e): logs, then runs runc.
printf '%s\n' "$*" >>/run/nvidia-runtime.log
exec /usr/sbin/runc "$@"
SH
  cat >"$VS_ROOT/usr/local/bin/nvidia-container-runtime-hook" <<'SH'
#!/bin/sh
# Stand-in for the NVIDIA container hook (e2e): logs argv, environment and the OCI state.
{
  printf 'argv: %s\n' "$*"
  env | sed 's/^/env: /'
  state=$(cat)
  printf 'state: %s\n' "$state"
  bundle=$(printf '%s' "$state" | sed -n 's/.*"bundle":"\([^"]*\)".*/\1/p')
  grep -o 'NVIDIA_VISIBLE_DEVICES=[^"]*' "$bundle/config.json" | sed 's/^/container env: /'
} >>/run/nvidia-hook.log
exit 0
SH
  chmod 0755 "$VS_ROOT/usr/local/sbin/nvidia-standin-runtime" "$VS_ROOT/usr/local/bin/nvidia-container-runtime-hook"
}

# The engine is reached from here (the scenario's side) through the server's socket file: the
# repository and the cache need not be visible inside the server (its root is an overlay of /
# without the host's other mounts).
dk_host_socket() { printf '%s' "$VS_ROOT$DK_SOCKET"; }

# dk_ping: the engine answers GET /_ping.
dk_ping() {
  local reply
  [[ -S $(dk_host_socket) ]] || return 1
  reply=$(python3 "$VS_E2E_DIR/lib/docker_api.py" "$(dk_host_socket)" GET /_ping 2>/dev/null) || return 1
  [[ ${reply%%$'\n'*} == 200 ]]
}

# dk_api METHOD PATH [JSON]: one API request; prints the status line, then the body.
dk_api() {
  python3 "$VS_E2E_DIR/lib/docker_api.py" "$(dk_host_socket)" "$@"
}

# dk CMD...: Debian's docker client on the server's engine (for inspection only).
dk() {
  /usr/bin/docker -H "unix://$(dk_host_socket)" "$@"
}

# The cgroup hierarchies at the server's /sys/fs/cgroup: the host's, bound, where they are
# writable; where any is read-only (the scenario itself runs in a container, e.g. fresh-check),
# fresh mounts of the same hierarchies (cgroup v1 controllers by their options, or cgroup2).
dk__mount_cgroups() {
  local target=$VS_ROOT/sys/fs/cgroup tgt type opts rel
  mountpoint -q "$target" && return 0
  if ! [[ $(findmnt -R -n -r -o VFS-OPTIONS /sys/fs/cgroup) =~ (^|,|$'\n')ro(,|$'\n'|$) ]]; then
    mount --rbind /sys/fs/cgroup "$target"
    return 0
  fi
  if [[ $(findmnt -n -o FSTYPE /sys/fs/cgroup) == cgroup2 ]]; then
    mount -t cgroup2 vs-cgroup2 "$target"
    return 0
  fi
  mount -t tmpfs -o mode=0755 vs-cgroup "$target"
  while read -r tgt type opts; do
    rel=${tgt#/sys/fs/cgroup}
    [[ -n $rel ]] || continue
    mkdir -p "$target$rel"
    case $type in
      cgroup2) mount -t cgroup2 vs-cgroup2 "$target$rel" ;;
      cgroup) mount -t cgroup -o "$(tr , '\n' <<<"$opts" | grep -vxE 'rw|ro' | paste -sd, -)" vs-cgroup "$target$rel" ;;
    esac
  done < <(findmnt -R -n -r -o TARGET,FSTYPE,FS-OPTIONS /sys/fs/cgroup)
}

# dk_start: starts dockerd (see above) and waits until it answers /_ping (60 s).
dk_start() {
  [[ -z $DK_PID ]] || vs_fail "dk_start: dockerd already runs (pid $DK_PID)"
  dk__mount_cgroups
  if ! mountpoint -q "$VS_ROOT/var/lib/docker"; then
    mkdir -p "$VS_ROOT/var/lib/docker"
    mount -t tmpfs -o "size=${DK_DATA_SIZE:-2g},mode=0711" vs-docker "$VS_ROOT/var/lib/docker"
  fi
  dk__install_standins
  vs_run 'ip link set lo up && rm -f /run/docker.pid'
  vs_run "exec dockerd --host unix://$DK_SOCKET --data-root /var/lib/docker --exec-root /run/docker \
    --pidfile /run/docker.pid --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
    --storage-driver=overlay2 --cgroup-parent $DK_CGROUP_PARENT \
    --add-runtime nvidia=/usr/local/sbin/nvidia-standin-runtime >>/run/dockerd.log 2>&1" >/dev/null 2>&1 &
  DK_PID=$!

  for _ in $(seq 300); do
    dk_ping && break
    kill -0 "$DK_PID" 2>/dev/null || vs_fail "dockerd exited: $(vs_run 'tail -n 20 /run/dockerd.log')"
    sleep 0.2
  done
  dk_ping || vs_fail "dockerd did not answer /_ping in 60 s: $(vs_run 'tail -n 20 /run/dockerd.log')"
  vs_log "dockerd runs (server socket $DK_SOCKET)"
}

# dk_stop: SIGTERM to dockerd (it stops its containers; those with a restart policy come back
# on the next start), then the rest of its vs_run by SIGKILL after 30 s. dockerd is pid 1 of
# its vs_run's pid namespace, so it is signalled from here (found below the vs_run by name).
dk_stop() {
  [[ -n $DK_PID ]] || return 0
  local daemon
  daemon="$(dk__daemon_pid)"
  [[ -n $daemon ]] && kill -TERM "$daemon" 2>/dev/null
  for _ in $(seq 150); do
    kill -0 "$DK_PID" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$DK_PID" 2>/dev/null; then
    vs_log "dockerd did not stop in 30 s; killing it"
    # shellcheck disable=SC2046 # a list of pids
    kill -KILL $(children_of "$DK_PID") "$DK_PID" 2>/dev/null || true
  fi
  wait "$DK_PID" 2>/dev/null || true
  DK_PID=""
  dk__remove_cgroups
}

# The pid (as seen here) of the dockerd below the background vs_run $DK_PID.
dk__daemon_pid() {
  local queue=("$DK_PID") p
  while ((${#queue[@]})); do
    p=${queue[0]}
    queue=("${queue[@]:1}")
    if [[ $(cat "/proc/$p/comm" 2>/dev/null) == dockerd ]]; then
      echo "$p"
      return 0
    fi
    # shellcheck disable=SC2207 # pids
    queue+=($(children_of "$p"))
  done
}

# dk_forget: after vs_reboot (which killed everything inside), the engine is gone.
dk_forget() {
  [[ -z $DK_PID ]] || wait "$DK_PID" 2>/dev/null || true
  DK_PID=""
  dk__remove_cgroups
}

# The empty cgroups the engine leaves in the host's hierarchies when killed.
dk__remove_cgroups() {
  local h
  for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/*/*/; do
    [[ -d $h${DK_CGROUP_PARENT#/} ]] || continue
    find "$h${DK_CGROUP_PARENT#/}" -depth -mindepth 0 -type d -exec rmdir {} + 2>/dev/null || true
  done
}

# dk_restart: dk_stop, then dk_start (same data root).
dk_restart() {
  dk_stop
  dk_start
}

# dk_load_image: imports the session image from the cached root file system into the server's
# engine (scripts/session-image; no network needed once cached).
dk_load_image() {
  "$DK_REPO_DIR/scripts/session-image" --engine "$(dk_host_socket)" >/dev/null \
    || vs_fail "scripts/session-image --engine $(dk_host_socket) failed"
}

# dk_cleanup_on_exit: after vs_main, so that every exit (pass or fail) stops the engine first
# and removes its cgroups, then unmounts the server as vs_main's own exit trap does.
dk_cleanup_on_exit() {
  trap 'dk__exit' EXIT
}

dk__exit() {
  local rc=$?
  trap - ERR
  set +e
  dk_stop
  (exit "$rc")
  vs__inner_exit
}

# dk_session_spec USER ID PORT [EXTRA-HOSTCONFIG-JSON]: writes the session's state files as
# aicactl does (/data/system/state/sessions/ID/: passwd, group, a copy of the user's
# authorized_keys; root:root 0644) and prints the container spec of docs/sessions.md for the
# Engine API (published on 127.0.0.1:PORT, no GPU unless EXTRA adds one, e.g.
# ', "Runtime": "nvidia"'). For the test bed and the bench's floor, without aicactl session.
dk_session_spec() {
  local user=$1 id=$2 port=$3 extra=${4:-} st=/data/system/state/sessions/$2 uid gid groups
  uid=$(vs_run "id -u $user")
  gid=$(vs_run "id -g $user")
  groups=$(vs_run "id -G $user | tr ' ' '\n' | { grep -vx $gid || true; } | paste -sd, -")
  vs_run "set -e; install -d -m 0755 $st
    printf 'root:x:0:0:root:/root:/bin/bash\n$user:x:$uid:$gid::/workspace:/bin/bash\n' >$st/passwd
    { echo root:x:0:; for g in $gid \$(echo $groups | tr , ' '); do getent group \$g | cut -d: -f1-3 | sed 's/\$/:$user/'; done; } >$st/group
    cat /data/users/$user/.ssh/authorized_keys >$st/authorized_keys
    chmod 0644 $st/passwd $st/group $st/authorized_keys"
  cat <<JSON
{"Image": "$DK_SESSION_IMAGE", "User": "$uid:$gid", "Hostname": "$user-$id", "WorkingDir": "/workspace",
 "Env": ["HOME=/workspace", "USER=$user", "LOGNAME=$user"],
 "Cmd": ["/usr/local/sbin/aicactl-session-sshd", "2222"], "ExposedPorts": {"2222/tcp": {}},
 "Labels": {"aicactl.session": "$id", "aicactl.user": "$user", "aicactl.expires": "1790000000"},
 "HostConfig": {
   "Binds": ["/data/users/$user:/workspace:rw", "$st/passwd:/etc/passwd:ro", "$st/group:/etc/group:ro",
             "$st/authorized_keys:/etc/aicactl/authorized_keys:ro"],
   "GroupAdd": [${groups:+\"${groups//,/\",\"}\"}],
   "PortBindings": {"2222/tcp": [{"HostIp": "127.0.0.1", "HostPort": "$port"}]},
   "CapDrop": ["ALL"], "SecurityOpt": ["no-new-privileges"], "PidsLimit": 4096,
   "Memory": 1073741824, "NanoCpus": 1000000000, "RestartPolicy": {"Name": "unless-stopped"},
   "Init": true $extra}}
JSON
}
