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

vs_step "config show before there is a configuration file"
vs_aicactl config show
vs_assert_rc 0
vs_assert_eq "# effective configuration: built-in defaults ('/data/system/config/aicactl.toml' does not exist)" \
  "$(head -n 1 <<<"$VS_OUT")" "first line of config show without a file"
vs_aicactl --json config show
vs_assert_rc 0
vs_assert_eq false "$(vs_json 'j["file"]["exists"]')" "config show --json: file.exists"
vs_assert_eq apps/uv "$(vs_json 'j["apps"]["uv_dir"]')" "config show --json: apps.uv_dir"
vs_assert_eq apps/miniconda3 "$(vs_json 'j["apps"]["conda_prefix"]')" "config show --json: apps.conda_prefix"
vs_assert_eq true "$(vs_json 'j["recover"]["require_mount"]')" "config show --json: recover.require_mount"

vs_step "setup -v: each change once"
vs_aicactl -v setup --init
vs_assert_rc 0 "aicactl -v setup"
vs_assert_contains "$VS_OUT" "$LINK" "setup's output"
change="Created directory '/data/cache/pip'"
vs_assert_eq 1 "$(grep -cF "$change" <<<"$VS_OUT$VS_ERR")" "times setup -v prints '$change' (stdout and stderr)"
vs_assert_contains "$(vs_run 'cat /var/log/aicactl.log')" "$change" "the log after setup -v"

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

vs_step "user list: aligned columns, du-style usage"
vs_assert_as_ok alice 'head -c 16384 /dev/urandom > f16k' "alice writes 16 KiB"
vs_aicactl user list --usage
vs_assert_rc 0
header=$(sed -n 1p <<<"$VS_OUT")
row=$(grep '^alice ' <<<"$VS_OUT")
vs_assert_match ' [0-9]+K$' "$row" "alice's usage (not 0.0G)"
cols() {  # the character (not byte) columns where ACCOUNT (or the first mark) and USAGE start
  python3 -c 'import re, sys; l = sys.argv[1]; print(l.index(sys.argv[2]), re.search(r"\S+$", l).start())' "$1" "$2"
}
vs_assert_eq "$(cols "$header" ACCOUNT)" "$(cols "$row" '✓')" "columns of alice's row under the header"

vs_step "doctor as a member says to run it as root"
vs_try vs_as alice 'aicactl doctor'
vs_assert_contains "$VS_OUT" "run 'sudo aicactl doctor'" "aicactl doctor as alice"

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
vs_assert_eq "" "$VS_ERR" "recover's stderr after a full success"
check_installed "after recover"
vs_assert_as_ok alice "sudo -n aicactl cache clean --pip" "sudo -n aicactl cache clean --pip after recover"
vs_pass
