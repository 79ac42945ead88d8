#!/usr/bin/env bash
# doctor reports every invariant: all ✓ and exit 0 after setup; a removed default ACL on a
# cache gives a ✗ line naming it, exit 3 and ok=false in --json; setup repairs it.
source "$(dirname "$0")/lib/vserver.sh"
vs_main "$@"

vs_boot
vs_step "doctor on a fresh server finds problems"
vs_aicactl doctor
vs_assert_rc 3 "doctor before setup"
vs_assert_match '(^|'$'\n'')✗ ' "$VS_OUT" "doctor before setup prints ✗ lines"

vs_setup
vs_step "doctor after setup"
vs_aicactl doctor
vs_assert_rc 0 "doctor after setup"
vs_assert_match '(^|'$'\n'')✓ ' "$VS_OUT" "doctor output"
vs_assert_not_contains "$VS_OUT" "✗" "doctor output after setup"
bad="$(grep -vE '^(✓|✗) |^$' <<<"$VS_OUT" || true)"
vs_assert_eq "" "$bad" "doctor stdout lines that are not ✓/✗ lines"
vs_aicactl doctor --json
vs_assert_rc 0 "doctor --json after setup"
vs_assert_eq true "$(vs_json 'j["ok"]')" "doctor --json ok after setup"
vs_assert_eq true "$(vs_json 'all(c["ok"] for c in j["checks"])')" "all checks ok after setup"
vs_assert_ne 0 "$(vs_json 'len(j["checks"])')" "number of checks"

vs_step "remove the default ACL of /data/cache/pip"
vs_run 'setfacl -k /data/cache/pip'
vs_snapshot broken
vs_aicactl doctor
vs_assert_rc 3 "doctor with a missing default ACL"
bad_lines="$(grep '^✗ ' <<<"$VS_OUT" || true)"
vs_assert_contains "$bad_lines" "/data/cache/pip" "✗ lines of doctor"
vs_assert_not_contains "$bad_lines" "/data/cache/uv" "✗ lines of doctor (only pip is broken)"
vs_aicactl --json doctor
vs_assert_rc 3 "doctor --json with a missing default ACL"
vs_assert_eq false "$(vs_json 'j["ok"]')" "doctor --json ok"
vs_assert_contains "$(vs_json '[c for c in j["checks"] if not c["ok"]]')" "/data/cache/pip" "failed checks in doctor --json"
vs_snapshot broken_after_doctor
vs_assert_snapshot_same broken broken_after_doctor "doctor is read-only"

vs_step "setup repairs it"
vs_aicactl setup
vs_assert_rc 0 "setup after the ACL was removed"
vs_assert_contains "$VS_OUT" "/data/cache/pip" "setup output names what it repaired"
vs_assert_acl_has /data/cache/pip default:group:gpu-users:rwx
vs_aicactl doctor
vs_assert_rc 0 "doctor after setup repaired the ACL"
vs_aicactl --json doctor
vs_assert_eq true "$(vs_json 'j["ok"]')" "doctor --json ok after repair"

vs_step "a gpu-users member may run doctor"
vs_run 'useradd -m -G gpu-users alice'
vs_try vs_as alice '/data/system/bin/aicactl doctor'
vs_assert_match '^(0|3|77)$' "$VS_RC" "doctor as a non-root user exits 0, 3 or 77 (needs root)"
vs_pass
