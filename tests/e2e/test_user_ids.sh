#!/usr/bin/env bash
# Users' ids and groups (issue 9, A.2, A.5, A.6, B.15): a removed user's uid and gid are never
# handed to the next user (the registry keeps removed users, and owners of files under
# /data/users count); a foreign-owned home is refused naming its owner, before any account is
# made; supplementary groups are regular groups unless --allow-group; user import reports every
# bad line before anything is created; an unknown -g group is bad input (65); user list --all
# and doctor show orphaned homes; an expired account is marked.
source "$(dirname "$0")/lib/vserver.sh"
vs_main "$@"

REG=/data/system/config/users.toml
vs_boot
vs_setup
vs_aicactl user add alice
vs_assert_rc 0 "user add alice"
vs_aicactl user add bob
vs_assert_rc 0 "user add bob"
bob_uid="$(vs_run 'id -u bob')"
bob_gid="$(vs_run 'id -g bob')"
vs_run 'su bob -c "umask 077; echo secret > /data/users/bob/private"'

vs_step "bob is removed, his home kept: carol never gets his ids"
vs_aicactl user remove bob
vs_assert_rc 0 "user remove bob"
vs_assert_contains "$(vs_run "cat $REG")" "[[removed]]" "the registry after user remove bob"
vs_assert_contains "$(vs_run "cat $REG")" "name = \"bob\"" "the registry keeps bob"
vs_aicactl user add carol
vs_assert_rc 0 "user add carol"
vs_assert_ne "$bob_uid" "$(vs_run 'id -u carol')" "carol's uid (bob's was $bob_uid)"
vs_assert_ne "$bob_gid" "$(vs_run 'id -g carol')" "carol's gid (bob's was $bob_gid)"
vs_assert_as_fails carol 'cat /data/users/bob/private' "carol reads bob's private file"
vs_assert_eq "$(vs_run 'id -u carol')" "$(vs_run 'id -g carol')" "carol's uid and gid (one id)"

vs_step "ids owned by files under /data/users are skipped too"
carol_uid="$(vs_run 'id -u carol')"
next=$((carol_uid + 1))
after=$((carol_uid + 2))
vs_run "mkdir /data/users/old-lab && chown $next:$next /data/users/old-lab && touch /data/users/old-lab/f && chown 0:$after /data/users/old-lab/f"
vs_aicactl user add dave
vs_assert_rc 0 "user add dave"
for id in "$next" "$after"; do
  vs_assert_ne "$id" "$(vs_run 'id -u dave')" "dave's uid (held by a file owner under /data/users)"
  vs_assert_ne "$id" "$(vs_run 'id -g dave')" "dave's gid (held by a file owner under /data/users)"
done

vs_step "user list --all and doctor show removed users and orphaned homes"
vs_aicactl user list --all
vs_assert_rc 0 "user list --all"
vs_assert_contains "$VS_OUT" "removed bob (uid $bob_uid" "user list --all"
vs_assert_contains "$VS_OUT" "Orphaned home '/data/users/bob'" "user list --all"
vs_assert_contains "$VS_OUT" "Orphaned home '/data/users/old-lab'" "user list --all"
vs_aicactl user list
vs_assert_not_contains "$VS_OUT" "Orphaned" "user list without --all"
vs_aicactl --json user list --all
vs_assert_eq '["/data/users/bob", "/data/users/old-lab"]' "$(vs_json '[h["path"] for h in j["orphaned_homes"]]')" "orphaned_homes in --json"
vs_assert_eq '["bob"]' "$(vs_json '[r["name"] for r in j["removed"]]')" "removed in --json"
vs_aicactl doctor
vs_assert_rc 0 "doctor with orphaned homes (a note, not a failure)"
vs_assert_contains "$VS_OUT" "! Orphaned home '/data/users/bob'" "doctor's notes"

vs_step "recover does not bring a removed user back"
vs_reboot
vs_aicactl recover
vs_assert_rc 0 "recover"
vs_assert_fails 'id bob' "account bob after recover"
vs_assert_ok 'id carol' "account carol after recover"

vs_step "a home owned by someone else is refused before any account is made"
vs_run 'mkdir -m 0700 /data/users/erin && chown 1234:1234 /data/users/erin'
vs_snapshot before /etc /data /home
vs_aicactl user add erin
vs_assert_rc 73 "user add erin with a foreign-owned home"
vs_assert_contains "$VS_ERR" "uid 1234" "the refusal names the owner"
vs_assert_fails 'id erin' "account erin after the refusal"
vs_assert_absent /data/users/erin/.condarc
vs_snapshot after /etc /data /home
vs_assert_snapshot_same before after "the refused user add erin"
vs_aicactl user add erin --uid 1234
vs_assert_rc 0 "user add erin --uid 1234 (the same person: her old uid)"

vs_step "supplementary groups: system groups need --allow-group, unknown ones are bad input"
vs_snapshot before /etc /data /home
vs_aicactl user add frank -g sudo
vs_assert_rc 65 "user add frank -g sudo"
vs_assert_contains "$VS_ERR" "--allow-group sudo" "the refusal says how to allow it"
vs_aicactl user add frank -g no-such-group
vs_assert_rc 65 "user add frank -g no-such-group"
vs_assert_contains "$VS_ERR" "no-such-group" "the refusal names the group"
vs_snapshot after /etc /data /home
vs_assert_snapshot_same before after "the refused user adds"
vs_aicactl user add frank -g sudo --allow-group sudo
vs_assert_rc 0 "user add frank -g sudo --allow-group sudo"
vs_assert_match '(^| )sudo( |$)' "$(vs_run 'id -Gn frank')" "frank's groups"

vs_step "user import reports every bad line and creates nothing"
vs_run 'groupadd lab && printf "# old server\ngil:lab\nhal:sudo\nivy:root\n:gpu-users\ngil\njon:nosuch\nkim:lab\n" > /root/users.txt'
vs_snapshot before /etc /data /home
vs_aicactl user import /root/users.txt
vs_assert_rc 65 "user import with bad lines"
for n in 3 4 5 6 7; do
  vs_assert_contains "$VS_ERR" "line $n:" "the report of bad lines"
done
vs_assert_not_contains "$VS_ERR" "line 2:" "the report of bad lines (line 2 is good)"
vs_assert_not_contains "$VS_ERR" "line 8:" "the report of bad lines (line 8 is good)"
vs_assert_absent /home/gpu-users
vs_snapshot after /etc /data /home
vs_assert_snapshot_same before after "the refused import"
vs_run 'printf "gil:lab\nhal:sudo\nkim:lab,gil\n" > /root/users.txt'
vs_aicactl user import /root/users.txt --allow-group sudo
vs_assert_rc 0 "user import --allow-group sudo"
vs_assert_match '(^| )sudo( |$)' "$(vs_run 'id -Gn hal')" "hal's groups"
vs_assert_match '(^| )gil( |$)' "$(vs_run 'id -Gn kim')" "kim's groups (gil's own group, made by an earlier line)"

vs_step "an expired account is marked in user list and doctor"
vs_aicactl user add lou --expires 2001-01-01
vs_assert_rc 0 "user add lou --expires 2001-01-01"
vs_aicactl user list
vs_assert_match 'lou .*expired 2001-01-01' "$VS_OUT" "user list"
vs_aicactl --json user list
vs_assert_eq true "$(vs_json '[u["expired"] for u in j["users"] if u["name"] == "lou"][0]')" "expired in --json"
vs_assert_eq false "$(vs_json '[u["expired"] for u in j["users"] if u["name"] == "alice"][0]')" "alice's expired in --json"
vs_aicactl doctor
vs_assert_contains "$VS_OUT" "! User 'lou' expired on 2001-01-01" "doctor's notes"
vs_pass
