#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A real re-image and boot (issue 17): a Debian 12 virtual machine (lib/vm.sh) whose root disk is
# replaced by the pristine image while its /data disk is kept; the boot unit must bring every
# account back before the first login.
#   1. first boot: the built binary copied in, `setup --init`, `user add alice` and `bob`; alice
#      writes a file and her SSH key; poweroff.
#   2. re-image (a fresh overlay of the pristine root), boot: alice logs in with her key on the
#      first try (no retry: the first answer of sshd must already let her in) and reads her file;
#      aicactl-recover.service ran (journal) and finished before systemd-user-sessions.service and
#      ssh.service started (monotonic timestamps); `pip cache dir` and HF_HOME are on /data; sudo
#      -n aicactl cache clean --pip works for her; uids and gids unchanged; boot-to-login printed.
#   3. /data fails to mount (disk detached): the unit does not run, nothing is created on the
#      empty mount point, root still logs in with the admin key, the console says why.
#   4. a reboot with the disk back and nothing changed: recover reports 0 changed.
# Usage (root): AICACTL_BIN=build/aicactl tests/boot/test_reimage.sh
# Exit 0 pass, 1 fail, 77 skipped (not root, a missing tool). The first run builds the image
# (debootstrap, several minutes); later runs take it from /var/cache/aicactl-boot.
# shellcheck disable=SC2016,SC2119 # guest commands in single quotes; optional function args
set -euo pipefail
export LC_ALL=C
VM_TAG=boot.reimage
# shellcheck source=tests/boot/lib/vm.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib/vm.sh"

[[ -n ${AICACTL_BIN:-} && -x ${AICACTL_BIN:-} ]] || vm_fail "AICACTL_BIN must name the built aicactl"
t_all=$SECONDS
vm_init
t_image=$((SECONDS - t_all))

step() { printf '\n[%s] == %s\n' "$VM_TAG" "$*"; }
pass() { printf '[%s] ok: %s\n' "$VM_TAG" "$*"; }
# expect_eq WANT GOT WHAT
expect_eq() { [[ $1 == "$2" ]] || vm_fail "$3: expected '$1', got '$2'"; pass "$3"; }
# expect_match PATTERN TEXT WHAT (a bash glob)
expect_match() {
  # shellcheck disable=SC2053 # $1 is a glob on purpose
  [[ $2 == $1 ]] || vm_fail "$3: expected $1, got '$2'"
  pass "$3"
}
# root_ok COMMAND WHAT: COMMAND (as root in the guest) must exit 0.
root_ok() {
  local out
  out=$(vm_root "$1" 2>&1) || vm_fail "$2: '$1' failed: $out"
  pass "$2"
}

vm_key alice
vm_pristine
vm_data_disk
vm_reimage

# ---------------------------------------------------------------------------------------------
step "1. first boot: setup --init, alice and bob"
vm_boot
vm_wait_sshd
vm_log "sshd answered $VM_SSHD_S s after qemu started"
ssh -i "$VM_WORK/admin" -p "$VM_PORT" "${VM_SSH_OPTS[@]}" root@127.0.0.1 \
  -- 'cat >/root/aicactl && chmod 0755 /root/aicactl' <"$AICACTL_BIN" || vm_fail "copying the binary in failed"
root_ok '/root/aicactl setup --init' "aicactl setup --init"
root_ok '/root/aicactl user add alice && /root/aicactl user add bob' "aicactl user add alice, bob"
ssh -i "$VM_WORK/admin" -p "$VM_PORT" "${VM_SSH_OPTS[@]}" root@127.0.0.1 -- \
  "su - alice -c 'echo hello from alice >~/hello.txt && install -d -m 0700 ~/.ssh && cat >~/.ssh/authorized_keys && chmod 0600 ~/.ssh/authorized_keys'" \
  <"$VM_WORK/alice.pub" || vm_fail "alice could not write her file and key"
ids_cmd='for u in alice bob; do id "$u"; done; getent group gpu-users | cut -d: -f1,3'
ids_before=$(vm_root "$ids_cmd") || vm_fail "id alice/bob failed"
vm_log "ids: $(tr '\n' ' ' <<<"$ids_before")"
expect_eq "hello from alice" "$(vm_ssh_as alice alice 'cat ~/hello.txt')" "alice logs in with her key before the re-image"
vm_shutdown

# ---------------------------------------------------------------------------------------------
step "2. re-image (the pristine root, /data kept), boot"
vm_reimage
vm_boot
vm_wait_sshd
# The first try, and only one: sshd answering means recover has run (the unit is ordered
# before ssh.service and systemd-user-sessions.service).
hello=$(vm_ssh_as alice alice 'cat ~/hello.txt' 2>&1) \
  || vm_fail "alice's first SSH login after the re-image failed (sshd up $VM_SSHD_S s after boot): $hello"
login_s=$(vm_since_boot)
expect_eq "hello from alice" "$hello" "alice logs in on the first try after the re-image and reads her file"
expect_eq "active success" "$(vm_root 'echo $(systemctl show -P ActiveState aicactl-recover.service) $(systemctl show -P Result aicactl-recover.service)')" \
  "aicactl-recover.service ran and succeeded"
journal=$(vm_root 'journalctl -b -o cat -u aicactl-recover.service')
expect_match "*Finished*Recover aicactl*" "$journal" "systemd logged the unit finished"
if ! [[ $journal =~ (^|$'\n')([0-9]+)\ changed,\ [0-9]+\ ok,\ 0\ failed ]] || ((BASH_REMATCH[2] == 0)); then
  vm_fail "recover's summary in the journal is not 'N changed, M ok, 0 failed' with N > 0: $journal"
fi
pass "recover's summary in the journal: ${BASH_REMATCH[0]#$'\n'}"
# Monotonic microseconds: the unit's start and end, and the start of what must wait for it.
read -r rec_start rec_end sessions_start ssh_start < <(vm_root 'printf "%s " \
  $(systemctl show -P InactiveExitTimestampMonotonic aicactl-recover.service) \
  $(systemctl show -P ActiveEnterTimestampMonotonic aicactl-recover.service) \
  $(systemctl show -P InactiveExitTimestampMonotonic systemd-user-sessions.service) \
  $(systemctl show -P InactiveExitTimestampMonotonic ssh.service); echo')
vm_log "monotonic µs: recover $rec_start..$rec_end, systemd-user-sessions started $sessions_start, ssh started $ssh_start"
((rec_end > 0 && rec_end <= sessions_start)) \
  || vm_fail "recover ended at $rec_end µs, after systemd-user-sessions started ($sessions_start µs)"
pass "recover finished before systemd-user-sessions.service started"
((rec_end <= ssh_start)) || vm_fail "recover ended at $rec_end µs, after ssh.service started ($ssh_start µs)"
pass "recover finished before ssh.service started"
expect_match "/data/*" "$(vm_ssh_as alice alice 'bash -lc "pip cache dir" 2>/dev/null')" "alice's pip cache dir is on /data"
expect_match "/data/*" "$(vm_ssh_as alice alice 'bash -lc "printf %s \"\$HF_HOME\""')" "alice's HF_HOME is on /data"
out=$(vm_ssh_as alice alice 'sudo -n /data/system/bin/aicactl cache clean --pip' 2>&1) \
  || vm_fail "sudo -n aicactl cache clean --pip as alice failed: $out"
pass "alice runs sudo -n /data/system/bin/aicactl cache clean --pip"
expect_eq "$ids_before" "$(vm_root "$ids_cmd")" "uids and gids of alice, bob and gpu-users unchanged"
recover_ms=$(((rec_end - rec_start) / 1000))
vm_log "re-imaged boot: sshd up after $VM_SSHD_S s, alice logged in after $login_s s; recover took $recover_ms ms"
vm_shutdown

# ---------------------------------------------------------------------------------------------
step "3. /data fails to mount (the data disk detached)"
vm_boot --no-data
vm_wait_sshd
root_ok true "root logs in with the admin key while /data is missing"
root_ok '! mountpoint -q /data' "/data is not mounted"
expect_eq "" "$(vm_root 'find /data -mindepth 1 -maxdepth 3')" "nothing was created on the empty mount point /data"
expect_eq "inactive" "$(vm_root 'systemctl show -P ActiveState aicactl-recover.service')" "aicactl-recover.service did not run"
expect_eq "" "$(vm_root 'journalctl -q -b -o cat _SYSTEMD_UNIT=aicactl-recover.service')" "no output of recover in the journal"
# The console (80 columns: systemd shortens descriptions there) without its colours.
console=$(sed 's/\x1b\[[0-9;]*[A-Za-z]//g' "$VM_CONSOLE" | tr -d '\r')
expect_match "*Timed out waiting for device*aicactl-data*" "$console" "the console says the data disk did not appear"
expect_match "*Dependency failed for data.mount*" "$console" "the console says /data was not mounted"
expect_match "*Dependency failed for aica*from /data.*" "$console" "the console says the recover unit did not run"
expect_match "*Dependency failed for*Recover aicactl users and shared caches from /data*" \
  "$(vm_root 'journalctl -b -o cat')" "the journal says the recover unit did not run"
vm_shutdown

# ---------------------------------------------------------------------------------------------
step "4. a reboot with the data disk back and nothing changed"
vm_boot
vm_wait_sshd
expect_eq "hello from alice" "$(vm_ssh_as alice alice 'cat ~/hello.txt' 2>&1)" "alice logs in on the first try"
journal=$(vm_root 'journalctl -b -o cat -u aicactl-recover.service')
[[ $journal =~ (^|$'\n')0\ changed,\ [0-9]+\ ok,\ 0\ failed ]] \
  || vm_fail "recover's summary in the journal is not '0 changed, M ok, 0 failed': $journal"
pass "recover reports ${BASH_REMATCH[0]#$'\n'}"
vm_shutdown

printf '\n[%s] PASS (image %d s, all %d s, %s accel; re-imaged boot to alice'"'"'s login %s s, recover %d ms)\n' \
  "$VM_TAG" "$t_image" "$((SECONDS - t_all))" "$(vm_accel)" "$login_s" "$recover_ms"
