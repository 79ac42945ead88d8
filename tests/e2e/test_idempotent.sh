#!/usr/bin/env bash
# A second (and third) setup on a correct server changes nothing, not even a ctime, and says
# so: summary.changed == 0 in --json, "0 changed, ..." in text.
source "$(dirname "$0")/lib/vserver.sh"
vs_main "$@"

vs_boot
vs_step "first setup"
vs_aicactl --json setup --init
vs_assert_rc 0
vs_assert_ne 0 "$(vs_json 'j["summary"]["changed"]')" "summary.changed of the first setup"
vs_assert_eq 0 "$(vs_json 'j["summary"]["failed"]')" "summary.failed of the first setup"
vs_snapshot first

vs_step "second setup (--json)"
sleep 0.05
vs_aicactl --json setup
vs_assert_rc 0
vs_assert_eq 0 "$(vs_json 'j["summary"]["changed"]')" "summary.changed of the second setup"
vs_assert_eq 0 "$(vs_json 'j["summary"]["failed"]')" "summary.failed of the second setup"
vs_assert_eq '[]' "$(vs_json 'sorted(set(a["status"] for a in j["actions"]) - {"ok"})')" "statuses other than ok in the second setup"
vs_snapshot second
vs_assert_snapshot_same first second "a second setup"

vs_step "third setup (text)"
vs_aicactl setup
vs_assert_rc 0
vs_assert_match '^0 changed, [0-9]+ ok, 0 failed$' "$(tail -n 1 <<<"$VS_OUT")" "last line of a third setup"
vs_assert_eq "" "$(grep -E '^(Created|Set|Wrote|Updated|Changed|Installed)' <<<"$VS_OUT" || true)" "change lines in a third setup"
vs_snapshot third
vs_assert_snapshot_same first third "a third setup"

vs_step "after a reboot (pristine /etc, same /data) setup restores /etc and leaves /data alone"
vs_snapshot --no-times data_before /data
vs_reboot
vs_aicactl setup
vs_assert_rc 0
vs_snapshot --no-times data_after /data
vs_assert_snapshot_same data_before data_after "/data after reboot + setup"
vs_assert_exists /etc/profile.d/aicactl.sh
vs_snapshot after_reboot
vs_aicactl --json setup
vs_assert_rc 0
vs_assert_eq 0 "$(vs_json 'j["summary"]["changed"]')" "summary.changed of setup after reboot + setup"
vs_snapshot after_reboot2
vs_assert_snapshot_same after_reboot after_reboot2 "setup after reboot + setup"
vs_pass
