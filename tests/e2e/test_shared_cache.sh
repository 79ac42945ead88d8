#!/usr/bin/env bash
# Files and dirs that one gpu-users member writes into a shared cache (any umask) are usable
# and removable by another; a file created 0600 is not, until `cache repair`, which keeps the
# owner.
source "$(dirname "$0")/lib/vserver.sh"
vs_main "$@"

vs_boot
vs_setup
vs_run 'useradd -m -G gpu-users alice && useradd -m -G gpu-users bob && useradd -m mallory'
C=/data/cache/pip

vs_step "alice writes under umask 077"
vs_assert_as_ok alice "umask 077; echo alice-data > $C/a.txt && mkdir -p $C/adir/sub && echo inner > $C/adir/sub/inner.txt && printf '#!/bin/sh\necho run\n' > $C/adir/tool && chmod 755 $C/adir/tool" \
  "alice writes into $C"
vs_assert_stat "$C/a.txt" 'alice gpu-users' '%U %G'
vs_assert_stat "$C/adir" 'alice gpu-users' '%U %G'
vs_assert_match '^2[0-7]{3}$' "$(vs_stat "$C/adir" '%a')" "setgid bit inherited by alice's new dir $C/adir"

vs_step "bob reads, writes and deletes them"
vs_assert_as_ok bob "cat $C/a.txt" "bob reads alice's file"
vs_assert_eq alice-data "$VS_OUT" "content read by bob"
vs_assert_as_ok bob "echo bob-was-here >> $C/a.txt" "bob appends to alice's file"
vs_assert_as_ok bob "cat $C/adir/sub/inner.txt" "bob reads alice's nested file"
vs_assert_as_ok bob "echo b > $C/adir/sub/bob.txt" "bob creates a file in alice's dir"
vs_assert_as_ok bob "$C/adir/tool" "bob runs alice's executable"
vs_assert_as_fails mallory "touch $C/mallory.txt" "mallory (not in gpu-users) writes into $C"
vs_assert_as_fails mallory "echo x >> $C/a.txt" "mallory (not in gpu-users) writes alice's file"
vs_assert_as_ok bob "rm $C/a.txt && rm -r $C/adir" "bob deletes alice's file and dir tree"
vs_assert_absent "$C/a.txt"
vs_assert_absent "$C/adir"

vs_step "alice creates files 0600 explicitly (as pip and mkstemp do)"
vs_assert_as_ok alice "umask 022; /usr/bin/python3 -c 'import os; fd = os.open(\"$C/secret-open\", os.O_CREAT | os.O_WRONLY, 0o600); os.write(fd, b\"s1\"); os.close(fd)'" \
  "alice creates $C/secret-open with os.open(..., 0o600)"
vs_assert_as_ok alice "install -m 600 /dev/null $C/secret-install && echo s2 > $C/secret-install" \
  "alice creates $C/secret-install with install -m 600"
vs_assert_as_ok alice "mkdir -m 700 $C/private-dir && echo s3 > $C/private-dir/f" \
  "alice creates a 0700 dir with a file in it"
vs_assert_as_ok alice "printf '#!/bin/sh\necho run\n' > $C/tool700 && chmod 700 $C/tool700" "alice makes a chmod 700 script"
vs_assert_as_fails bob "cat $C/secret-open" "bob reads a 0600 file before repair"
vs_assert_as_fails bob "cat $C/secret-install" "bob reads an install -m 600 file before repair"
vs_assert_as_fails bob "cat $C/private-dir/f" "bob reads inside a 0700 dir before repair"

vs_step "cache repair"
vs_aicactl cache repair
vs_assert_rc 0
for f in secret-open secret-install private-dir/f; do
  vs_assert_as_ok bob "cat $C/$f" "bob reads $C/$f after repair"
  vs_assert_as_ok bob "echo more >> $C/$f" "bob writes $C/$f after repair"
  vs_assert_stat "$C/$f" 'alice gpu-users' '%U %G'
done
vs_assert_stat "$C/private-dir" 'alice' '%U'
vs_assert_as_ok bob "$C/tool700" "bob runs alice's chmod 700 script after repair (X for executables)"
vs_assert_as_fails bob "test -x $C/secret-open" "bob may execute a non-executable file after repair"
vs_assert_as_ok bob "touch $C/private-dir/bob && rm -r $C/private-dir" "bob deletes alice's (was 0700) dir after repair"

vs_step "a second repair changes nothing"
vs_snapshot before /data
vs_aicactl --json cache repair
vs_assert_rc 0
vs_assert_eq 0 "$(vs_json 'j["summary"]["changed"]')" "summary.changed of a second cache repair"
vs_snapshot after /data
vs_assert_snapshot_same before after "a second cache repair"

vs_step "later repairs read only entries changed since the last complete one"
pip_field() { vs_json "[a for a in j['actions'] if a['target'] == '$C'][0]['$1']"; }
# The stamp of a complete repair is its start less 2 s (the coarse ctime clock); once a repair
# started more than 2 s after the last change, the next one reads nothing that did not change.
vs_run 'sleep 3'
vs_aicactl cache repair
vs_assert_rc 0
vs_aicactl --json cache repair
vs_assert_rc 0
vs_assert_eq "$(pip_field entries)" "$(pip_field unchanged_entries)" "unchanged_entries of a repair after a complete one"
vs_assert_as_ok alice "chmod 600 $C/secret-open && setfacl -b $C/secret-open" "alice makes her file private again"
vs_assert_as_fails bob "cat $C/secret-open" "bob reads the file alice made private"
vs_aicactl --json cache repair
vs_assert_rc 0
entries=$(pip_field entries)
vs_assert_eq "$((entries - 1))" "$(pip_field unchanged_entries)" "unchanged_entries (all but the file alice changed)"
vs_assert_eq 1 "$(pip_field changed_entries)" "changed_entries (the file alice changed)"
vs_assert_as_ok bob "cat $C/secret-open" "bob reads it again after the repair"
vs_aicactl --json cache repair --full
vs_assert_rc 0
vs_assert_eq 0 "$(pip_field unchanged_entries)" "unchanged_entries with --full"
vs_assert_eq 0 "$(pip_field changed_entries)" "changed_entries with --full (all in order)"
vs_pass
