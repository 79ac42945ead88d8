#!/usr/bin/env bash
# Day one as the README says it: after `setup`, root types `aicactl ...` (a link
# /usr/local/sbin/aicactl -> /data/system/bin/aicactl), `man aicactl` shows the page and bash
# completes the commands; a member types `sudo aicactl cache clean --pip` and sudo matches the
# rule (which names /data/system/bin/aicactl) through the link, with no password. A foreign
# file at the link's place is left alone (setup exits 73, doctor reports it), and recover puts
# the link, the man page and the completion back after a re-image.
source "$(dirname "$0")/lib/vserver.sh"
vs_main "$@"
command -v man >/dev/null || vs_skip "man (man-db) is not installed on the host"

LINK=/usr/local/sbin/aicactl
BIN=/data/system/bin/aicactl
MAN=/usr/local/share/man/man8/aicactl.8
COMPLETION=/etc/bash_completion.d/aicactl

check_installed() {  # what
  vs_assert_eq "$BIN" "$(vs_run "readlink $LINK")" "target of $LINK ($1)"
  vs_assert_stat "$LINK" 'root root symbolic link' '%U %G %F'
  vs_assert_eq "$LINK" "$(vs_run 'command -v aicactl')" "aicactl on root's PATH ($1)"
  vs_assert_stat "$MAN" '644 root root regular file' '%a %U %G %F'
  vs_assert_eq "$MAN" "$(vs_run 'readlink -f "$(man -w aicactl)"')" "man -w aicactl ($1)"
  vs_assert_contains "$(vs_run 'MANPAGER=cat MANWIDTH=100 man aicactl 2>/dev/null')" "--dry-run" "man aicactl ($1)"
  vs_assert_stat "$COMPLETION" '644 root root regular file' '%a %U %G %F'
  vs_assert_eq "_aicactl" "$(vs_run "bash --norc -c 'source $COMPLETION && complete -p aicactl' | grep -o '_aicactl'")" \
    "the completion function bash registers for aicactl ($1)"
}

vs_boot
vs_assert_absent "$LINK"
vs_setup
vs_assert_contains "$VS_OUT" "$LINK" "setup's output"

vs_step "root types the README's commands"
check_installed "after setup"
vs_assert_ok 'aicactl doctor' "aicactl doctor by name"
vs_assert_ok "aicactl --version | grep -qF 'aicactl '" "aicactl --version by name"

vs_step "a member types 'sudo aicactl cache clean --pip'"
vs_aicactl user add alice
vs_assert_rc 0
vs_run 'useradd -m mallory'
vs_assert_as_ok alice "echo x > /data/cache/pip/alice-file" "alice writes into the pip cache"
vs_assert_as_ok alice "sudo -n -l aicactl cache clean --pip" "sudo -n -l aicactl cache clean --pip"
vs_assert_as_ok alice "sudo -n aicactl cache clean --pip" "sudo -n aicactl cache clean --pip"
vs_assert_absent /data/cache/pip/alice-file
vs_assert_as_ok alice "sudo -n aicactl disk usage --mine" "sudo -n aicactl disk usage --mine"
vs_assert_as_fails alice "sudo -n aicactl cache clean --pip --older-than 0" "sudo -n aicactl with an extra option"
vs_assert_as_fails alice "sudo -n aicactl setup" "sudo -n aicactl setup"
vs_assert_as_fails mallory "sudo -n aicactl cache clean --pip" "mallory (not a member): sudo -n aicactl"

vs_step "a second setup and doctor: nothing to do"
vs_setup
vs_assert_match '^0 changed, [0-9]+ ok, 0 failed$' "$(tail -n 1 <<<"$VS_OUT")" "last line of a second setup"

vs_step "a foreign file where the link belongs is left alone"
vs_run "rm $LINK && printf '#!/bin/sh\necho mine\n' > $LINK && chmod 755 $LINK"
vs_try vs_run "$BIN setup"
vs_assert_rc 73 "$BIN setup with a foreign $LINK"
vs_assert_contains "$VS_ERR" "(exists and is not a symlink; remove it to have it linked) '$LINK'" "setup's message"
vs_assert_eq "mine" "$(vs_run "$LINK")" "the foreign file after setup"
vs_try vs_run "$BIN doctor"
vs_assert_rc 3 "doctor with a foreign $LINK"
vs_assert_contains "$VS_OUT" "$LINK" "doctor's report"
vs_run "rm $LINK"

vs_step "recover after a re-image puts them back"
vs_reboot --no-install
vs_assert_absent "$LINK"
vs_assert_absent "$MAN"
vs_assert_absent "$COMPLETION"
vs_try vs_run "$BIN recover"
vs_assert_rc 0 "$BIN recover"
check_installed "after recover"
vs_assert_as_ok alice "sudo -n aicactl cache clean --pip" "sudo -n aicactl cache clean --pip after recover"
vs_pass
