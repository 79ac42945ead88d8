#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# backup restore and backup prune on a btrfs /data (issue 11, item 3): alice's home (files, an
# ACL, a hard link pair, a symlink to /etc/shadow) is closed into a term's read-only snapshot;
# refusals (an unknown term, a home that is not empty, a bad date) and --dry-run change nothing;
# restore brings the home back (ACL, one inode for the pair, the link as a link, her uid) and her
# account (the recorded uid, gpu-users, su - works); a second restore is refused. Then two more
# terms are closed and prune --keep-terms 2 deletes the oldest snapshot only (not without --yes,
# not with --dry-run); restoring from the pruned term says it is gone. bob's home, a subvolume of
# its own (as with a quota), is closed into its own snapshot and restored as a writable one.
source "$(dirname "$0")/lib/vserver.sh"
vs_main "$@"

vs_btrfs_data 600m
vs_boot
vs_setup

at() { date -u -d "$1 12:00" +%s; }
close() { vs_try vs_run "AICACTL_TEST_NOW=$(at 2030-02-01) aicactl $*"; }
REG=/data/system/config/users.toml
vs_aicactl user add alice --expires 2030-01-15
vs_assert_rc 0 "user add alice"
for u in bob carol; do
  vs_aicactl user add "$u"
  vs_assert_rc 0 "user add $u"
done
ALICE_UID=$(vs_run 'id -u alice')
vs_assert_as_ok alice 'mkdir -p ~/proj/sub && echo data > ~/proj/a.txt && ln ~/proj/a.txt ~/proj/sub/b.txt &&
  setfacl -m u:bob:r ~/proj/a.txt && ln -s /etc/shadow ~/shadow-link' "alice's files"
close term close 2026-fall --yes
vs_assert_rc 0 "term close 2026-fall"
vs_assert_fails 'getent passwd alice' "alice's account is gone"

vs_step "backup restore: refusals and --dry-run change nothing"
vs_snapshot before
vs_aicactl backup restore alice --term 2025-nope
vs_assert_rc 65 "an unknown term"
vs_assert_contains "$VS_ERR" "No backup of term '2025-nope'" "an unknown term"
vs_aicactl backup restore bob --term 2026-fall
vs_assert_rc 65 "bob's home is there"
vs_assert_contains "$VS_ERR" "refuses to overwrite" "bob's home is there"
vs_aicactl backup restore alice --term 2026-fall --expires 2030-13-01
vs_assert_rc 65 "a bad date"
vs_aicactl backup restore alice
vs_assert_rc 64 "no --term"
vs_aicactl --dry-run --json backup restore alice --term 2026-fall
vs_assert_rc 0 "--dry-run"
vs_assert_eq "restore-home write-file repair-user" "$(vs_json '" ".join(a["kind"] for a in j["actions"])')" \
  "the dry run's actions"
vs_snapshot after
vs_assert_snapshot_same before after "refused or dry restores"

vs_step "backup restore alice: home, ACL, hard link, symlink, owner, account"
vs_aicactl --json backup restore alice --term 2026-fall
vs_assert_rc 0 "backup restore"
vs_assert_eq '[]' "$(vs_json '[a["description"] for a in j["actions"] if a["status"] == "failed"]')" "no failure"
H=/data/users/alice
vs_assert_eq "$ALICE_UID" "$(vs_run 'id -u alice')" "alice's uid is the recorded one"
vs_assert_contains "$(vs_run 'id -nG alice')" "gpu-users" "alice is in gpu-users"
vs_assert_eq "data|2 $ALICE_UID|2 $ALICE_UID" "$(vs_run "cat $H/proj/a.txt; stat -c '%h %u' $H/proj/a.txt $H/proj/sub/b.txt" | paste -sd'|')" \
  "the file, its hard link pair and owner"
vs_assert_eq "$(vs_run "stat -c %i $H/proj/a.txt")" "$(vs_run "stat -c %i $H/proj/sub/b.txt")" "one inode for the pair"
vs_assert_acl_has $H/proj/a.txt "user:bob:r--"
vs_assert_eq "symbolic link /etc/shadow" "$(vs_run "stat -c %F $H/shadow-link; readlink $H/shadow-link" | paste -sd' ')" \
  "the link, kept as a link"
vs_assert_eq "0" "$(vs_run "find $H ! -uid $ALICE_UID | wc -l")" "every entry is alice's"
vs_assert_eq "/data/users/alice" "$(vs_run 'readlink /home/alice')" "/home/alice"
vs_assert_as_ok alice 'cat ~/proj/a.txt && touch ~/proj/new' "su - alice, her files"
vs_assert_absent /data/users/.alice.restore
vs_assert_contains "$(vs_run "cat $REG")" '[users."alice"]' "alice is registered again"
vs_aicactl --json user expire
vs_assert_rc 0 "user expire"
vs_assert_ok 'id -nG alice | grep -qw gpu-users' "user expire leaves the restored alice alone (no expiry)"

vs_step "a second restore is refused, nothing changed"
vs_snapshot before2
vs_aicactl backup restore alice --term 2026-fall
vs_assert_rc 65 "restore again"
vs_assert_contains "$VS_ERR" "refuses to overwrite" "restore again"
vs_snapshot after2
vs_assert_snapshot_same before2 after2 "a second restore"

vs_step "backup prune --keep-terms 2"
# bob's home becomes a subvolume of its own (as a home with a quota is): its own snapshot.
vs_assert_as_ok bob 'echo hi > ~/hello' "bob's file"
BOB_UID=$(vs_run 'id -u bob')
vs_run 'btrfs subvolume create /data/users/.bob.sv >/dev/null && cp -a /data/users/bob/. /data/users/.bob.sv/ &&
  chown --reference=/data/users/bob /data/users/.bob.sv && chmod --reference=/data/users/bob /data/users/.bob.sv &&
  rm -rf /data/users/bob && mv /data/users/.bob.sv /data/users/bob'
sleep 1.1 # term folders are ordered by their mtime (seconds)
close term close 2027-spring --users bob --yes
vs_assert_rc 0 "term close 2027-spring"
vs_assert_eq "256" "$(vs_run 'stat -c %i /data/backup/2027-spring/bob')" "bob's home snapshot"
sleep 1.1
close term close 2027-fall --users carol --yes
vs_assert_rc 0 "term close 2027-fall"
vs_aicactl backup prune --keep-terms 2
vs_assert_rc 64 "prune without --yes"
vs_assert_contains "$VS_ERR" "--yes" "prune without --yes"
vs_aicactl backup prune --keep-terms 0 --yes
vs_assert_rc 64 "--keep-terms 0"
vs_aicactl backup prune --keep-terms two --yes
vs_assert_rc 64 "--keep-terms two"
vs_assert_contains "$VS_ERR" "Invalid --keep-terms 'two'" "--keep-terms two"
vs_snapshot before3
vs_aicactl --dry-run --json backup prune --yes
vs_assert_rc 0 "prune --dry-run"
vs_assert_eq "delete-term-backup:/data/backup/2026-fall write-file" \
  "$(vs_json '" ".join(a["kind"] + (":" + a["target"] if a["kind"] == "delete-term-backup" else "") for a in j["actions"])')" \
  "the dry run deletes the oldest term"
vs_snapshot after3
vs_assert_snapshot_same before3 after3 "prune --dry-run"
vs_aicactl --json backup prune --keep-terms 2 --yes
vs_assert_rc 0 "prune"
vs_assert_absent /data/backup/2026-fall
vs_assert_exists /data/backup/2027-spring/users/bob
vs_assert_exists /data/backup/2027-fall/users/carol
SUBVOLS=$(vs_run 'btrfs subvolume list /data')
vs_assert_not_contains "$SUBVOLS" "backup/2026-fall" "btrfs subvolume list"
vs_assert_contains "$SUBVOLS" "backup/2027-spring/users" "btrfs subvolume list"
vs_assert_contains "$(vs_run "cat $REG")" 'home = "purged"' "the pruned term's rows"
vs_aicactl backup restore alice --term 2026-fall
vs_assert_rc 65 "restore from a pruned term"
vs_assert_contains "$VS_ERR" "deleted by backup prune" "restore from a pruned term"

vs_step "backup restore from a home's own snapshot: a writable snapshot of it"
vs_aicactl --json backup restore bob --term 2027-spring
vs_assert_rc 0 "backup restore bob"
vs_assert_eq "256 hi $BOB_UID" "$(vs_run 'stat -c %i /data/users/bob; cat /data/users/bob/hello; stat -c %u /data/users/bob/hello' | paste -sd' ')" \
  "bob's home: a subvolume, his file, his uid"
vs_assert_eq "ro=false" "$(vs_run 'btrfs property get /data/users/bob ro')" "the restored home is writable"
vs_assert_eq "$BOB_UID" "$(vs_run 'id -u bob')" "bob's recorded uid"
vs_assert_as_ok bob 'touch ~/again' "su - bob writes his home"
vs_assert_absent /data/users/.bob.restore
vs_aicactl --json backup prune --yes
vs_assert_rc 0 "a second prune"
vs_assert_eq "0" "$(vs_json 'len([a for a in j["actions"] if a["kind"] == "delete-term-backup"])')" "nothing more to prune"
vs_aicactl backup prune --keep-terms 1 --yes
vs_assert_rc 0 "prune the term with bob's home snapshot"
vs_assert_absent /data/backup/2027-spring
vs_assert_not_contains "$(vs_run 'btrfs subvolume list /data')" "backup/2027-spring" "both snapshots of 2027-spring"
vs_assert_exists /data/backup/2027-fall/users/carol

vs_pass
