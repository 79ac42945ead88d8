#!/usr/bin/env bash
# `user repair` gives a home's files back to their owner as root, in a tree the user controls:
# it must fix a root-owned file in the home, but not follow symlinks planted there (to
# /etc/shadow, /, another user's home), not take over a hardlink to another user's file or to
# a root-only file elsewhere on /data (reported as skipped), and not cross a mount point below
# the home. Root-made device nodes and FIFOs stay root's (reported), a root-owned symlink stays
# root's, and a root-owned setuid file is given to the user without its set-id bits. --json
# reports what the walk changed.
source "$(dirname "$0")/lib/vserver.sh"
vs_main "$@"

vs_boot
vs_setup
vs_aicactl user add alice
vs_assert_rc 0
vs_aicactl user add bob
vs_assert_rc 0
H=/data/users/alice

vs_step "bob's private file; alice plants symlinks"
vs_assert_as_ok bob 'set -e; echo bob-secret > secret; chmod 600 secret; mkdir -p private; echo p > private/p; chmod 700 private' "bob writes private files"
vs_assert_as_ok alice 'set -e; mkdir -p sub
  ln -s /etc/shadow shadow-link
  ln -s / root-link
  ln -s /home/bob bob-home-link
  ln -s /data/users/bob bob-data-link
  ln -s /home/bob/secret bob-secret-link
  ln -s ../../../etc sub/etc-up
  echo mine > sub/mine' "alice plants symlinks in her home"

vs_step "root leaves hardlinks (bob's file, a root-only file), a root-owned file and a mount in alice's home"
vs_run "set -e
  ln /data/users/bob/secret $H/hardlink-to-bob
  install -m 600 /dev/null /data/root-secret && echo root-secret > /data/root-secret
  ln /data/root-secret $H/hardlink-to-root
  echo from-root > $H/root-file
  mkdir $H/root-dir && echo x > $H/root-dir/inside
  mknod -m 600 $H/disk b 8 0
  mknod -m 666 $H/chardev c 1 3
  mkfifo -m 600 $H/root-fifo
  ln -s /etc/shadow $H/root-symlink
  install -m 6755 /dev/null $H/root-suid
  mkdir $H/mnt"
vs_mount_tmpfs "$H/mnt" size=1m,mode=0700
vs_run "echo foreign > $H/mnt/foreign && chmod 600 $H/mnt/foreign"
vs_assert_stat "$H/root-file" '644 root root'

targets=(/ /etc /etc/shadow /home /home/bob /data/root-secret /data/users/bob /data/users/bob/secret /data/users/bob/private
  /data/users/bob/private/p "$H/mnt" "$H/mnt/foreign")
links=(shadow-link root-link bob-home-link bob-data-link bob-secret-link sub/etc-up hardlink-to-bob hardlink-to-root)
before="$(vs_describe "${targets[@]}")"
links_before="$(vs_run "cd $H && for l in ${links[*]}; do printf '%s %s %s\n' \"\$l\" \"\$(stat -c '%U:%G %a %h %Z' \"\$l\")\" \"\$(readlink \"\$l\")\"; done")"
vs_snapshot etc_before /etc
vs_snapshot bob_before /data/users/bob
sleep 0.05

vs_step "user repair alice"
vs_aicactl --json user repair alice
[[ $VS_RC == 0 || $VS_RC == 73 ]] || vs_fail "user repair alice: expected exit code 0 (or 73 for reported skips), got $VS_RC"
repair_rc=$VS_RC
vs_log "user repair alice: exit $VS_RC; stderr: $VS_ERR"
vs_assert_eq 0 "$(vs_json 'j["summary"]["failed"]')" "summary.failed of user repair alice"
# The walk changed the owner of root-file, root-dir and root-dir/inside: the report says so.
changed="$(vs_json 'j["summary"]["changed"]')"
((changed >= 1)) || vs_fail "user repair alice --json: summary.changed is $changed, but it gave root-owned files to alice"
vs_assert_contains "$VS_OUT" "$H/hardlink-to-root" "user repair alice --json names the skipped hardlink to a root-only file"
vs_assert_contains "$VS_OUT" "Left '$H/disk' alone" "user repair alice --json reports the block device"
vs_assert_contains "$VS_OUT" "Left '$H/root-fifo' alone" "user repair alice --json reports the FIFO"

vs_step "devices, FIFOs and root's symlink are left exactly as they were; set-id bits are cleared"
vs_assert_stat "$H/disk" 'block special file 600 root root 8,0' '%F %a %U %G %t,%T'
vs_assert_stat "$H/chardev" 'character special file 666 root root' '%F %a %U %G'
vs_assert_stat "$H/root-fifo" 'fifo 600 root root' '%F %a %U %G'
vs_assert_stat "$H/root-symlink" 'root root' '%U %G'
vs_assert_stat "$H/root-suid" '755 alice alice'

vs_step "alice's own tree is fixed"
vs_assert_stat "$H/root-file" '644 alice alice'
vs_assert_stat "$H/root-dir" 'alice alice' '%U %G'
vs_assert_stat "$H/root-dir/inside" 'alice alice' '%U %G'
vs_assert_stat "$H/sub/mine" 'alice alice' '%U %G'
vs_assert_stat "$H" '750 alice alice'

vs_step "nothing outside it changed"
after="$(vs_describe "${targets[@]}")"
vs_assert_same_text "targets of the symlinks, bob's files, the mount (stat and ACL)" "$before" "$after"
links_after="$(vs_run "cd $H && for l in ${links[*]}; do printf '%s %s %s\n' \"\$l\" \"\$(stat -c '%U:%G %a %h %Z' \"\$l\")\" \"\$(readlink \"\$l\")\"; done")"
vs_assert_same_text "the planted symlinks and the hardlink (owner, mode, links, ctime, target)" "$links_before" "$links_after"
vs_snapshot etc_after /etc
vs_assert_snapshot_same etc_before etc_after "/etc after user repair alice"
vs_snapshot bob_after /data/users/bob
vs_assert_snapshot_same bob_before bob_after "bob's home after user repair alice"
vs_assert_stat /etc/shadow 'root shadow' '%U %G'
vs_assert_stat /data/users/bob/secret '600 bob bob'
vs_assert_stat /data/root-secret '600 root root'
vs_assert_as_fails alice "cat $H/hardlink-to-root" "alice reads the root-only file through the hardlink"
vs_assert_as_fails alice "cat $H/hardlink-to-bob" "alice reads bob's 0600 file through the hardlink"
vs_assert_as_fails alice 'cat /etc/shadow' "alice reads /etc/shadow"
vs_assert_as_fails alice "cat $H/mnt/foreign" "alice reads the root-only file on the mount below her home"
vs_assert_eq bob-secret "$(vs_run 'cat /data/users/bob/secret')" "content of bob's secret"

vs_step "a second repair (text) changes nothing and reports the skipped hardlink"
vs_snapshot second_before
sleep 0.05
vs_aicactl user repair alice
vs_assert_rc "$repair_rc" "second user repair alice (same exit code as the first)"
vs_assert_contains "$VS_ERR" "$H/hardlink-to-root" "stderr of user repair alice names the skipped hardlink"
vs_snapshot second_after
vs_assert_snapshot_same second_before second_after "a second user repair alice"

vs_step "a third repair (--json) says it changed nothing"
vs_aicactl --json user repair alice
vs_assert_rc "$repair_rc" "third user repair alice (same exit code as the first)"
vs_assert_eq 0 "$(vs_json 'j["summary"]["changed"]')" "summary.changed of the third repair"
vs_snapshot third_after
vs_assert_snapshot_same second_before third_after "a third user repair alice"
vs_pass
