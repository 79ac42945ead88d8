#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Quotas where /data is no btrfs (the default tmpfs /data): user add --quota and user set
# --quota say in one line that quotas need btrfs, naming the file system, exit 65, and change
# nothing (no account, no home, no registry row); homes stay plain directories.
source "$(dirname "$0")/lib/vserver.sh"
vs_main "$@"

vs_boot
vs_setup
vs_snapshot before
vs_aicactl user add alice --quota 50M
vs_assert_rc 65 "user add --quota on tmpfs"
vs_assert_eq 1 "$(printf '%s\n' "$VS_ERR" | grep -c .)" "one line"
vs_assert_contains "$VS_ERR" "Quotas need btrfs" "the message"
vs_assert_contains "$VS_ERR" "'/data' is tmpfs" "the file system named"
vs_snapshot after
vs_assert_snapshot_same before after "a refused user add --quota"
vs_assert_fails 'getent passwd alice' "no account for alice"

vs_aicactl user add alice
vs_assert_rc 0 "user add alice"
vs_assert_ne "256" "$(vs_run 'stat -c %i /data/users/alice')" "a plain directory home"
vs_snapshot before
vs_aicactl user set alice --quota 1G
vs_assert_rc 65 "user set --quota on tmpfs"
vs_assert_contains "$VS_ERR" "'/data' is tmpfs" "the message"
vs_snapshot after
vs_assert_snapshot_same before after "a refused user set --quota"
vs_aicactl user set alice --quota none
vs_assert_rc 0 "user set --quota none (nothing to lift)"

vs_pass
