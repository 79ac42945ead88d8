#!/usr/bin/env bash
# The boot unit that setup installs (and recover restores) is the one in the repository, and
# systemd accepts it: `systemd-analyze verify` (no running systemd needed) reports no error and
# no warning, systemctl sees it enabled (multi-user.target.wants), and its ExecStart, the
# binary on /data, exists. Checked after setup and after a re-image + recover where only
# /data/system/bin/aicactl exists.
source "$(dirname "$0")/lib/vserver.sh"
vs_main "$@"
command -v systemd-analyze >/dev/null || vs_skip "systemd-analyze is not installed on the host (package systemd)"
command -v systemctl >/dev/null || vs_skip "systemctl is not installed on the host (package systemd)"

UNIT=/etc/systemd/system/aicactl-recover.service
REPO_UNIT="$VS_E2E_DIR/../../systemd/aicactl-recover.service"
[[ -f $REPO_UNIT ]] || vs_fail "the repository's unit is missing: $REPO_UNIT"

# check_unit 'when': the installed unit equals the repository's, verifies cleanly and is enabled.
check_unit() {
  local when=$1
  vs_assert_stat "$UNIT" '644 root root regular file' '%a %U %G %F'
  vs_assert_same_text "$UNIT $when vs. systemd/aicactl-recover.service" "$(cat "$REPO_UNIT")" "$(vs_run "cat $UNIT")"
  # --man=no: Documentation=man:aicactl(8) needs the man page, which `cmake --install` puts in
  # /usr/local/share/man (not on this image); checked separately below.
  vs_try vs_run "systemd-analyze --man=no verify $UNIT"
  VS_LAST_CMD="systemd-analyze --man=no verify $UNIT ($when)"
  vs_assert_rc 0
  vs_assert_eq "" "$VS_ERR$VS_OUT" "output of systemd-analyze verify $when (warnings)"
  vs_try vs_run 'systemctl --root=/ is-enabled aicactl-recover.service'
  VS_LAST_CMD="systemctl --root=/ is-enabled aicactl-recover.service ($when)"
  vs_assert_rc 0
  vs_assert_eq enabled "$VS_OUT" "systemctl is-enabled $when"
}

vs_boot
vs_step "setup installs the unit"
vs_setup
check_unit "after setup"

vs_step "verify does catch problems (a unit whose ExecStart is missing)"
vs_run 'mv /data/system/bin/aicactl /root/aicactl.aside'
vs_try vs_run "systemd-analyze --man=no verify $UNIT"
vs_assert_ne 0 "$VS_RC" "systemd-analyze verify with /data/system/bin/aicactl missing"
vs_run 'mv /root/aicactl.aside /data/system/bin/aicactl'

vs_step "with the man page installed (as cmake --install does), the full verify passes"
man_page="$(dirname "$AICACTL_BIN")/aicactl.8"
if [[ -f $man_page ]]; then
  # Through the server's /run (a tmpfs of the harness): a path on the image is resolved inside.
  cp -- "$man_page" "$VS_ROOT/run/aicactl.8"
  vs_run 'install -D -m 0644 /run/aicactl.8 /usr/local/share/man/man8/aicactl.8 && rm /run/aicactl.8'
  vs_try vs_run "systemd-analyze verify $UNIT"
  VS_LAST_CMD="systemd-analyze verify $UNIT (man page installed)"
  vs_assert_rc 0
  vs_assert_eq "" "$VS_ERR$VS_OUT" "output of systemd-analyze verify (man page installed)"
else
  vs_log "no built man page next to the binary ($man_page): full verify not checked"
fi

vs_step "after a re-image (nothing installed) and recover"
vs_reboot --no-install
vs_assert_absent "$UNIT"
vs_try vs_run '/data/system/bin/aicactl recover'
VS_LAST_CMD='/data/system/bin/aicactl recover'
vs_assert_rc 0
check_unit "after recover"
vs_pass
