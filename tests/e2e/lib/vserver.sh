# shellcheck shell=bash
# SPDX-License-Identifier: Apache-2.0
# The "virtual server" for aicactl's end-to-end scenarios (see DESIGN.md, "Testing: the
# virtual server"). A scenario sources this file and calls `vs_main "$@"` first.
#
# How it works: vs_main re-executes the scenario as pid 1 of a private mount, pid, network,
# uts and ipc namespace (unshare). There the server's root is an overlayfs whose lower layer
# is the host's `/`: every write (accounts in /etc, homes, /usr/local, /var/log) lands in a
# throw-away upper dir, so the host never changes. `/data` is a size-limited tmpfs mounted
# once per scenario and bind-mounted into every "boot", so it persists across vs_reboot like a
# real data disk. /dev, /run, /tmp are private tmpfs, /sys is read-only.
#
# Containment: the binary under test is root and may (if buggy) follow a planted symlink to
# `/` and walk everything it can reach. So nothing reachable from inside may lead out:
# - every vs_run is pid 1 of its own pid namespace with its own /proc (so /proc/*/root,
#   /proc/*/cwd and /proc/*/exe all lie inside the server), and its stdin/stdout/stderr are
#   files inside the server (so /proc/self/fd/* lead nowhere else); other fds are closed;
#   /proc/sys and /proc/sysrq-trigger are read-only;
# - /dev is a tmpfs with its own device nodes and a new devpts instance, never the host's /dev;
# - /sys is a non-recursive read-only bind.
# The namespace's mounts (the state tmpfs with the overlay's upper layer included) are
# invisible to the host; the outer process removes the empty state dir after the namespace is
# gone (rm --one-file-system).
#
# Exit codes (ctest): 0 pass, 1 fail, 77 skipped (not root, no unshare/overlayfs/ACLs, a
# missing host tool). A command that happens to exit 77 is reported as a failure, never a skip.

VS_PATH_ROOT="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
VS_E2E_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VS_NAME="$(basename "$0" .sh)"
VS_NAME="${VS_NAME#test_}"
VS_SKIPPING=0
VS_BOOTS=0
VS_RC=0
vs__rc=0
VS_OUT=""
VS_ERR=""
VS_LAST_CMD=""
# Scenarios that only test the harness itself set VS_NEEDS_BIN=0 before vs_main.
: "${VS_NEEDS_BIN:=1}"
# Where the binary under test is installed inside the server (on the volatile root disk).
VS_BIN_INSIDE="/usr/local/bin/aicactl"
VS_UNSHARE=(--mount --pid --net --uts --ipc --fork --propagation private)
# Inside the server, where each command's stdout and stderr go (a tmpfs of the server).
VS_IO_INSIDE="/run/vserver-io"

# ---------------------------------------------------------------------------------------
# messages and exits

vs_log() { printf '[e2e.%s] %s\n' "$VS_NAME" "$*"; }

vs_step() { printf '\n[e2e.%s] == %s\n' "$VS_NAME" "$*"; }

vs_skip() {
  VS_SKIPPING=1
  printf '[e2e.%s] SKIP: %s\n' "$VS_NAME" "$*" >&2
  exit 77
}

# Prints the last captured command (vs_try) with its exit code, stdout and stderr.
vs_dump_last() {
  [[ -n $VS_LAST_CMD ]] || return 0
  {
    printf '  last command: %s\n' "$VS_LAST_CMD"
    printf '  exit code:    %s\n' "$VS_RC"
    printf '  stdout:\n'
    printf '%s\n' "$VS_OUT" | head -n 60 | sed 's/^/    | /'
    printf '  stderr:\n'
    printf '%s\n' "$VS_ERR" | head -n 60 | sed 's/^/    | /'
  } >&2
}

vs_fail() {
  trap - ERR
  set +e +o pipefail
  printf '[e2e.%s] FAIL: %s\n' "$VS_NAME" "$*" >&2
  vs_dump_last
  exit 1
}

vs_pass() {
  vs_log "PASS"
  exit 0
}

vs__on_err() {
  printf '[e2e.%s] FAIL: line %s: command exited %s: %s\n' "$VS_NAME" "$1" "$2" "$3" >&2
}

# ---------------------------------------------------------------------------------------
# entry point

vs_main() {
  set -Eeuo pipefail
  # Only the main shell reports (a failing command in $(...) is reported by its caller).
  trap 'vs__rc=$?; [[ $BASHPID == "$$" ]] && vs__on_err "$LINENO" "$vs__rc" "$BASH_COMMAND"' ERR
  if [[ ${VS_INSIDE:-} == 1 ]]; then
    vs__inner_init
  else
    vs__outer "$@"
  fi
}

vs__require_tools() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || vs_skip "host tool '$tool' is missing (see DESIGN.md: acl sudo passwd login python3-pip npm)"
  done
}

vs__outer() {
  [[ $(id -u) == 0 ]] || vs_skip "needs root (runs a private mount+pid namespace)"
  vs__require_tools unshare mount umount mknod findmnt getfacl setfacl groupadd useradd su find stat
  [[ -x /usr/bin/python3 ]] || vs_skip "host tool '/usr/bin/python3' is missing"
  if [[ $VS_NEEDS_BIN == 1 ]]; then
    local bin="${AICACTL_BIN:-$VS_E2E_DIR/../../build/aicactl}"
    [[ -x $bin && -f $bin ]] || vs_fail "binary under test not found: '$bin' (set AICACTL_BIN)"
    AICACTL_BIN="$(readlink -f "$bin")"
    export AICACTL_BIN
  fi
  unshare "${VS_UNSHARE[@]}" true 2>/dev/null \
    || vs_skip "cannot create private namespaces (unshare ${VS_UNSHARE[*]})"
  unshare --pid --mount --fork --propagation private --kill-child=KILL --root=/ true 2>/dev/null \
    || vs_skip "this unshare lacks --root or --kill-child (util-linux >= 2.36 needed)"

  local parent="${VS_STATE_PARENT:-/var/tmp}"
  VS_STATE="$(mktemp -d "$parent/aicactl-e2e.$VS_NAME.XXXXXX")"
  export VS_STATE
  VS_CHILD=""
  # The namespace's mounts are not visible here, so this rm only sees the plain state dir.
  trap 'vs__outer_exit' EXIT
  trap 'exit 143' TERM
  trap 'exit 130' INT
  trap 'exit 129' HUP

  local tripwire_before
  tripwire_before="$(vs__host_tripwire)"
  VS_INSIDE=1 unshare "${VS_UNSHARE[@]}" --mount-proc --kill-child=KILL -- /bin/bash "$0" "$@" &
  VS_CHILD=$!
  local rc=0
  wait "$VS_CHILD" || rc=$?
  VS_CHILD=""
  trap - ERR
  local tripwire_after
  tripwire_after="$(vs__host_tripwire)"
  if [[ $tripwire_before != "$tripwire_after" ]]; then
    printf '[e2e.%s] FAIL: THE HOST CHANGED during the scenario (the virtual server leaked):\n' "$VS_NAME" >&2
    diff <(printf '%s\n' "$tripwire_before") <(printf '%s\n' "$tripwire_after") | sed 's/^/    /' >&2
    rc=1
  fi
  exit "$rc"
}

# The host files a leak would touch first (what setup writes, accounts, homes); their owner,
# mode, ctime and ACL before and after a scenario must be equal.
vs__host_tripwire() {
  local p acl
  for p in / /etc /etc/passwd /etc/group /etc/shadow /etc/gshadow /etc/profile.d /etc/pip.conf \
    /etc/conda /etc/uv /etc/npmrc /usr/etc/npmrc /etc/sudoers.d /etc/systemd/system /etc/cron.d \
    /home /run/aicactl /var/log/aicactl.log /data /dev/null; do
    [[ -e $p ]] || { printf '%s absent\n' "$p"; continue; }
    # getfacl -s prints nothing for a file without extended entries; a failure is an error.
    acl="$(getfacl -s -p -- "$p")" || vs_fail "tripwire: getfacl '$p' failed"
    printf '%s %s %s\n' "$p" "$(stat -c '%U %G %a %Z' -- "$p")" "$(sed '/^#/d' <<<"$acl" | tr '\n' ',')"
  done
}

vs__outer_exit() {
  local rc=$?
  trap - ERR
  set +e
  # Interrupted: unshare ignores SIGTERM, so kill it; --kill-child then kills the namespace's
  # pid 1, which takes every process and mount of the server with it.
  if [[ -n ${VS_CHILD:-} ]]; then
    kill -KILL "$VS_CHILD" 2>/dev/null
    wait "$VS_CHILD" 2>/dev/null
  fi
  [[ -n ${VS_STATE:-} && -d $VS_STATE ]] && rm -rf --one-file-system -- "$VS_STATE"
  exit "$rc"
}

vs__inner_init() {
  [[ -n ${VS_STATE:-} && -d $VS_STATE ]] || vs_fail "VS_STATE is not set inside the namespace"
  VS_ROOT="$VS_STATE/root"
  VS_DATA="$VS_STATE/data"
  trap 'vs__inner_exit' EXIT
  trap 'exit 143' TERM
  # Everything of this run (overlay upper layer, snapshots) lives on a tmpfs of the namespace:
  # it works where the host's disk cannot be an overlay upper layer (e.g. CI in a container)
  # and vanishes with the namespace.
  mount -t tmpfs -o "size=${VS_STATE_SIZE:-2g},mode=0700" vs-state "$VS_STATE"
  mkdir -p "$VS_ROOT" "$VS_DATA" "$VS_STATE/snap" "$VS_STATE/cap"
  vs__mount_data
  # ACL support on the data disk is what the shared caches need; without it, skip.
  touch "$VS_DATA/.acl-probe"
  if ! setfacl -m g:root:rwx "$VS_DATA/.acl-probe" 2>/dev/null; then
    vs_skip "the tmpfs for /data does not support POSIX ACLs"
  fi
  rm -f "$VS_DATA/.acl-probe"
  vs_log "state dir $VS_STATE"
}

vs__inner_exit() {
  local rc=$?
  trap - ERR
  set +e
  vs__umount_root
  mountpoint -q "$VS_DATA" 2>/dev/null && umount "$VS_DATA"
  [[ -n ${VS_LOOP:-} ]] && losetup -d "$VS_LOOP"
  cd / && umount "$VS_STATE" 2>/dev/null
  if [[ $rc == 77 && $VS_SKIPPING != 1 ]]; then
    printf '[e2e.%s] FAIL: a command exited 77; that is not a skip\n' "$VS_NAME" >&2
    rc=1
  fi
  exit "$rc"
}

vs__mount_data() {
  mount -t tmpfs -o "size=${VS_DATA_SIZE:-512m},mode=0755,uid=0,gid=0" vs-data "$VS_DATA"
}

# vs_btrfs_data [SIZE]: makes the data disk a btrfs file system (default 600m) instead of the
# tmpfs, before the first vs_boot: an image file made by mkfs.btrfs on the state tmpfs, attached
# to a free loop device whose nodes are made on the state tmpfs (a container's /dev has none),
# mounted as the data disk until the scenario ends, then detached. Needs btrfs-progs.
VS_LOOP=""
vs_btrfs_data() {
  local size=${1:-600m} img="$VS_STATE/data.img" nodes="$VS_STATE/loopdev" n try
  [[ $VS_BOOTS == 0 ]] || vs_fail "vs_btrfs_data: call it before vs_boot"
  vs__require_tools mkfs.btrfs losetup
  grep -qw btrfs /proc/filesystems || modprobe btrfs 2>/dev/null || vs_skip "the kernel has no btrfs"
  truncate -s "$size" "$img"
  mkfs.btrfs -q "$img" >/dev/null || vs_fail "mkfs.btrfs failed"
  mkdir -p "$nodes"
  [[ -c $nodes/loop-control ]] || mknod -m 0600 "$nodes/loop-control" c 10 237
  for try in 1 2 3 4 5; do
    n=$(/usr/bin/python3 -c 'import fcntl, os, sys
print(fcntl.ioctl(os.open(sys.argv[1], os.O_RDWR), 0x4C82))' "$nodes/loop-control") \
      || vs_fail "no free loop device (LOOP_CTL_GET_FREE on /dev/loop-control 10:237 failed)"
    [[ -b $nodes/loop$n ]] || mknod -m 0600 "$nodes/loop$n" b 7 "$n"
    # Another run may take the same free device first: then ask again.
    if losetup "$nodes/loop$n" "$img" 2>/dev/null; then
      VS_LOOP="$nodes/loop$n"
      break
    fi
    sleep 0.$((RANDOM % 9 + 1))
  done
  [[ -n $VS_LOOP ]] || vs_fail "could not attach '$img' to a loop device"
  umount "$VS_DATA"
  mount -t btrfs "$VS_LOOP" "$VS_DATA"
  chmod 0755 "$VS_DATA"
  vs_log "data disk: btrfs on $VS_LOOP ($size)"
}

# ---------------------------------------------------------------------------------------
# boot, reboot

# vs_boot [--no-install] [--no-data]: mounts a pristine server root. Unless --no-install, the
# binary under test is installed as /usr/local/bin/aicactl (root:root 0755), as an admin
# would. --no-data leaves the data disk out: /data is then a plain (empty) directory on the
# volatile root disk, as when the data disk failed to mount; the data disk itself is kept for
# a later boot without --no-data.
vs_boot() {
  local install=1 data=1
  while (($#)); do
    case $1 in
      --no-install) install=0 ;;
      --no-data) data=0 ;;
      *) vs_fail "vs_boot: unknown option '$1'" ;;
    esac
    shift
  done
  mkdir -p "$VS_STATE/up" "$VS_STATE/work"
  if ! mount -t overlay vs-root -o "lowerdir=/,upperdir=$VS_STATE/up,workdir=$VS_STATE/work" "$VS_ROOT"; then
    [[ $VS_BOOTS == 0 ]] && vs_skip "overlayfs with lowerdir=/ is not available"
    vs_fail "overlay mount failed on reboot"
  fi
  VS_BOOTS=$((VS_BOOTS + 1))
  vs__mount_dev
  mount --bind /sys "$VS_ROOT/sys"
  mount -o remount,bind,ro,nosuid,nodev,noexec "$VS_ROOT/sys"
  mount -t tmpfs -o mode=0755,nosuid,nodev vs-run "$VS_ROOT/run"
  mkdir -m 1777 "$VS_ROOT/run/lock"
  chmod 1777 "$VS_ROOT/run/lock"
  mkdir -m 0700 "$VS_ROOT$VS_IO_INSIDE"
  mount -t tmpfs -o mode=1777,nosuid,nodev vs-tmp "$VS_ROOT/tmp"
  mkdir -p "$VS_ROOT/data"
  if [[ $data == 1 ]]; then
    mount --bind "$VS_DATA" "$VS_ROOT/data"
  fi
  if [[ $install == 1 && $VS_NEEDS_BIN == 1 ]]; then
    install -o root -g root -m 0755 "$AICACTL_BIN" "$VS_ROOT$VS_BIN_INSIDE"
  fi
  vs_log "booted (boot #$VS_BOOTS)"
}

# A private /dev: a tmpfs with the usual character devices, a new devpts instance and shm.
vs__mount_dev() {
  local d="$VS_ROOT/dev" spec name major minor
  mount -t tmpfs -o mode=0755,nosuid,size=1m vs-dev "$d"
  for spec in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
    IFS=: read -r name major minor <<<"$spec"
    mknod -m 0666 "$d/$name" c "$major" "$minor"
  done
  mkdir -m 0755 "$d/pts"
  mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5,nosuid,noexec vs-devpts "$d/pts"
  ln -s pts/ptmx "$d/ptmx"
  mkdir -m 1777 "$d/shm"
  mount -t tmpfs -o mode=1777,nosuid,nodev vs-shm "$d/shm"
  ln -s /proc/self/fd "$d/fd"
  ln -s /proc/self/fd/0 "$d/stdin"
  ln -s /proc/self/fd/1 "$d/stdout"
  ln -s /proc/self/fd/2 "$d/stderr"
}

# Kills what still runs inside the server (by pid, only processes whose root is this
# server), then unmounts it.
vs__umount_root() {
  [[ -n ${VS_ROOT:-} ]] || return 0
  mountpoint -q "$VS_ROOT" 2>/dev/null || return 0
  local p r
  for p in /proc/[0-9]*; do
    r="$(readlink "$p/root" 2>/dev/null)" || continue
    if [[ $r == "$VS_ROOT" || $r == "$VS_ROOT/"* ]]; then
      kill -KILL "${p#/proc/}" 2>/dev/null || true
    fi
  done
  umount -R "$VS_ROOT" 2>/dev/null || umount -R -l "$VS_ROOT"
}

# vs_reboot [--wipe-data] [--no-install] [--no-data]: throws away the volatile root disk (/etc,
# /home, /usr/local, /var/log, /run, /tmp go back to the image); /data stays unless
# --wipe-data, which gives an empty /data as on a new disk. --no-data: see vs_boot.
vs_reboot() {
  local wipe=0 boot_args=()
  while (($#)); do
    case $1 in
      --wipe-data) wipe=1 ;;
      --no-install | --no-data) boot_args+=("$1") ;;
      *) vs_fail "vs_reboot: unknown option '$1'" ;;
    esac
    shift
  done
  vs__umount_root
  mountpoint -q "$VS_ROOT" && vs_fail "server root is still mounted after unmount"
  rm -rf --one-file-system -- "$VS_STATE/up" "$VS_STATE/work"
  if [[ $wipe == 1 ]]; then
    [[ -z $VS_LOOP ]] || vs_fail "vs_reboot --wipe-data: not on a btrfs data disk"
    umount "$VS_DATA"
    vs__mount_data
  fi
  vs_boot "${boot_args[@]}"
}

# vs_mount_tmpfs PATH [OPTIONS]: mounts a small tmpfs at PATH inside the server until the next
# reboot (a mount made by a command inside would vanish with its mount namespace). PATH must
# be a directory inside the server with no symlink on the way.
vs_mount_tmpfs() {
  local path=$1 opts=${2:-size=1m,mode=0755}
  [[ $(readlink -e -- "$VS_ROOT$path") == "$VS_ROOT$path" && -d $VS_ROOT$path ]] \
    || vs_fail "vs_mount_tmpfs: '$path' is not a plain directory inside the server"
  mount -t tmpfs -o "$opts" vs-extra "$VS_ROOT$path"
}

# vs_mount_bind SRC DST: bind-mounts the server's SRC on its DST (a file on a file or a directory
# on a directory), as an admin's mount inside a tree would be; gone with the server.
vs_mount_bind() {
  local src=$1 dst=$2 p
  for p in "$src" "$dst"; do
    [[ $(readlink -e -- "$VS_ROOT$p") == "$VS_ROOT$p" ]] || vs_fail "vs_mount_bind: '$p' is not a plain path inside the server"
  done
  mount --bind "$VS_ROOT$src" "$VS_ROOT$dst"
}

# ---------------------------------------------------------------------------------------
# running commands inside

# vs_run 'shell command': runs as root inside the server (clean environment, umask 022, cwd
# /) as pid 1 of a new pid namespace with its own /proc; prints its stdout and stderr after it
# ends and returns its exit code.
vs_run() {
  local io="$VS_ROOT$VS_IO_INSIDE" rc=0
  rm -f -- "$io/out" "$io/err"
  unshare --pid --mount --fork --propagation private --kill-child=KILL --root="$VS_ROOT" --mount-proc \
    /usr/bin/env -i PATH="$VS_PATH_ROOT" HOME=/root TERM=dumb LANG=C.UTF-8 USER=root LOGNAME=root \
    SHELL=/bin/bash /bin/bash -c "$VS__PRELUDE"'
eval "$1"' vs-run "$1" </dev/null >"$VS_STATE/cap/launch" 2>&1 || rc=$?
  if [[ -f $io/err ]]; then
    cat -- "$io/out"
    cat -- "$io/err" >&2
  else
    cat -- "$VS_STATE/cap/launch" >&2
  fi
  return "$rc"
}

# Runs first inside every vs_run: standard streams and other fds inside the server only,
# read-only kernel knobs.
VS__PRELUDE='exec </dev/null >'"$VS_IO_INSIDE"'/out 2>'"$VS_IO_INSIDE"'/err
for vs_fd in /proc/self/fd/*; do
  vs_fd=${vs_fd##*/}
  if [ "$vs_fd" -gt 2 ] && [ -e "/proc/self/fd/$vs_fd" ]; then eval "exec $vs_fd>&-"; fi
done
unset vs_fd
for vs_p in /proc/sys /proc/sysrq-trigger; do
  [ -e "$vs_p" ] || continue
  mount -o bind,ro "$vs_p" "$vs_p" || { echo "vserver: cannot make $vs_p read-only" >&2; exit 125; }
done
unset vs_p
umask 022
cd /'

# vs_as USER 'shell command': runs as USER through a login shell (su -), i.e. with the
# environment a user gets on ssh login (/etc/profile, /etc/profile.d/*).
vs_as() {
  local user=$1 cmd=$2
  vs_run "su - $(printf '%q' "$user") -c $(printf '%q' "$cmd")"
}

# vs_try CMD ARGS...: runs a vs_* command, never failing; sets VS_RC, VS_OUT, VS_ERR,
# VS_LAST_CMD for the assertions below.
vs_try() {
  VS_LAST_CMD="$*"
  local out="$VS_STATE/cap/out" err="$VS_STATE/cap/err"
  if "$@" >"$out" 2>"$err"; then VS_RC=0; else VS_RC=$?; fi
  VS_OUT="$(cat "$out")"
  VS_ERR="$(cat "$err")"
}

# vs_aicactl ARGS...: runs the installed binary under test as root inside (captured).
vs_aicactl() {
  local q
  q="$(printf ' %q' "$@")"
  vs_try vs_run "aicactl$q"
  VS_LAST_CMD="aicactl$q"
}

# vs_aicactl_umask UMASK ARGS...: same, under the given umask.
vs_aicactl_umask() {
  local mask=$1 q
  shift
  q="$(printf ' %q' "$@")"
  vs_try vs_run "umask $mask; aicactl$q"
  VS_LAST_CMD="(umask $mask) aicactl$q"
}

# vs_stat PATH [FORMAT]: stat inside the server (default '%a %U %G %F').
vs_stat() { vs_run "stat -c $(printf '%q' "${2:-%a %U %G %F}") -- $(printf '%q' "$1")"; }

# vs_getfacl PATH: the ACL of PATH inside the server, without the comment header.
vs_getfacl() { vs_run "getfacl -p --omit-header -- $(printf '%q' "$1")"; }

# vs_json 'EXPR': evaluates a Python expression over the last captured stdout parsed as JSON
# (bound to j) and prints it (json.dumps for non-strings).
vs_json() {
  local expr=$1 res
  if ! res="$(printf '%s' "$VS_OUT" | /usr/bin/python3 -c '
import json, sys
j = json.load(sys.stdin)
v = eval(sys.argv[1], {"j": j})
print(v if isinstance(v, str) else json.dumps(v))
' "$expr" 2>&1)"; then
    vs_fail "cannot evaluate '$expr' on the output as JSON: $res"
  fi
  printf '%s\n' "$res"
}

# ---------------------------------------------------------------------------------------
# snapshots

# vs_snapshot [--no-times] NAME [PATH...]: records type, owner, group, mode, size, link target
# and ctime (unless --no-times) of every entry below PATHs (default /etc /data /home
# /usr/etc), plus every extended ACL (getfacl), sorted by path. /data/system/log and its logs
# (every mutating run appends to them, like /var/log) are left out.
vs_snapshot() {
  local fmt='%p %y %u %g %m %s %l %C@\n'
  if [[ ${1:-} == --no-times ]]; then
    fmt='%p %y %u %g %m %s %l\n'
    shift
  fi
  local name=$1
  shift
  local paths=("$@")
  ((${#paths[@]})) || paths=(/etc /data /home /usr/etc)
  local qpaths
  qpaths="$(printf ' %q' "${paths[@]}")"
  vs_run "
    for p in$qpaths; do
      [ -e \"\$p\" ] || [ -L \"\$p\" ] || continue
      find \"\$p\" -xdev -path /data/system/log -prune -o -printf $(printf '%q' "$fmt")
      getfacl -R -P -p -s -- \"\$p\" 2>/dev/null | awk '
        /^# file: / { f = substr(\$0, 9); next }
        /^#/ { next }
        /^\$/ { if (f != \"\") print \"acl \" f \": \" a; f = \"\"; a = \"\"; next }
        { a = a \$0 \",\" }
        END { if (f != \"\") print \"acl \" f \": \" a }'
    done | LC_ALL=C sort
  " >"$VS_STATE/snap/$name"
}

# vs_describe PATH...: one line per path (not following symlinks): path, type, owner, group,
# mode, link count, ctime and its full ACL; for before/after comparisons of single files.
vs_describe() {
  vs_run "for p in$(printf ' %q' "$@"); do
    printf '%s | acl ' \"\$(stat -c '%n %F %U %G %a %h %Z' -- \"\$p\")\"
    getfacl -P -p --omit-header -- \"\$p\" 2>&1 | tr '\\n' ',' | sed 's/,*\$//'
    echo
  done"
}

# vs_assert_same_text 'what' BEFORE AFTER: fails with a diff when two texts differ.
vs_assert_same_text() {
  local what=$1 before=$2 after=$3
  [[ $before == "$after" ]] && return 0
  vs_fail "$what: changed (- before, + after):
$( (diff -U0 <(printf '%s\n' "$before") <(printf '%s\n' "$after") || true) | grep -vE '^(@@|---|\+\+\+)' | head -n 80 | sed 's/^/    /')"
}

# vs_assert_snapshot_same A B 'what': fails with a diff when snapshots A and B differ.
vs_assert_snapshot_same() {
  local a="$VS_STATE/snap/$1" b="$VS_STATE/snap/$2" what=$3
  [[ -s $a && -s $b ]] || vs_fail "snapshot '$1' or '$2' is empty"
  if ! diff -q "$a" "$b" >/dev/null; then
    trap - ERR
    set +o pipefail
    {
      printf '[e2e.%s] FAIL: %s: snapshots differ (- %s, + %s; path type user group mode size link ctime):\n' \
        "$VS_NAME" "$what" "$1" "$2"
      (diff -U0 "$a" "$b" || true) | grep -vE '^(@@|---|\+\+\+)' | head -n 80 | sed 's/^/    /'
    } >&2
    vs_dump_last
    exit 1
  fi
}

# ---------------------------------------------------------------------------------------
# assertions (each prints what was expected and what was found, then exits 1)

vs_assert_rc() {
  local want=$1 what=${2:-$VS_LAST_CMD}
  [[ $VS_RC == "$want" ]] || vs_fail "$what: expected exit code $want, got $VS_RC"
}

vs_assert_eq() {
  local want=$1 got=$2 what=$3
  [[ $got == "$want" ]] || vs_fail "$what: expected '$want', got '$got'"
}

vs_assert_ne() {
  local unwanted=$1 got=$2 what=$3
  [[ $got != "$unwanted" ]] || vs_fail "$what: expected anything but '$unwanted'"
}

vs_assert_match() {
  local regex=$1 got=$2 what=$3
  [[ $got =~ $regex ]] || vs_fail "$what: expected to match /$regex/, got '$got'"
}

vs_assert_contains() {
  local haystack=$1 needle=$2 what=$3
  [[ $haystack == *"$needle"* ]] || vs_fail "$what: expected to contain '$needle'; text was:
$(printf '%s\n' "$haystack" | head -n 40 | sed 's/^/    | /')"
}

vs_assert_not_contains() {
  local haystack=$1 needle=$2 what=$3
  [[ $haystack != *"$needle"* ]] || vs_fail "$what: expected not to contain '$needle'; text was:
$(printf '%s\n' "$haystack" | head -n 40 | sed 's/^/    | /')"
}

# vs_assert_stat PATH 'EXPECTED' [FORMAT]: e.g. vs_assert_stat /data/cache/pip '2775 root gpu-users'
vs_assert_stat() {
  local path=$1 want=$2 fmt=${3:-%a %U %G} got
  got="$(vs_stat "$path" "$fmt" 2>&1)" || vs_fail "stat '$path' failed: $got"
  [[ $got == "$want" ]] || vs_fail "'$path' ($fmt): expected '$want', got '$got'"
}

vs_assert_exists() { vs_run "test -e $(printf '%q' "$1") || test -L $(printf '%q' "$1")" || vs_fail "'$1' should exist"; }

vs_assert_absent() { vs_run "! test -e $(printf '%q' "$1") && ! test -L $(printf '%q' "$1")" || vs_fail "'$1' should not exist"; }

# vs_assert_acl_has PATH ENTRY...: e.g. vs_assert_acl_has /data/cache/pip default:group:gpu-users:rwx
vs_assert_acl_has() {
  local path=$1 entry acl entries
  shift
  acl="$(vs_getfacl "$path" 2>&1)" || vs_fail "getfacl '$path' failed: $acl"
  entries="$(sed 's/[[:space:]]*#effective:.*$//' <<<"$acl")"
  for entry in "$@"; do
    grep -qxF -- "$entry" <<<"$entries" || vs_fail "ACL of '$path' lacks '$entry'; it is:
$(sed 's/^/    | /' <<<"$acl")"
  done
}

vs_assert_acl_lacks() {
  local path=$1 entry=$2 acl
  acl="$(vs_getfacl "$path" 2>&1)" || vs_fail "getfacl '$path' failed: $acl"
  ! grep -qxF -- "$entry" <<<"$(sed 's/[[:space:]]*#effective:.*$//' <<<"$acl")" \
    || vs_fail "ACL of '$path' should not have '$entry'; it is:
$(sed 's/^/    | /' <<<"$acl")"
}

# vs_assert_ok 'cmd' 'what' / vs_assert_fails 'cmd' 'what': as root inside.
vs_assert_ok() {
  vs_try vs_run "$1"
  [[ $VS_RC == 0 ]] || vs_fail "${2:-$1}: expected success, got exit code $VS_RC"
}

vs_assert_fails() {
  vs_try vs_run "$1"
  [[ $VS_RC != 0 ]] || vs_fail "${2:-$1}: expected failure, but it succeeded"
}

# vs_assert_as_ok USER 'cmd' 'what' / vs_assert_as_fails USER 'cmd' 'what': through su - USER.
vs_assert_as_ok() {
  vs_try vs_as "$1" "$2"
  VS_LAST_CMD="su - $1 -c '$2'"
  [[ $VS_RC == 0 ]] || vs_fail "${3:-$2} (as $1): expected success, got exit code $VS_RC"
}

vs_assert_as_fails() {
  vs_try vs_as "$1" "$2"
  VS_LAST_CMD="su - $1 -c '$2'"
  [[ $VS_RC != 0 ]] || vs_fail "${3:-$2} (as $1): expected failure, but it succeeded"
}

# vs_setup [ARGS...]: `aicactl setup --init` that must succeed (exit 0): the first one adopts
# the (empty) data disk, as an admin's first setup does; later ones are plain setups.
vs_setup() {
  vs_aicactl setup --init "$@"
  vs_assert_rc 0 "aicactl setup --init $*"
}

# The pids whose parent is $1 (from /proc: procps is not on a minimal image).
children_of() {
  local s line fields
  for s in /proc/[0-9]*/stat; do
    line=$(cat "$s" 2>/dev/null) || continue
    read -r -a fields <<<"${line##*) }"
    [[ ${fields[1]} == "$1" ]] && echo "${s//[^0-9]/}"
  done
  return 0
}
