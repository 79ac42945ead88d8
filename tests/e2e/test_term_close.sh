#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The semester reclaim on a btrfs /data (issue 11, items 3 and 5): setup makes /data/users a
# subvolume on a fresh btrfs volume (vs_btrfs_data: a loop-mounted mkfs.btrfs image), each home
# a subvolume of its own; term close with --dry-run or without --yes changes nothing; with --yes
# it takes read-only snapshots (users, and alice's home as <term>/alice), verifies alice's tree
# in hers (files, an ACL, a hard link pair, a symlink to /etc/shadow that is never followed),
# purges her home and [lifecycle] purge_paths, deletes the account and keeps her registry row
# (uid, term); a new user never gets her uid; bob, prof (keep) stay; backup list shows the term.
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


CONF=/data/system/config/aicactl.toml
REG=/data/system/config/users.toml
at() { date -u -d "$1 12:00" +%s; }
vs_run "printf '\n[lifecycle]\nkeep = [\"prof\"]\npurge_paths = [\"/local/docker/{user}\"]\n' >> $CONF"
for u in alice prof; do
  vs_aicactl user add "$u" --expires 2030-01-15
  vs_assert_rc 0 "user add $u"
done
vs_aicactl user add bob --expires 2031-01-15
vs_assert_rc 0 "user add bob"
ALICE_UID=$(vs_run 'id -u alice')
vs_assert_as_ok alice 'mkdir -p ~/proj/sub && echo data > ~/proj/a.txt && ln ~/proj/a.txt ~/proj/sub/b.txt &&
  head -c 100000 /dev/urandom > ~/proj/blob && setfacl -m u:bob:r ~/proj/a.txt && ln -s /etc/shadow ~/shadow-link' \
  "alice's files"
vs_run 'mkdir -p /local/docker/alice/overlay && echo x > /local/docker/alice/overlay/f && chown -R alice /local/docker/alice'
close() { vs_try vs_run "AICACTL_TEST_NOW=$(at 2030-02-01) aicactl $*"; }

vs_step "term close: a bad name is 65, no --yes is 64, --dry-run changes nothing"
vs_snapshot before
close term close ../x --yes
vs_assert_rc 65
vs_assert_contains "$VS_ERR" "Invalid term name" "a bad term name"
close term close 2026-fall
vs_assert_rc 64
vs_assert_contains "$VS_ERR" "--yes" "term close without --yes"
close --dry-run --json term close 2026-fall
vs_assert_rc 0
vs_assert_eq "snapshot empty-home remove-path unlink delete-account write-file" \
  "$(vs_json '" ".join(a["kind"] for a in j["actions"])')" "the dry run's actions"
vs_snapshot after
vs_assert_snapshot_same before after "term close refused or dry"

vs_step "term close --yes: snapshot, verify, purge"
close --json term close 2026-fall --yes
vs_assert_rc 0
vs_assert_eq '[]' "$(vs_json '[a["kind"] for a in j["actions"] if a["status"] != "changed"]')" "every action changed"
vs_assert_absent /data/users/alice
vs_assert_absent /local/docker/alice
vs_assert_absent /home/alice
vs_assert_fails 'getent passwd alice' "alice's account is gone"
vs_assert_eq "r 640 root 1" "$(vs_run 'stat -c "%F %a %U" /etc/shadow | cut -c1; stat -c "%a %U" /etc/shadow; grep -c ^bob: /etc/shadow' | paste -sd' ')" \
  "/etc/shadow (a link in the home points there)"
# alice's home is a subvolume of its own (quotas): the users snapshot holds an empty directory
# for her, her data is in the per-user read-only snapshot <term>/alice.
S=/data/backup/2026-fall/alice
vs_assert_eq "256" "$(vs_run 'stat -c %i /data/backup/2026-fall/users')" "the snapshot is a subvolume"
vs_assert_fails 'touch /data/backup/2026-fall/users/x' "the snapshot is read-only"
vs_assert_eq "" "$(vs_run 'ls -A /data/backup/2026-fall/users/alice')" "the users snapshot: an empty directory for alice"
vs_assert_eq "256" "$(vs_run "stat -c %i $S")" "alice's snapshot is a subvolume"
vs_assert_fails "touch $S/x" "alice's snapshot is read-only"
vs_assert_eq "data|2 $ALICE_UID|2 $ALICE_UID" "$(vs_run "cat $S/proj/a.txt; stat -c '%h %u' $S/proj/a.txt $S/proj/sub/b.txt" | paste -sd'|')" \
  "the snapshot's file, its hard link pair and owner"
vs_assert_eq "$(vs_run "stat -c %i $S/proj/a.txt")" "$(vs_run "stat -c %i $S/proj/sub/b.txt")" "one inode for the pair"
vs_assert_acl_has $S/proj/a.txt "user:bob:r--"
vs_assert_eq "/etc/shadow" "$(vs_run "readlink $S/shadow-link")" "the link, kept as a link"
for u in bob prof; do
  vs_assert_exists /data/users/$u
  vs_assert_ok "getent passwd $u" "$u untouched"
done
REGTEXT=$(vs_run "cat $REG")
vs_assert_contains "$REGTEXT" 'home = "archived"' "the registry row"
vs_assert_contains "$REGTEXT" 'term = "2026-fall"' "the registry row's term"
vs_assert_contains "$REGTEXT" "uid = $ALICE_UID" "the registry keeps alice's uid"
vs_aicactl user add dave
vs_assert_rc 0 "user add dave"
vs_assert_ne "$ALICE_UID" "$(vs_run 'id -u dave')" "dave's uid"
close term close 2026-fall --yes
vs_assert_rc 0

vs_step "backup list"
vs_aicactl --json backup list
vs_assert_rc 0
vs_assert_eq '["2026-fall", "btrfs", ["alice"]]' "$(vs_json '[j["terms"][0][k] for k in ("term", "kind", "users")]')" \
  "backup list --json"
vs_aicactl backup list
vs_assert_match "^2026-fall +btrfs .* alice$" "$VS_OUT" "backup list"

vs_pass
