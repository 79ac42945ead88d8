#!/usr/bin/env bash
# The data volume's identity: every command that reads or writes /data refuses (exit 69, one
# line naming /data) when /data is not a mount point or not the volume aicactl set up, and
# changes nothing; doctor reports it as ✗ (exit 3). `setup --init` is the only way to adopt a
# new empty disk; plain `setup` adopts a layout from before stamps; a stamped disk survives a
# re-image (recover records its id on the root disk again).
source "$(dirname "$0")/lib/vserver.sh"
vs_main "$@"

STAMP=/data/system/volume-id
RECORD=/etc/aicactl/volume-id
# refused 'what' ARGS...: aicactl ARGS exits 69 with one line on stderr naming /data, and no stdout.
refused() {
  local what=$1
  shift
  vs_aicactl "$@"
  vs_assert_rc 69 "$what"
  vs_assert_contains "$VS_ERR" "'/data'" "stderr of $what"
  vs_assert_eq 1 "$(printf '%s\n' "$VS_ERR" | wc -l)" "lines on stderr of $what"
  vs_assert_eq "" "$VS_OUT" "stdout of $what"
}
everything_refused() {
  refused "setup" setup
  refused "user add" user add alice
  refused "user list" user list
  refused "user repair" user repair --all
  refused "disk check" disk check
  refused "disk usage" disk usage
  refused "cache repair" cache repair
  refused "cache clean" cache clean --all
  refused "acl backup" acl backup /root/acl.txt
  refused "recover" recover
  refused "--dry-run user add" --dry-run user add alice
  vs_aicactl doctor
  vs_assert_rc 3 "doctor"
  vs_assert_match "(^|"$'\n'")✗ '/data' is a mounted file system" "$VS_OUT" "doctor's first line"
  vs_aicactl --json doctor
  vs_assert_rc 3 "doctor --json"
  vs_assert_eq false "$(vs_json 'j["checks"][0]["ok"]')" "the volume check of doctor --json"
}

vs_boot --no-data
vs_step "/data is a plain directory on the root disk (the data disk did not mount)"
vs_snapshot before /etc /home /data /usr/etc /usr/local
everything_refused
refused "setup --init" setup --init
vs_assert_contains "$VS_ERR" "not a mounted file system" "why setup --init is refused"
vs_assert_eq "" "$(vs_run 'find /data -mindepth 1')" "entries under /data after the refused commands"
vs_assert_fails 'getent group gpu-users' "group gpu-users after the refused commands"
vs_snapshot after /etc /home /data /usr/etc /usr/local
vs_assert_snapshot_same before after "the refused commands on an unmounted /data"

vs_step "an empty file system mounted on /data"
vs_reboot
vs_snapshot before /etc /home /data /usr/etc /usr/local
everything_refused
vs_aicactl setup
vs_assert_contains "$VS_ERR" "setup --init" "what setup on an empty volume tells the admin"
vs_snapshot after /etc /home /data /usr/etc /usr/local
vs_assert_snapshot_same before after "the refused commands on an empty volume"

vs_step "--dry-run setup --init writes nothing; setup --init adopts the volume"
vs_aicactl --dry-run setup --init
vs_assert_rc 0 "--dry-run setup --init"
vs_assert_contains "$VS_OUT" "$STAMP" "--dry-run setup --init output"
vs_assert_absent "$STAMP"
vs_aicactl setup --init
vs_assert_rc 0 "setup --init"
vs_assert_stat "$STAMP" '644 root root'
vs_assert_stat "$RECORD" '644 root root'
id="$(vs_run "sed -n 's/^id=//p' $STAMP")"
vs_assert_match '^[0-9a-f]{32}$' "$id" "the id in $STAMP"
vs_assert_eq "$(vs_run "cat $STAMP")" "$(vs_run "cat $RECORD")" "$RECORD"
vs_aicactl setup
vs_assert_rc 0 "a second, plain setup"
vs_assert_contains "$VS_OUT" "0 changed" "a second, plain setup"
vs_aicactl doctor
vs_assert_rc 0 "doctor after setup --init"
vs_aicactl user add alice
vs_assert_rc 0 "user add on the stamped volume"

vs_step "re-image: only the stamp survives; recover records it again"
vs_reboot
vs_assert_absent "$RECORD"
vs_aicactl recover
vs_assert_rc 0 "recover after a re-image"
vs_assert_eq "$(vs_run "cat $STAMP")" "$(vs_run "cat $RECORD")" "$RECORD after recover"
vs_assert_ok 'id alice' "account alice after recover"

vs_step "another (empty, then stamped) disk mounted on /data while /etc survives"
vs_mount_tmpfs /data 'size=16m,mode=0755'
vs_snapshot before /etc /home /data /usr/etc /usr/local
everything_refused
refused "setup on another disk" setup
vs_run "mkdir -p /data/system && printf 'id=%s\n' ffffffffffffffffffffffffffffffff > $STAMP"
vs_aicactl user list
vs_assert_rc 69 "user list on another stamped disk"
vs_assert_contains "$VS_ERR" "another disk" "why user list is refused"
vs_assert_contains "$VS_ERR" "$id" "the refusal names the volume this server was set up on"
refused "setup on another stamped disk" setup
vs_aicactl setup --init
vs_assert_rc 0 "setup --init adopts the other disk on purpose"
vs_assert_eq "ffffffffffffffffffffffffffffffff" "$(vs_run "sed -n 's/^id=//p' $RECORD")" "$RECORD after setup --init"

vs_step "a layout from before volume stamps: plain setup adopts it, other commands ask for setup"
vs_reboot --wipe-data
vs_run 'mkdir -p /data/system/bin /data/system/config && cp '"$VS_BIN_INSIDE"' /data/system/bin/aicactl'
refused "user list on an unstamped layout" user list
vs_assert_contains "$VS_ERR" "run 'aicactl setup'" "what user list on an unstamped layout tells the admin"
vs_aicactl setup
vs_assert_rc 0 "plain setup on an unstamped layout"
vs_assert_contains "$VS_ERR" "adopting" "setup's notice"
vs_assert_exists "$STAMP"
vs_aicactl user list
vs_assert_rc 0 "user list after the layout was adopted"
vs_pass
