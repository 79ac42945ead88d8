#!/usr/bin/env bash
# The Debian package in the virtual server, as an admin uses it: `dpkg -i` installs
# /usr/sbin/aicactl, the man page, the completion and the (not enabled) boot unit and changes
# nothing on /data or in what setup owns; `man aicactl`, `aicactl --version` and
# `aicactl setup --init` work; `dpkg --purge` removes the package's files and leaves /data
# (homes, the registry, the copy of the binary the boot unit runs) and setup's files alone.
# The .deb comes from the deb.package fixture (cpack) as $AICACTL_DEB.
source "$(dirname "$0")/lib/vserver.sh"
vs_main "$@"
command -v man >/dev/null || vs_skip "man (man-db) is not installed on the host"
[[ -f ${AICACTL_DEB:-} ]] || vs_fail "the package under test is missing: '${AICACTL_DEB:-}' (set AICACTL_DEB; ctest builds it in the deb.package fixture)"

vs_boot --no-install
vs_assert_fails 'command -v aicactl' "aicactl before the package is installed"
install -m 0644 "$AICACTL_DEB" "$VS_ROOT/tmp/aicactl.deb"
# What setup owns under /etc, none of which the package may create.
SETUP_FILES=(/etc/sudoers.d/aicactl /etc/profile.d/aicactl.sh /etc/systemd/system/aicactl-recover.service
  /etc/systemd/system/multi-user.target.wants/aicactl-recover.service /etc/cron.d/aicactl /etc/aicactl)

vs_step "dpkg -i changes nothing on /data and runs no setup"
vs_run 'echo keep > /data/admin-note'
vs_snapshot data_before_install /data
vs_try vs_run 'dpkg -i /tmp/aicactl.deb'
vs_assert_rc 0 "dpkg -i aicactl.deb"
vs_assert_contains "$VS_OUT" "aicactl setup --init" "the postinst's note"
vs_snapshot data_after_install /data
vs_assert_snapshot_same data_before_install data_after_install "/data after dpkg -i"
for f in "${SETUP_FILES[@]}"; do vs_assert_absent "$f"; done
vs_assert_eq "install ok installed" "$(vs_run "dpkg-query -W -f='\${Status}' aicactl")" "dpkg's status"

vs_step "the installed files"
vs_assert_eq /usr/sbin/aicactl "$(vs_run 'command -v aicactl')" "aicactl on root's PATH"
vs_assert_stat /usr/sbin/aicactl '755 root root regular file' '%a %U %G %F'
vs_assert_eq "$("$AICACTL_BIN" --version)" "$(vs_run 'aicactl --version')" "aicactl --version"
vs_assert_eq /usr/share/man/man8/aicactl.8.gz "$(vs_run 'man -w aicactl')" "man -w aicactl"
vs_assert_contains "$(vs_run 'MANPAGER=cat MANWIDTH=100 man aicactl 2>/dev/null')" "--dry-run" "man aicactl"
vs_assert_eq "_aicactl" \
  "$(vs_run "bash --norc -c 'source /usr/share/bash-completion/completions/aicactl && complete -p aicactl' | grep -o '_aicactl'")" \
  "the completion function bash registers for aicactl"
vs_assert_exists /lib/systemd/system/aicactl-recover.service
vs_assert_exists /usr/share/doc/aicactl/copyright
vs_assert_contains "$(vs_run 'cat /usr/share/doc/aicactl/examples/aicactl.toml')" 'data_root = "/data"' "the example config"
vs_assert_eq "libc6 (>= 2.36)" "$(vs_run "dpkg-query -W -f='\${Depends}' aicactl")" "Depends"

vs_step "aicactl setup --init, then a user with data"
vs_aicactl setup --init
vs_assert_rc 0 "aicactl setup --init from the package"
vs_aicactl user add alice
vs_assert_rc 0 "aicactl user add alice"
vs_assert_as_ok alice 'echo results > ~/results.txt' "alice writes into her home"
vs_aicactl doctor
vs_assert_rc 0 "aicactl doctor after setup"

vs_step "dpkg --purge leaves /data and setup's files alone"
vs_snapshot data_before_purge /data
vs_try vs_run 'dpkg --purge aicactl'
vs_assert_rc 0 "dpkg --purge aicactl"
vs_snapshot data_after_purge /data
vs_assert_snapshot_same data_before_purge data_after_purge "/data after dpkg --purge"
vs_assert_eq "keep" "$(vs_run 'cat /data/admin-note')" "the admin's file on /data"
vs_assert_eq "results" "$(vs_run 'cat /data/users/alice/results.txt')" "alice's file"
for f in /usr/sbin/aicactl /usr/share/man/man8/aicactl.8.gz /usr/share/bash-completion/completions/aicactl \
  /lib/systemd/system/aicactl-recover.service /usr/share/doc/aicactl; do
  vs_assert_absent "$f"
done
vs_assert_exists /etc/sudoers.d/aicactl
vs_assert_exists /etc/systemd/system/aicactl-recover.service
vs_assert_fails "dpkg-query -W -f='\${Status}' aicactl | grep -q installed" "dpkg's status after purge"
# The copy on /data (what the boot unit, sudoers and cron run) still works: nothing was lost.
vs_assert_ok '/data/system/bin/aicactl doctor' "doctor by the copy on /data after the purge"

vs_pass
