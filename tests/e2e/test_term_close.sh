#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The semester reclaim on a btrfs /data (issue 11, items 3 and 5): setup makes /data/users a
# subvolume on a fresh btrfs volume (vs_btrfs_data: a loop-mounted mkfs.btrfs image).
source "$(dirname "$0")/lib/vserver.sh"
vs_main "$@"

vs_btrfs_data 600m
vs_boot
vs_setup

vs_step "setup makes /data/users a btrfs subvolume"
vs_assert_eq "btrfs 256" "$(vs_run 'stat -f -c %T /data/users; stat -c %i /data/users' | tr '\n' ' ' | sed 's/ $//')" \
  "/data/users: file system and inode (256: a subvolume's root)"
vs_assert_stat /data/users '755 root root'
vs_aicactl setup
vs_assert_rc 0 "a second setup"
vs_assert_not_contains "$VS_OUT" "subvolume" "a second setup on the subvolume"

vs_pass
