#!/usr/bin/env bash
# Rootless-Docker sub-id ranges (issue 11 item 4, issue 15 leftovers): docker enable gives a
# 65,536-id range in /etc/subuid and /etc/subgid that overlaps no line and keeps other tools'
# lines verbatim; an owner is matched whole (a uid that is a substring of another user's line,
# the 'alice:231000:65536 with uid 1000' trap, is not that line's owner); an existing line that
# overlaps another is refused (65, nothing changed); doctor reports overlaps and missing ranges;
# user repair and recover write the recorded range again, identical; docker enable --self works
# through the pinned sudo rule; user list shows a half-written account as doctor does.
source "$(dirname "$0")/lib/vserver.sh"
vs_main "$@"

REG=/data/system/config/users.toml
BIN=/data/system/bin/aicactl
files() { vs_run 'cat /etc/subuid; echo ---; cat /etc/subgid'; }

vs_boot
vs_setup
vs_aicactl user add bob
vs_assert_rc 0 "user add bob"
vs_aicactl user add carol
vs_assert_rc 0 "user add carol"
vs_aicactl user add dave
vs_assert_rc 0 "user add dave"
B="$(vs_run 'id -u bob')"
# Lines of other tools, one of them containing bob's uid as a substring (alice is no account).
others="# podman ranges
lxd:1000000:1000000000
alice:23$B:65536"
vs_run "printf '%s\n' '$others' > /etc/subuid && printf '%s\n' '$others' > /etc/subgid"

vs_step "docker enable: a free range, other lines kept, the substring trap avoided"
vs_aicactl docker enable bob
vs_assert_rc 0 "docker enable bob"
vs_assert_eq "$others
bob:131072:65536
---
$others
bob:131072:65536" "$(files)" "the sub-id files"
vs_assert_contains "$(vs_run "cat $REG")" $'subid_start = 131072\nsubid_count = 65536' "the registry"
vs_aicactl docker enable bob
vs_assert_rc 0 "docker enable bob again"
vs_assert_eq 0 "$(vs_try vs_run 'aicactl --json docker enable bob'; vs_json 'j["summary"]["changed"]')" "changes on a re-run"

vs_step "an existing line that overlaps another owner's is refused, nothing changed"
vs_run "echo carol:23$((B + 1)):65536 >> /etc/subuid && echo carol:23$((B + 1)):65536 >> /etc/subgid"
before="$(files)"
reg_before="$(vs_run "cat $REG")"
vs_aicactl docker enable carol
vs_assert_rc 65 "docker enable carol (overlapping alice)"
vs_assert_contains "$VS_ERR" "overlaps" "the refusal"
vs_assert_eq "$before" "$(files)" "the sub-id files after the refusal"
vs_assert_eq "$reg_before" "$(vs_run "cat $REG")" "the registry after the refusal"

vs_step "doctor reports the overlap, then a missing registered range; user repair completes it"
vs_aicactl doctor
vs_assert_rc 3 "doctor with overlapping lines"
vs_assert_match "✗ no two owners' ranges overlap in '/etc/subuid'" "$VS_OUT" "doctor"
vs_run "sed -i '/^carol:/d' /etc/subuid /etc/subgid && sed -i '/^bob:/d' /etc/subgid"
vs_aicactl doctor
vs_assert_rc 3 "doctor with bob's subgid line missing"
vs_assert_match "✗ every registered rootless-Docker range is in '/etc/subgid'" "$VS_OUT" "doctor"
vs_aicactl user repair bob
vs_assert_rc 0 "user repair bob"
vs_assert_contains "$(vs_run 'cat /etc/subgid')" "bob:131072:65536" "subgid after user repair"
vs_aicactl doctor
vs_assert_not_contains "$VS_OUT" "✗" "doctor after user repair"

vs_step "recover after a re-image writes the identical range"
vs_reboot
vs_aicactl recover
vs_assert_rc 0 "recover"
vs_assert_contains "$(vs_run 'cat /etc/subuid')" "bob:131072:65536" "subuid after recover"
vs_assert_contains "$(vs_run 'cat /etc/subgid')" "bob:131072:65536" "subgid after recover"

vs_step "docker enable --self through the pinned sudo rule; any other form is refused"
vs_try vs_as dave "sudo -n $BIN docker enable --self"
vs_assert_rc 0 "dave: sudo docker enable --self"
vs_assert_match '^dave:[0-9]+:65536$' "$(vs_run 'grep ^dave: /etc/subuid')" "dave's line"
vs_try vs_as dave "sudo -n $BIN docker enable carol"
vs_assert_ne 0 "$VS_RC" "dave: sudo docker enable carol"
vs_assert_absent_line() { vs_assert_eq "" "$(vs_run "grep ^carol: /etc/subuid || true")" "carol's line"; }
vs_assert_absent_line

vs_step "docker disable removes only that user's lines"
vs_aicactl docker disable bob
vs_assert_rc 0 "docker disable bob"
vs_assert_eq "" "$(vs_run 'grep ^bob: /etc/subuid /etc/subgid || true')" "bob's lines"
vs_assert_match "^dave:[0-9]+:65536$" "$(vs_run "cat /etc/subuid")" "dave's line is kept"

vs_step "user list shows a half-written account as doctor does"
vs_run "sed -i '/^carol:/d' /etc/gshadow"
vs_aicactl --json user list
vs_assert_eq false "$(vs_json '[u["account"] for u in j["users"] if u["name"] == "carol"][0]')" "carol's account in user list"
vs_aicactl doctor
vs_assert_match "✗ account 'carol' is whole" "$VS_OUT" "doctor"

vs_pass
