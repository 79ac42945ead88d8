#!/usr/bin/env bash
# On a server where setup, user add (a new account, one with an extra group and an expiry
# date, an adopted account with a real home that gets migrated), user repair --all and recover
# have run, running all of them again changes nothing, not even a ctime, and says so
# (summary.changed == 0 in --json, "0 changed" in text).
source "$(dirname "$0")/lib/vserver.sh"
vs_main "$@"

# again 'what' ARGS...: `aicactl --json ARGS...` must exit 0 and report 0 changed, 0 failed.
again() {
  local what=$1
  shift
  vs_aicactl --json "$@"
  vs_assert_rc 0 "$what"
  vs_assert_eq 0 "$(vs_json 'j["summary"]["changed"]')" "summary.changed of $what"
  vs_assert_eq 0 "$(vs_json 'j["summary"]["failed"]')" "summary.failed of $what"
  vs_assert_eq '[]' "$(vs_json 'sorted(set(a["status"] for a in j["actions"]) - {"ok"})')" "statuses other than ok in $what"
}

vs_boot
vs_step "first pass"
vs_run 'groupadd -g 3000 lab'
vs_setup
vs_run 'useradd -m -s /bin/bash -G gpu-users carol && su - carol -c "echo c > notes.txt"'
for args in "alice" "bob -g lab --expires 2099-12-31" "carol"; do
  # shellcheck disable=SC2086  # word splitting wanted
  vs_aicactl user add $args
  vs_assert_rc 0
done
vs_assert_stat /home/carol 'symbolic link' '%F'
vs_aicactl user repair --all
vs_assert_rc 0
vs_aicactl recover
vs_assert_rc 0
vs_assert_as_ok carol 'test "$(cat notes.txt)" = c' "carol's file after the first pass"
vs_snapshot first
shadow_first="$(vs_run 'cat /etc/passwd /etc/group /etc/shadow /etc/gshadow')"
sleep 0.05

vs_step "second pass (--json): nothing changes"
again "setup (again)" setup
again "user add alice (again)" user add alice
again "user add bob -g lab --expires 2099-12-31 (again)" user add bob -g lab --expires 2099-12-31
again "user add bob (again, no options)" user add bob
again "user add carol (again)" user add carol
again "user repair --all (again)" user repair --all
again "user repair alice bob carol (again)" user repair alice bob carol
again "recover (again)" recover
vs_snapshot second
vs_assert_snapshot_same first second "the second pass"
vs_assert_same_text "/etc/passwd, group, shadow, gshadow after the second pass" "$shadow_first" \
  "$(vs_run 'cat /etc/passwd /etc/group /etc/shadow /etc/gshadow')"

vs_step "third pass (text)"
for cmd in setup "user add alice" "user add carol" "user repair --all" recover; do
  # shellcheck disable=SC2086
  vs_aicactl $cmd
  vs_assert_rc 0
  vs_assert_match '^0 changed, [0-9]+ ok, 0 failed$' "$(grep -E '^[0-9]+ changed, ' <<<"$VS_OUT" | tail -n 1)" "summary line of $cmd (third pass)"
done
vs_snapshot third
vs_assert_snapshot_same first third "the third pass"

vs_step "the registry is as the first pass left it"
vs_aicactl --json user list
vs_assert_rc 0
vs_assert_eq '["alice", "bob", "carol"]' "$(vs_json 'sorted(u["name"] for u in j["users"])')" "users in user list"
vs_assert_eq 2099-12-31 "$(vs_json '[u for u in j["users"] if u["name"] == "bob"][0]["expires"]')" "bob's expiry in user list"
vs_assert_eq '["gpu-users", "lab"]' "$(vs_json 'sorted([u for u in j["users"] if u["name"] == "bob"][0]["groups"])')" "bob's groups in user list"
vs_assert_eq '[true]' "$(vs_json 'sorted(set(u[k] for u in j["users"] for k in ("account", "same_uid", "link", "home_owner")))')" "account, same_uid, link, home_owner of every user"
vs_pass
