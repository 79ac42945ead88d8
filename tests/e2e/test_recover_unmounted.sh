#!/usr/bin/env bash
# `recover` refuses to run when /data is not a mounted file system (the data disk failed to
# mount and /data is the empty mountpoint directory on the root SSD): exit 69, a message that
# names /data, nothing created under /data (it would fill the root disk and hide the real data
# once mounted), no accounts, no groups, no env files, no unit. With the disk back, it works.
source "$(dirname "$0")/lib/vserver.sh"
vs_main "$@"

vs_boot
vs_setup
vs_aicactl user add alice
vs_assert_rc 0
vs_aicactl user add bob
vs_assert_rc 0

vs_step "reboot with the data disk not mounted"
vs_reboot --no-data
vs_assert_fails 'mountpoint -q /data' "/data is a mount point after a boot with --no-data"
vs_assert_eq "$(vs_run 'stat -c %d /')" "$(vs_run 'stat -c %d /data')" "device of /data and / (the same file system)"
vs_assert_eq "" "$(vs_run 'find /data -mindepth 1')" "entries under /data before recover (an empty mountpoint)"
accounts_before="$(vs_run 'cat /etc/passwd /etc/group /etc/shadow /etc/gshadow')"
vs_snapshot before /etc /home /data /usr/etc /usr/local

vs_step "recover refuses"
vs_aicactl recover
vs_assert_rc 69 "aicactl recover with /data unmounted"
vs_assert_contains "$VS_ERR" "/data" "the message of recover names /data"
vs_assert_contains "$VS_ERR" "mount" "the message of recover says why (not mounted)"
vs_assert_eq "" "$(vs_run 'find /data -mindepth 1')" "entries under /data after the refused recover"
vs_assert_fails 'id alice' "an account alice after the refused recover"
vs_assert_fails 'getent group gpu-users' "group gpu-users after the refused recover"
vs_assert_eq "$accounts_before" "$(vs_run 'cat /etc/passwd /etc/group /etc/shadow /etc/gshadow')" "/etc/passwd, group, shadow, gshadow"
vs_assert_absent /etc/profile.d/aicactl.sh
vs_assert_absent /etc/systemd/system/aicactl-recover.service
vs_assert_absent /home/alice
vs_snapshot after /etc /home /data /usr/etc /usr/local
vs_assert_snapshot_same before after "the refused recover"

vs_step "the same with --json and with --dry-run"
vs_aicactl --json recover
vs_assert_rc 69 "aicactl --json recover with /data unmounted"
vs_aicactl --dry-run recover
vs_assert_rc 69 "aicactl --dry-run recover with /data unmounted"
vs_snapshot after2 /etc /home /data /usr/etc /usr/local
vs_assert_snapshot_same before after2 "the refused recover (--json, --dry-run)"

vs_step "the data disk mounted again: recover works"
vs_reboot
vs_aicactl recover
vs_assert_rc 0 "aicactl recover with /data mounted"
vs_assert_eq /data/users/alice "$(vs_run 'readlink /home/alice')" "target of /home/alice"
vs_assert_ok 'id bob' "account bob after recover"
vs_pass
