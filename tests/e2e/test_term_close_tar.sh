#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# term close where /data/users is no btrfs subvolume (the default tmpfs /data): one verified
# tar.zst archive per user with its sha256; first a full /data makes the archive fail, which
# stops the run with nothing removed (exit 1); after space is freed the same close archives,
# verifies and purges. backup restore refuses a damaged archive (sha256) with nothing changed, and
# brings alice's home back from the good one to her new account (re-added with a new uid: every
# entry re-owned, ACL and hard link kept); backup prune deletes the older tar term.
VS_DATA_SIZE=64m # small, so that it can be filled
source "$(dirname "$0")/lib/vserver.sh"
vs_main "$@"


vs_boot
vs_setup
at() { date -u -d "$1 12:00" +%s; }
close() { vs_try vs_run "AICACTL_TEST_NOW=$(at 2030-02-01) aicactl $*"; }
vs_aicactl user add alice --expires 2030-01-15
vs_assert_rc 0 "user add alice"
ALICE_UID=$(vs_run 'id -u alice')
vs_assert_as_ok alice 'mkdir -p ~/proj && echo data > ~/proj/a.txt && ln ~/proj/a.txt ~/proj/b.txt &&
  head -c 3000000 /dev/urandom > ~/proj/blob && ln -s /etc/shadow ~/shadow-link && setfacl -m u:nobody:r ~/proj/a.txt' \
  "alice's files"

vs_step "a full disk: the archive fails, nothing is removed (exit 1)"
vs_run 'head -c 200M /dev/zero > /data/filler 2>/dev/null || true; df -h /data | tail -1'
vs_snapshot before /data/users /home /etc/passwd
close term close 2026-fall --yes
vs_assert_rc 1
vs_assert_contains "$VS_ERR" "2026-fall" "the failure names the archive"
vs_snapshot after /data/users /home /etc/passwd
vs_assert_snapshot_same before after "a failed term close"
vs_assert_ok 'getent passwd alice' "alice is still there"
vs_assert_eq "" "$(vs_run 'ls -A /data/backup/2026-fall')" "no partial archive left"

vs_step "space freed: archive, verify (listing, sha256), purge"
vs_run 'rm /data/filler'
close --json term close 2026-fall --yes
vs_assert_rc 0
vs_assert_eq "archive-tar empty-home unlink delete-account write-file" \
  "$(vs_json '" ".join(a["kind"] for a in j["actions"])')" "the actions"
vs_assert_absent /data/users/alice
vs_assert_fails 'getent passwd alice' "alice's account is gone"
vs_assert_ok 'cd /data/backup/2026-fall && sha256sum -c alice.tar.zst.sha256' "the sha256 beside the archive"
vs_assert_eq "600 root" "$(vs_stat /data/backup/2026-fall/alice.tar.zst '%a %U')" "the archive's mode"
LIST=$(vs_run 'tar --zstd --numeric-owner -tvf /data/backup/2026-fall/alice.tar.zst')
vs_assert_match "alice/proj/(a|b).txt link to alice/proj/(a|b).txt" "$LIST" "the hard link in the archive"
vs_assert_contains "$LIST" "alice/shadow-link -> /etc/shadow" "the symlink, archived as a link"
vs_assert_contains "$LIST" "$ALICE_UID/" "numeric owners"
vs_assert_contains "$(vs_run "cat /data/system/config/users.toml")" 'term = "2026-fall"' "the registry row"
vs_aicactl --json backup list
vs_assert_rc 0
vs_assert_eq '["2026-fall", "tar", ["alice"]]' "$(vs_json '[j["terms"][0][k] for k in ("term", "kind", "users")]')" \
  "backup list --json"

vs_step "backup restore: a damaged archive is refused, nothing is changed"
A=/data/backup/2026-fall/alice.tar.zst
vs_run "cp $A /data/backup/good.tar.zst && python3 -c 'import sys
p = sys.argv[1]
b = bytearray(open(p, \"rb\").read())
b[len(b) // 2] ^= 0xFF
open(p, \"wb\").write(b)' $A"
vs_snapshot before2
vs_aicactl backup restore alice --term 2026-fall
vs_assert_rc 65 "a damaged archive"
vs_assert_contains "$VS_ERR" "does not match its sha256" "a damaged archive"
vs_snapshot after2
vs_assert_snapshot_same before2 after2 "a refused restore"
vs_run "mv /data/backup/good.tar.zst $A"

vs_step "backup restore from the archive to alice's new account: owner restored"
vs_aicactl user add alice
vs_assert_rc 0 "user add alice again"
NEW_UID=$(vs_run 'id -u alice')
vs_assert_ne "$ALICE_UID" "$NEW_UID" "alice's new uid"
vs_aicactl backup restore alice --term 2026-fall
vs_assert_rc 65 "a home with files in the way"
vs_assert_contains "$VS_ERR" "refuses to overwrite" "a home with files in the way"
vs_run 'find /data/users/alice -mindepth 1 -delete'
vs_aicactl --json backup restore alice --term 2026-fall
vs_assert_rc 0 "backup restore"
vs_assert_contains "$(vs_json 'j["actions"][0]["description"]')" "owner $ALICE_UID:$ALICE_UID -> $NEW_UID:" "re-owned"
H=/data/users/alice
vs_assert_eq "0" "$(vs_run "find $H ! -uid $NEW_UID | wc -l")" "every entry is alice's new uid's"
vs_assert_eq "$(vs_run "stat -c %i $H/proj/a.txt")" "$(vs_run "stat -c %i $H/proj/b.txt")" "one inode for the pair"
vs_assert_acl_has $H/proj/a.txt "user:nobody:r--"
vs_assert_eq "/etc/shadow" "$(vs_run "readlink $H/shadow-link")" "the link, kept as a link"
vs_assert_eq "$(vs_run 'sha256sum < /data/users/alice/proj/blob')" \
  "$(vs_run "tar --zstd -xOf $A alice/proj/blob | sha256sum")" "the blob's content"
vs_assert_as_ok alice 'cat ~/proj/a.txt' "su - alice reads her file"
vs_assert_absent /data/users/.alice.restore

vs_step "backup prune of a tar term"
sleep 1.1 # term folders are ordered by their mtime (seconds)
vs_aicactl user add carol --expires 2030-01-15
close term close 2027-spring --users carol --yes
vs_assert_rc 0 "term close 2027-spring"
M=$(vs_run 'stat -c %Y /data/backup/2026-fall') # terms are ordered by their folder's mtime
vs_run "echo note > /data/backup/2026-fall/notes.txt && touch -d @$M /data/backup/2026-fall"
vs_aicactl backup prune --keep-terms 1 --yes
vs_assert_rc 73 "a term holding a file term close does not make"
vs_assert_contains "$VS_ERR" "notes.txt" "the file in the way"
vs_assert_exists /data/backup/2026-fall/alice.tar.zst
vs_assert_exists /data/backup/2026-fall/alice.tar.zst.sha256
vs_assert_not_contains "$(vs_run "cat /data/system/config/users.toml")" 'home = "purged"' "the failed term's rows"
vs_run "rm /data/backup/2026-fall/notes.txt && touch -d @$M /data/backup/2026-fall"
vs_aicactl --json backup prune --keep-terms 1 --yes
vs_assert_rc 0 "backup prune"
vs_assert_absent /data/backup/2026-fall
vs_assert_exists /data/backup/2027-spring/carol.tar.zst
vs_assert_contains "$(vs_run "cat /data/system/config/users.toml")" 'home = "purged"' "alice's pruned row"

vs_pass
