#!/usr/bin/env bash
# `--dry-run setup` on a fresh server prints what it would do ("Would ...") and changes
# nothing: no group, no file, no owner/mode/ACL/ctime change under /etc, /data, /home. A
# hand-edited managed file is named as kept, and setup keeps it as FILE.aicactl-old.
source "$(dirname "$0")/lib/vserver.sh"
vs_main "$@"

vs_boot
vs_snapshot before
vs_step "aicactl --dry-run setup"
vs_aicactl --dry-run setup
vs_assert_rc 0
text_out="$VS_OUT"
vs_assert_match '(^|'$'\n'')Would ' "$text_out" "dry-run output"
summary="$(tail -n 1 <<<"$text_out")"
bad="$(sed '$d' <<<"$text_out" | grep -vE '^Would ' || true)"
vs_assert_eq "" "$bad" "dry-run stdout lines (but the last) that do not start with 'Would '"
vs_assert_contains "$text_out" "/data/cache/pip" "dry-run output"
vs_assert_contains "$text_out" "gpu-users" "dry-run output (the group it would create)"
# The contract's last line is "N changed, M ok, K failed"; a dry run may say "N to change, M ok".
vs_assert_match '^(0 changed, [0-9]+ ok, 0 failed|[0-9]+ to change, [0-9]+ ok(, 0 failed)?)$' "$summary" \
  "last line of --dry-run setup"
if [[ $summary =~ ^([0-9]+)\ to\ change ]]; then
  vs_assert_eq "${BASH_REMATCH[1]}" "$(grep -c '^Would ' <<<"$text_out")" "'N to change' vs the number of 'Would' lines"
fi

vs_step "aicactl --dry-run --json setup"
vs_aicactl --dry-run --json setup
vs_assert_rc 0
vs_assert_eq true "$(vs_json 'j["dry_run"]')" "dry_run in --json"
vs_assert_eq 0 "$(vs_json 'j["summary"]["changed"]')" "summary.changed with --dry-run"
vs_assert_eq '["planned"]' "$(vs_json 'sorted(set(a["status"] for a in j["actions"]))')" "statuses of actions with --dry-run"
vs_assert_ne 0 "$(vs_json 'len(j["actions"])')" "number of planned actions on a fresh server"

vs_step "nothing changed"
vs_snapshot after
vs_assert_snapshot_same before after "/etc /data /home /usr/etc after --dry-run setup"
vs_assert_fails 'getent group gpu-users' "group gpu-users after --dry-run"
vs_assert_absent /data/system/bin/aicactl
vs_assert_absent /etc/profile.d/aicactl.sh

vs_step "dry-run on a set-up server with one thing broken plans only that"
vs_setup
vs_run 'chmod 0700 /data/cache/uv'
vs_snapshot before2
vs_aicactl --dry-run setup
vs_assert_rc 0
vs_assert_contains "$VS_OUT" "/data/cache/uv" "dry-run after breaking /data/cache/uv"
vs_assert_not_contains "$VS_OUT" "/data/cache/pip" "dry-run after breaking only /data/cache/uv"
vs_snapshot after2
vs_assert_snapshot_same before2 after2 "--dry-run setup on a set-up server"

vs_step "a hand-edited managed file: the dry run says it keeps the edit, setup keeps it as FILE.aicactl-old"
vs_setup
vs_run 'echo "# local edit" >> /etc/cron.d/aicactl; echo "# local edit" >> /etc/profile.d/aicactl.sh'
edited="$(vs_run 'cat /etc/cron.d/aicactl')"
vs_snapshot before3
vs_aicactl --dry-run setup
vs_assert_rc 0
vs_assert_contains "$VS_OUT" "Would update '/etc/cron.d/aicactl' (0644), keeping the edited file as '/etc/cron.d/aicactl.aicactl-old'" "dry-run after editing the cron file"
vs_assert_contains "$VS_OUT" "keeping the edited file as '/etc/profile.d/aicactl.sh.aicactl-old'" "dry-run after editing the profile script"
vs_snapshot after3
vs_assert_snapshot_same before3 after3 "--dry-run setup with edited managed files"
vs_setup
vs_assert_eq "$edited" "$(vs_run 'cat /etc/cron.d/aicactl.aicactl-old')" "the kept copy of the edited cron file"
vs_assert_stat /etc/cron.d/aicactl.aicactl-old '600 root root'
vs_assert_not_contains "$(vs_run 'cat /etc/cron.d/aicactl')" "# local edit" "the cron file after setup"
vs_assert_not_contains "$(vs_run 'cat /etc/profile.d/aicactl.sh')" "# local edit" "the profile script after setup"
vs_aicactl setup
vs_assert_rc 0
vs_assert_match "^0 changed" "$(tail -n 1 <<<"$VS_OUT")" "a second setup after the edit"
vs_pass
