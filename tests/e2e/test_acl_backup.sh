#!/usr/bin/env bash
# `acl backup` writes what `getfacl -R` prints, byte for byte (so `setfacl --restore` reads it),
# and `acl restore` undoes damage to a shared cache (ACLs, modes, group) until `getfacl -R` is
# identical again, without ever following a symlink planted in the tree, and refuses a backup
# naming an absolute path or '..' before changing anything.
source "$(dirname "$0")/lib/vserver.sh"
vs_main "$@"

vs_boot
vs_setup
C=/data/cache/pip
vs_run 'useradd -m -G gpu-users alice && useradd -m -G gpu-users bob && useradd -m carol'

vs_step "users fill the cache; named entries, a mask, odd names, a planted symlink"
vs_assert_as_ok alice "set -e; umask 077; cd $C; mkdir -p sub/deeper; echo a > sub/a; echo b > 'sub/with space'
  echo x > sub/deeper/x; ln -s /etc link" "alice writes into $C"
vs_assert_as_ok bob "set -e; umask 022; cd $C; echo b > bobs; chmod 755 bobs; mkdir bobdir" "bob writes into $C"
vs_run "set -e
  setfacl -m u:carol:r-x,g:carol:rwx $C/sub
  setfacl -m u:carol:rw-,m::r-- '$C/sub/with space'
  setfacl -m d:u:carol:r-x $C/bobdir
  chmod +t $C/bobdir"

vs_step "backup is byte-identical to getfacl -R"
vs_aicactl acl backup /root/acl.txt "$C"
vs_assert_rc 0
vs_assert_contains "$VS_OUT" "Wrote the ACLs of" "acl backup output"
vs_run 'cd / && getfacl -R /data/cache/pip > /root/getfacl.txt 2>/dev/null'
vs_run 'cmp /root/getfacl.txt /root/acl.txt' ||
  vs_fail "acl.txt differs from getfacl -R: $(vs_run 'diff /root/getfacl.txt /root/acl.txt' | head -20)"
vs_assert_stat /root/acl.txt '600 root root'
for needle in '# flags: -st' 'user:carol:rw-	#effective:r--' 'default:user:carol:r-x' '# file: data/cache/pip/sub/with space'; do
  vs_run "grep -qxF -- $(printf '%q' "$needle") /root/acl.txt" || vs_fail "the backup lacks the line '$needle'"
done
vs_run 'grep -q "link" /root/acl.txt' && vs_fail "the backup lists the symlink (getfacl -R leaves it out)"

vs_step "backup without paths covers every shared tree"
vs_aicactl acl backup /root/all.txt
vs_assert_rc 0
for tree in data/cache/pip data/cache/npm data/models/huggingface; do
  vs_run "grep -qxF '# file: $tree' /root/all.txt" || vs_fail "the default backup lacks $tree"
done

vs_step "damage, then restore"
vs_snapshot --no-times before "$C"
before_etc="$(vs_describe /etc /etc/passwd /etc/shadow)"
vs_run "set -e
  setfacl -R -P -b $C
  find $C ! -type l -exec chgrp carol {} +
  find $C -type d -exec chmod 0700 {} +
  find $C -type f -exec chmod 0666 {} +"
vs_run 'cd / && getfacl -R /data/cache/pip 2>/dev/null | cmp -s - /root/getfacl.txt' && vs_fail "the damage changed nothing"
vs_aicactl --dry-run acl restore /root/acl.txt
vs_assert_rc 0
vs_assert_contains "$VS_OUT" "Would set ACL of '/data/cache/pip/sub'" "acl restore --dry-run output"
vs_run 'cd / && getfacl -R /data/cache/pip 2>/dev/null | cmp -s - /root/getfacl.txt' && vs_fail "--dry-run restored"
vs_aicactl acl restore /root/acl.txt
vs_assert_rc 0
vs_run 'cd / && getfacl -R /data/cache/pip > /root/after.txt 2>/dev/null'
vs_run 'cmp /root/getfacl.txt /root/after.txt' ||
  vs_fail "getfacl -R differs after restore: $(vs_run 'diff /root/getfacl.txt /root/after.txt' | head -20)"
vs_snapshot --no-times after "$C"
vs_assert_snapshot_same before after "the cache after damage and restore"
vs_try vs_run 'aicactl acl restore - < /root/acl.txt'
vs_assert_rc 0
vs_assert_contains "$VS_OUT" "0 changed" "a second restore, from standard input"
vs_run "chmod 0700 $C/sub"
vs_try vs_run 'aicactl acl restore - < /root/acl.txt'
vs_assert_rc 0
vs_assert_contains "$VS_OUT" "1 changed" "a restore from standard input after one change"
vs_snapshot --no-times after_stdin "$C"
vs_assert_snapshot_same before after_stdin "the cache after a restore from standard input"
vs_try vs_run 'printf "# file: data/../etc\nuser::rwx\ngroup::r-x\nother::r-x\n" | aicactl acl restore -'
vs_assert_rc 65
vs_assert_contains "$VS_ERR" "standard input" "a bad backup on standard input is named as such"

vs_step "setfacl --restore accepts the backup"
vs_run "setfacl -R -P -b $C && find $C -type d -exec chmod 0700 {} +"
vs_run 'cd / && setfacl --restore=/root/acl.txt' || vs_fail "setfacl --restore refused the backup"
vs_run 'cd / && getfacl -R /data/cache/pip 2>/dev/null | cmp -s - /root/getfacl.txt' ||
  vs_fail "setfacl --restore of our backup does not give the same getfacl -R"

vs_step "a crafted entry through the planted symlink is skipped"
vs_run "set -e; cp /root/acl.txt /root/crafted.txt
  printf '# file: data/cache/pip/link/passwd\n# owner: alice\n# group: alice\nuser::rwx\nuser:alice:rwx\ngroup::rwx\nmask::rwx\nother::rwx\n\n' >> /root/crafted.txt
  printf '# file: data/cache/pip/link\n# owner: alice\n# group: alice\nuser::rwx\ngroup::rwx\nother::rwx\n\n' >> /root/crafted.txt"
vs_aicactl acl restore /root/crafted.txt
vs_assert_rc 73
vs_assert_contains "$VS_ERR" "reached through a symlink" "restore through a symlink"
vs_assert_same_text "/etc after a restore through a symlink" "$before_etc" "$(vs_describe /etc /etc/passwd /etc/shadow)"

vs_step "absolute paths and '..' are refused before anything changes"
for bad in /etc/passwd data/cache/pip/../../../etc/passwd; do
  vs_run "set -e; chmod 0700 $C/bobs; cp /root/acl.txt /root/bad.txt
    printf '# file: %s\nuser::rwx\ngroup::rwx\nother::rwx\n\n' $(printf '%q' "$bad") >> /root/bad.txt"
  vs_aicactl acl restore /root/bad.txt
  vs_assert_rc 65
  vs_assert_stat "$C/bobs" '700'  '%a'
done
vs_assert_same_text "/etc after refused restores" "$before_etc" "$(vs_describe /etc /etc/passwd /etc/shadow)"

vs_step "restore needs root"
vs_run 'cp /root/acl.txt /tmp/acl.txt && chmod 644 /tmp/acl.txt'
vs_try vs_as alice '/usr/local/sbin/aicactl acl restore /tmp/acl.txt'
vs_assert_rc 77
vs_pass
