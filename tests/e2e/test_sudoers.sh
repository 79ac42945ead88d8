#!/usr/bin/env bash
# The sudoers drop-in and the cron file. After setup, a member of gpu-users may run exactly the
# pinned commands through `sudo -n` (cache clean per cache and --all, disk check, disk usage
# --mine) and nothing else: no other subcommand, no --config, no extra argument, no shell; a
# non-member gets nothing. The rule is root:root 0440 and the whole policy passes visudo -c.
# An admin's broken drop-in makes setup fail the sudoers step and put the previous rule back
# (or none), never leaving a half-installed one. doctor reports a writable directory above
# the binary, and setup refuses the rule when such a directory is one it does not manage.
# The cron file runs repair and disk check as root. After a reset, recover brings both back.
source "$(dirname "$0")/lib/vserver.sh"
vs_main "$@"
command -v sudo >/dev/null && command -v visudo >/dev/null || vs_skip "sudo is not installed on the host"

RULE=/etc/sudoers.d/aicactl
CRON=/etc/cron.d/aicactl
BIN=/data/system/bin/aicactl
CONF=/data/system/config/aicactl.toml

# may USER 'ARGV'...: `sudo -n -l ARGV` (exit 0 iff sudo would run ARGV without a password)
# succeeds for USER for each ARGV; may_not: fails for each. One login for all of them.
sudo_l_each() {
  local user=$1 want=$2 script='' argv
  shift 2
  for argv in "$@"; do
    script+="if sudo -n -l $argv >/dev/null 2>&1; then echo \"allowed: $argv\"; else echo \"denied: $argv\"; fi; "
  done
  vs_try vs_as "$user" "$script"
  VS_LAST_CMD="sudo -n -l ... (as $user)"
  vs_assert_rc 0
  local wrong
  wrong="$(grep -v "^$want: " <<<"$VS_OUT" || true)"
  vs_assert_eq "" "$wrong" "sudo -n -l as $user (expected every command $want)"
  vs_assert_eq "$#" "$(grep -c "^$want: " <<<"$VS_OUT")" "number of commands $want for $user"
}
may() { sudo_l_each "$1" allowed "${@:2}"; }
may_not() { sudo_l_each "$1" denied "${@:2}"; }

vs_boot
vs_setup
vs_aicactl user add alice
vs_assert_rc 0
vs_run 'useradd -m mallory'

vs_step "the rule and the cron file"
vs_assert_stat "$RULE" '440 root root regular file' '%a %U %G %F'
vs_assert_ok 'visudo -c' "visudo -c with the rule installed"
vs_assert_stat "$CRON" '644 root root regular file' '%a %U %G %F'
cron="$(vs_run "cat $CRON")"
vs_assert_contains "$cron" $'\nSHELL=/bin/sh\n' "$CRON"
vs_assert_contains "$cron" $'\nPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n' "$CRON"
vs_assert_contains "$cron" $'\n*/15 * * * * root /data/system/bin/aicactl --quiet cache repair --unless-watched\n' "$CRON"
vs_assert_contains "$cron" $'\n7 * * * * root /data/system/bin/aicactl --quiet disk check' "$CRON"
vs_assert_eq "" "$(vs_run "tail -c1 $CRON | tr -d '\\n'")" "last character of $CRON (cron needs a final newline)"
vs_assert_absent /var/spool/cron/crontabs/root # root's crontab is never edited (cron may be absent)
vs_assert_eq "" "$(vs_run 'ls -A /etc/sudoers.d /etc/cron.d | grep -F .aicactl || true')" "temp files left in /etc"

vs_step "a member may run exactly the pinned commands"
may alice "$BIN cache clean --"{all,conda,pip,uv,npm,yarn,hf,torch} "$BIN disk check" "$BIN disk usage --mine"

vs_step "and nothing else"
may_not alice "$BIN user add eve" \
  "$BIN --config /tmp/x.toml cache clean --pip" \
  "$BIN cache clean --pip --config /tmp/x.toml" \
  "$BIN cache clean --pip --extra" \
  "$BIN cache clean --pip --older-than 0" \
  "$BIN cache clean" \
  "$BIN disk check --path /home" \
  "$BIN disk usage bob" \
  "$BIN setup" \
  "$BIN" \
  /bin/sh
may_not mallory "$BIN cache clean --pip" "$BIN disk check"

vs_step "a member really runs a pinned command through sudo"
vs_assert_as_ok alice "echo x > /data/cache/pip/alice-file" "alice writes into the pip cache"
vs_assert_as_ok alice "sudo -n $BIN cache clean --pip" "alice: sudo -n $BIN cache clean --pip"
vs_assert_absent /data/cache/pip/alice-file
vs_assert_as_fails mallory "sudo -n $BIN cache clean --pip" "mallory (not a member): sudo -n cache clean --pip"
vs_assert_as_ok alice "sudo -n $BIN disk usage --mine" "alice: sudo -n $BIN disk usage --mine"
vs_assert_contains "$VS_OUT" "/data/users/alice" "alice's home in her disk usage"

vs_step "a second setup changes nothing"
vs_aicactl --json setup
vs_assert_rc 0
vs_assert_eq 0 "$(vs_json 'j["summary"]["changed"]')" "summary.changed of a second setup"

vs_step "an admin's broken drop-in: setup fails the sudoers step and keeps the previous rule"
vs_run "cp -p $RULE /root/rule.before"
vs_run "printf '[caches]\nyarn = \"\"\n' > $CONF"
vs_run 'printf "this is not sudoers\n" > /etc/sudoers.d/zz-broken && chmod 440 /etc/sudoers.d/zz-broken'
vs_aicactl --json setup
vs_assert_rc 73 "setup with a broken drop-in of the admin"
vs_assert_eq 1 "$(vs_json 'j["summary"]["failed"]')" "summary.failed"
vs_assert_contains "$(vs_json '[a for a in j["actions"] if a["status"] == "failed"]')" "zz-broken" \
  "the failed action names the broken file"
vs_assert_ok "cmp /root/rule.before $RULE" "the previous rule is back"
vs_assert_stat "$RULE" '440 root root' '%a %U %G'
vs_assert_eq "" "$(vs_run 'ls -A /etc/sudoers.d | grep -F .aicactl || true')" "temp files left in /etc/sudoers.d"

vs_step "the same without a previous rule: none is left behind"
vs_run "rm $RULE"
vs_aicactl setup
vs_assert_rc 73 "setup with a broken drop-in of the admin and no rule yet"
vs_assert_absent "$RULE"
vs_assert_eq "" "$(vs_run 'ls -A /etc/sudoers.d | grep -F .aicactl || true')" "temp files left in /etc/sudoers.d"

vs_step "a broken rule of our own never reaches /etc/sudoers.d"
vs_run 'rm /etc/sudoers.d/zz-broken'
vs_aicactl setup
vs_assert_rc 0 "setup once the admin fixed the drop-in"
vs_assert_not_contains "$(vs_run "cat $RULE")" "--yarn" "the rule after yarn was disabled"
may_not alice "$BIN cache clean --yarn"
may alice "$BIN cache clean --pip"
vs_assert_ok 'visudo -c' "visudo -c after the update"

vs_step "doctor reports a directory above the binary that others may write"
vs_run 'chmod g+w /data/system/bin'
vs_aicactl doctor
vs_assert_rc 3 "doctor with a group-writable /data/system/bin"
vs_assert_contains "$(grep '^✗ ' <<<"$VS_OUT")" "'/data/system/bin' is writable by group/other" "✗ lines of doctor"
vs_aicactl setup
vs_assert_rc 0 "setup (it owns /data/system/bin and fixes its mode)"
vs_assert_stat /data/system/bin '755 root root'
vs_aicactl doctor
vs_assert_rc 0 "doctor after setup fixed /data/system/bin"

vs_step "reset, then recover: the rule and the cron file are back"
vs_reboot --no-install
vs_assert_absent "$RULE"
vs_assert_absent "$CRON"
vs_try vs_run "$BIN --json recover"
VS_LAST_CMD="$BIN --json recover"
vs_assert_rc 0
vs_assert_stat "$RULE" '440 root root regular file' '%a %U %G %F'
vs_assert_stat "$CRON" '644 root root regular file' '%a %U %G %F'
vs_assert_contains "$(vs_run "cat $CRON")" "root $BIN --quiet cache repair" "$CRON after recover"
vs_assert_ok 'visudo -c' "visudo -c after recover"
may alice "$BIN cache clean --pip"
may_not alice "$BIN user add eve"

vs_step "a writable directory that setup does not manage: the rule is refused, the rest is done"
vs_reboot --wipe-data
vs_run "mkdir -p /data/system/config && printf '[layout]\ndata_root = \"/data/srv\"\n[recover]\nrequire_mount = false\n' > $CONF"
vs_run 'chmod 0775 /data'
vs_aicactl setup --init
vs_assert_rc 73 "setup below a group-writable /data"
vs_assert_contains "$VS_OUT$VS_ERR" "refusing to install a sudo rule for '/data/srv/system/bin/aicactl'" "setup output"
vs_assert_contains "$VS_OUT$VS_ERR" "'/data' is writable by group/other" "setup output"
vs_assert_absent "$RULE"
vs_assert_stat /data/srv/system/bin/aicactl '755 root root'
vs_assert_contains "$(vs_run "cat $CRON")" "root /data/srv/system/bin/aicactl --quiet disk check" "$CRON"
vs_aicactl doctor
vs_assert_rc 3 "doctor below a group-writable /data"
vs_assert_contains "$(grep '^✗ ' <<<"$VS_OUT")" "'/data' is writable by group/other" "✗ lines of doctor"
vs_run 'chmod 0755 /data'
vs_aicactl setup
vs_assert_rc 0 "setup once /data is no longer group-writable"
vs_assert_stat "$RULE" '440 root root'
vs_assert_contains "$(vs_run "cat $RULE")" "/data/srv/system/bin/aicactl cache clean --pip" "$RULE"
vs_pass
