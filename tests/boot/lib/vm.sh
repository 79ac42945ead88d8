# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# A real virtual machine for aicactl's boot test (tests/boot) and bench (bench/boot.sh), sourced.
#
# The root image: a Debian 12 built once with debootstrap (systemd, openssh-server, sudo, acl,
# python3-pip, linux-image-amd64) from the Debian mirror apt already uses, cached under
# /var/cache/aicactl-boot keyed by a hash of the recipe and apt's sources. It is made with
# `mkfs.ext4 -d` (no loop device, no mount), so it builds in a container too. Each run copies it
# (sparse) into its work dir and writes, with `debugfs -w`, what a site bakes into its golden
# image: root's SSH key (the run's own) and the boot unit from systemd/ with its enablement link.
# That copy is the pristine image: a boot gets a fresh qcow2 overlay over it, so a re-image is a
# new overlay, while the /data disk (ext4, label aicactl-data, mounted by the image's fstab with
# nofail) is kept.
#
# qemu-system-x86_64: KVM only where /proc/cpuinfo shows vmx or svm, TCG otherwise; direct kernel
# boot with the image's own kernel and initrd; serial console to a file; user-mode networking with
# restrict=on, only the guest's port 22 forwarded to 127.0.0.1. The VM is killed by pid at exit.
#
# The sourcing script sets VM_TAG (messages) and calls vm_init first; vm_cleanup runs on EXIT.

VM_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VM_REPO="$(cd "$VM_LIB_DIR/../../.." && pwd)"
VM_CACHE=${AICACTL_BOOT_CACHE:-/var/cache/aicactl-boot}
VM_SUITE=bookworm
VM_PID=""
VM_WORK=""
VM_PORT=""
VM_CONSOLE=""
VM_BOOTS=0
VM_SSHD_S="" # seconds from qemu start to the sshd banner (vm_wait_sshd), read by callers
export VM_SSHD_S
: "${VM_TAG:=boot}"
: "${VM_MEM:=1024}"

vm_log() { printf '[%s] %s\n' "$VM_TAG" "$*"; }
vm_fail() {
  printf '[%s] FAIL: %s\n' "$VM_TAG" "$*" >&2
  if [[ -n $VM_CONSOLE && -s $VM_CONSOLE ]]; then
    printf '[%s] last lines of the serial console (%s):\n' "$VM_TAG" "$VM_CONSOLE" >&2
    tail -n 40 "$VM_CONSOLE" | tr -d '\r' | sed 's/^/    | /' >&2
  fi
  exit 1
}
vm_skip() {
  printf '[%s] SKIP: %s\n' "$VM_TAG" "$*" >&2
  exit 77
}

vm_cleanup() {
  local rc=$?
  set +e
  vm_kill
  if [[ -n $VM_WORK && -d $VM_WORK ]]; then
    if [[ $rc != 0 ]]; then
      local c
      for c in "$VM_WORK"/console.*.log; do
        [[ -s $c ]] || continue
        cp -- "$c" "/var/tmp/aicactl-$VM_TAG-${c##*/}" \
          && printf '[%s] serial console kept: /var/tmp/aicactl-%s-%s\n' "$VM_TAG" "$VM_TAG" "${c##*/}" >&2
      done
    fi
    rm -rf --one-file-system -- "$VM_WORK"
  fi
  exit "$rc"
}

# vm_init: checks the host, makes the work dir, builds or finds the cached image.
vm_init() {
  [[ $(id -u) == 0 ]] || vm_skip "needs root (debootstrap, the image cache)"
  local tool
  for tool in qemu-system-x86_64 qemu-img debootstrap mkfs.ext4 debugfs ssh ssh-keygen flock; do
    command -v "$tool" >/dev/null \
      || vm_skip "'$tool' is missing (apt-get install qemu-system-x86 qemu-utils debootstrap e2fsprogs openssh-client)"
  done
  trap vm_cleanup EXIT
  trap 'exit 143' TERM
  trap 'exit 130' INT
  VM_WORK=$(mktemp -d /var/tmp/aicactl-boot.XXXXXX)
  VM_CONSOLE=$VM_WORK/console.log
  vm_image
}

# Where the guest is accelerated: KVM only on a CPU with vmx/svm (on others /dev/kvm may be a
# paravirtual device under which the guest stalls).
vm_accel() {
  if [[ -w /dev/kvm ]] && grep -Eqw 'vmx|svm' /proc/cpuinfo; then echo kvm; else echo tcg; fi
}

# ---------------------------------------------------------------------------------------------
# keys, the pristine image, the data disk

VM_SSH_OPTS=(-o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
  -o LogLevel=ERROR -o ConnectTimeout=20 -o ServerAliveInterval=10 -o ServerAliveCountMax=6)

# vm_key NAME: an ed25519 key pair $VM_WORK/NAME{,.pub} for this run only.
vm_key() { ssh-keygen -q -t ed25519 -N '' -C "$1@aicactl-boot-test" -f "$VM_WORK/$1"; }

# vm_pristine: the run's golden image $VM_WORK/pristine.raw: the cached base plus what a site
# bakes into its image: /etc/fstab with the /data disk, root's authorized key (vm_key admin) and
# the boot unit of this checkout, enabled (systemd/aicactl-recover.service, the text `setup`
# installs).
vm_pristine() {
  [[ -f $VM_WORK/admin.pub ]] || vm_key admin
  cp --sparse=always -- "$VM_IMAGE_DIR/base.raw" "$VM_WORK/pristine.raw"
  install -m 0600 "$VM_WORK/admin.pub" "$VM_WORK/authorized_keys"
  install -m 0644 "$VM_REPO/systemd/aicactl-recover.service" "$VM_WORK/aicactl-recover.service"
  # /data with nofail, so a missing data disk never stops the boot (root can still log in), and a
  # device timeout long enough for a slow boot: a TCG guest on a loaded 2-core host started udev
  # 55 s late, so 20 s and 60 s left a present disk unmounted.
  printf '%s\n' '/dev/vda / ext4 rw,errors=remount-ro 0 1' \
    "LABEL=aicactl-data /data ext4 defaults,nofail,x-systemd.device-timeout=${VM_DATA_TIMEOUT:-150s} 0 2" \
    >"$VM_WORK/fstab"
  chmod 0644 "$VM_WORK/fstab"
  local wants=/etc/systemd/system/multi-user.target.wants
  printf '%s\n' \
    "write $VM_WORK/authorized_keys /root/.ssh/authorized_keys" \
    "sif /root/.ssh/authorized_keys uid 0" \
    "sif /root/.ssh/authorized_keys gid 0" \
    "rm /etc/fstab" \
    "write $VM_WORK/fstab /etc/fstab" \
    "sif /etc/fstab uid 0" \
    "sif /etc/fstab gid 0" \
    "write $VM_WORK/aicactl-recover.service /etc/systemd/system/aicactl-recover.service" \
    "sif /etc/systemd/system/aicactl-recover.service uid 0" \
    "sif /etc/systemd/system/aicactl-recover.service gid 0" \
    "symlink $wants/aicactl-recover.service /etc/systemd/system/aicactl-recover.service" \
    | debugfs -w -f - "$VM_WORK/pristine.raw" >"$VM_WORK/debugfs.log" 2>&1 \
    || vm_fail "debugfs failed: $(cat "$VM_WORK/debugfs.log")"
  # debugfs exits 0 even when a request fails: check what it wrote.
  local listing
  listing=$(debugfs -R "ls -l $wants" "$VM_WORK/pristine.raw" 2>/dev/null)
  [[ $listing == *aicactl-recover.service* && $(debugfs -R 'cat /etc/fstab' "$VM_WORK/pristine.raw" 2>/dev/null) == *nofail* ]] \
    || vm_fail "debugfs did not write the golden image: $(cat "$VM_WORK/debugfs.log")"
}

# vm_reimage: a fresh root disk: a new qcow2 overlay over the pristine image.
vm_reimage() {
  rm -f -- "$VM_WORK/root.qcow2"
  qemu-img create -q -f qcow2 -F raw -b "$VM_WORK/pristine.raw" "$VM_WORK/root.qcow2" >/dev/null \
    || vm_fail "qemu-img create failed"
}

# vm_data_disk [SIZE]: a new, empty ext4 /data disk (label aicactl-data), made without a mount.
vm_data_disk() {
  rm -f -- "$VM_WORK/data.raw"
  mkfs.ext4 -q -L aicactl-data "$VM_WORK/data.raw" "${1:-2G}" >/dev/null || vm_fail "mkfs.ext4 of the data disk failed"
}

# ---------------------------------------------------------------------------------------------
# boots

# A free TCP port on 127.0.0.1 (asked of the kernel; qemu binds it moments later).
vm_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# vm_boot [--no-data]: starts the VM in the background (VM_PID) with a fresh console log;
# VM_BOOT_T0 is its start (seconds since the epoch, with fractions).
vm_boot() {
  local data=1
  [[ ${1:-} == --no-data ]] && data=0
  VM_BOOTS=$((VM_BOOTS + 1))
  VM_PORT=$(vm_free_port)
  VM_CONSOLE=$VM_WORK/console.$VM_BOOTS.log
  local accel cpu=max
  accel=$(vm_accel)
  [[ $accel == kvm ]] && cpu=host
  # shellcheck disable=SC2054 # commas inside qemu option values
  local -a args=(
    -name aicactl-boot-test -machine q35 -accel "$accel" -cpu "$cpu" -smp "${VM_SMP:-2}" -m "$VM_MEM"
    -display none -monitor none -serial "file:$VM_CONSOLE" -no-reboot
    -kernel "$VM_IMAGE_DIR/vmlinuz" -initrd "$VM_IMAGE_DIR/initrd.img"
    -append "root=/dev/vda rw console=ttyS0 net.ifnames=0 panic=-1"
    -drive "file=$VM_WORK/root.qcow2,if=virtio,format=qcow2,cache=unsafe"
    -netdev "user,id=n,restrict=on,hostfwd=tcp:127.0.0.1:$VM_PORT-:22"
    -device virtio-net-pci,netdev=n
  )
  ((data)) && args+=(-drive "file=$VM_WORK/data.raw,if=virtio,format=raw,cache=writeback")
  VM_BOOT_T0=$(date +%s.%N)
  qemu-system-x86_64 "${args[@]}" </dev/null >"$VM_WORK/qemu.$VM_BOOTS.log" 2>&1 &
  VM_PID=$!
  local note=""
  ((data)) || note=", no data disk"
  vm_log "boot $VM_BOOTS: qemu pid $VM_PID ($accel), ssh on 127.0.0.1:$VM_PORT$note"
}

# vm_wait_sshd [SECONDS]: waits until the guest's sshd sends its banner (QEMU itself accepts the
# forwarded TCP connection at once, so a bare connect proves nothing). Sets VM_SSHD_S.
vm_wait_sshd() {
  local limit=${1:-600} t0=$SECONDS banner
  while ((SECONDS - t0 < limit)); do
    kill -0 "$VM_PID" 2>/dev/null \
      || vm_fail "qemu exited during boot $VM_BOOTS: $(tail -n 5 "$VM_WORK/qemu.$VM_BOOTS.log")"
    # shellcheck disable=SC2016 # $1 is the inner shell's
    banner=$(timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && head -c 4 <&3' _ "$VM_PORT" 2>/dev/null || true)
    if [[ $banner == SSH- ]]; then
      VM_SSHD_S=$(vm_since_boot)
      return 0
    fi
    sleep 0.5
  done
  vm_fail "no sshd banner on 127.0.0.1:$VM_PORT within $limit s of boot $VM_BOOTS"
}

# Seconds since the current boot's qemu started (one decimal).
vm_since_boot() { awk -v a="$VM_BOOT_T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# vm_ssh_as KEY USER COMMAND...: runs COMMAND (one shell line) as USER with the key $VM_WORK/KEY.
vm_ssh_as() {
  local key=$1 user=$2
  shift 2
  ssh -i "$VM_WORK/$key" -p "$VM_PORT" "${VM_SSH_OPTS[@]}" "$user@127.0.0.1" -- "$*" </dev/null
}

# vm_root COMMAND...: as root with the admin key.
vm_root() { vm_ssh_as admin root "$@"; }

# vm_shutdown: a clean poweroff (the guest halts; -no-reboot makes qemu exit), else a kill.
vm_shutdown() {
  vm_root 'systemctl poweroff' >/dev/null 2>&1 || true
  local _
  for _ in $(seq 240); do
    kill -0 "$VM_PID" 2>/dev/null || break
    sleep 0.5
  done
  kill -0 "$VM_PID" 2>/dev/null && vm_log "the guest did not power off within 120 s; killing qemu"
  vm_kill
}

# vm_kill: kills qemu by its pid (also at exit, even on failure).
vm_kill() {
  [[ -n $VM_PID ]] || return 0
  kill -0 "$VM_PID" 2>/dev/null && kill -KILL "$VM_PID" 2>/dev/null
  wait "$VM_PID" 2>/dev/null || true
  VM_PID=""
}

# shellcheck source=tests/boot/lib/image.sh
source "$VM_LIB_DIR/image.sh"
