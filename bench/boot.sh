#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A re-imaged server's boot to alice's first SSH login, and how much of it `recover` takes, in a
# real virtual machine (tests/boot/lib/vm.sh: Debian 12, qemu, KVM where the CPU has vmx/svm,
# TCG otherwise). BENCH_USERS (100) users are registered on the first boot; the root disk is then
# re-imaged (a fresh overlay of the pristine image, /data kept) and booted BENCH_BOOTS (2) times.
# Usage (root): AICACTL_BIN=build/aicactl bench/boot.sh
# Prints per boot: qemu start → sshd's banner, → alice logged in, and the boot unit's run
# (systemd's monotonic timestamps of aicactl-recover.service), then systemd-analyze's summary.
# Exit 0 when recover took <= 1 s on every boot, 1 when not, 2 (or 77) when it could not run.
# Nothing but 127.0.0.1 is reached; the image is cached in /var/cache/aicactl-boot.
# shellcheck disable=SC2016,SC2119 # guest commands in single quotes; optional function args
set -euo pipefail
export LC_ALL=C
VM_TAG=bench.boot
# shellcheck source=tests/boot/lib/vm.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../tests/boot/lib/vm.sh"
[[ -n ${AICACTL_BIN:-} && -x ${AICACTL_BIN:-} ]] || { echo "boot.sh: set AICACTL_BIN to the built aicactl" >&2; exit 2; }
n=${BENCH_USERS:-100}
boots=${BENCH_BOOTS:-2}
target_ms=1000

vm_init
vm_key admin
vm_key alice
vm_pristine
vm_data_disk
vm_reimage
vm_boot
vm_wait_sshd
ssh -i "$VM_WORK/admin" -p "$VM_PORT" "${VM_SSH_OPTS[@]}" root@127.0.0.1 \
  -- 'cat >/root/aicactl && chmod 0755 /root/aicactl' <"$AICACTL_BIN"
vm_root '/root/aicactl -q setup --init' >/dev/null
vm_log "registering alice and $n users"
vm_root "/root/aicactl -q user add alice >/dev/null && for i in \$(seq 1 $n); do /root/aicactl -q user add u\$i >/dev/null || exit 1; done"
ssh -i "$VM_WORK/admin" -p "$VM_PORT" "${VM_SSH_OPTS[@]}" root@127.0.0.1 -- \
  "su - alice -c 'install -d -m 0700 ~/.ssh && cat >~/.ssh/authorized_keys'" <"$VM_WORK/alice.pub"
vm_shutdown

rc=0
printf '\n%-6s %12s %14s %12s %10s\n' "boot" "sshd (s)" "alice in (s)" "recover (ms)" "users"
results=()
for b in $(seq 1 "$boots"); do
  vm_reimage
  vm_boot
  vm_wait_sshd
  tries=1
  until vm_ssh_as alice alice true 2>/dev/null; do
    tries=$((tries + 1))
    ((tries <= 30)) || vm_fail "alice cannot log in"
    sleep 1
  done
  login=$(vm_since_boot)
  read -r s e < <(vm_root 'printf "%s %s\n" $(systemctl show -P InactiveExitTimestampMonotonic aicactl-recover.service) $(systemctl show -P ActiveEnterTimestampMonotonic aicactl-recover.service)')
  ms=$(((e - s) / 1000))
  back=$(vm_root "for i in \$(seq 1 $n); do id -u u\$i >/dev/null 2>&1 && echo; done | wc -l")
  ((ms <= target_ms)) || rc=1
  ((tries == 1)) || vm_log "alice needed $tries tries"
  results+=("$(printf '%-6s %12s %14s %12s %10s' "$b" "$VM_SSHD_S" "$login" "$ms" "$back/$n")")
  analyze=$(vm_root 'systemd-analyze 2>/dev/null | head -n 1' || true)
  vm_shutdown
  printf '%s\n' "${results[-1]}"
  [[ -n $analyze ]] && printf '       systemd-analyze: %s\n' "$analyze"
done
printf '\naccel %s, %s vCPUs, %s MiB; target: recover <= %d ms for %d users: %s\n' "$(vm_accel)" \
  "${VM_SMP:-2}" "$VM_MEM" "$target_ms" "$n" "$( ((rc == 0)) && echo met || echo 'NOT met')"
exit "$rc"
