#!/usr/bin/env bash
# Account expiry (issue 11, items 1 and 2) with the test clock AICACTL_TEST_NOW: the date is on
# the registry and on the shadow entry (chage -E) and comes back after a re-image; user set
# refuses bad input with 65 and changes nothing; user expire sends each notice once (login line,
# the user's terminals; state on /data) across re-runs and a reboot; at expiry it revokes the
# group, locks and expires the account, and ends a login shell and a background process that
# ignore SIGTERM (which a kill-user style SIGTERM leaves running); [lifecycle] keep is left alone.
source "$(dirname "$0")/lib/vserver.sh"
vs_main "$@"

CONF=/data/system/config/aicactl.toml
REG=/data/system/config/users.toml
NOTICES=/data/system/state/expiry-notices
PROFILE=/etc/profile.d/aicactl-expiry.sh
at() { date -u -d "$1 12:00" +%s; }
day_number() { echo $(($(date -u -d "$1" +%s) / 86400)); }
shadow_field() { vs_run "getent shadow $1 | cut -d: -f$2"; }
expire_at() { # expire_at DATE [ARGS...]: user expire --json with the clock at noon on DATE
  local when=$1
  shift
  vs_try vs_run "AICACTL_TEST_NOW=$(at "$when") aicactl --json user expire $*"
}
kinds() { vs_json '" ".join(sorted(a["kind"] for a in j["actions"]))'; }

vs_boot
vs_setup
vs_run "printf '\n[lifecycle]\ngrace_seconds = 1\nkeep = [\"prof\"]\n' >> $CONF"
vs_aicactl config show
vs_assert_rc 0 "config show with a [lifecycle] section"

vs_step "the expiry date is on the registry and on the shadow entry"
vs_aicactl user add alice --expires 2030-01-15
vs_assert_rc 0 "user add alice --expires 2030-01-15"
vs_aicactl user add prof --expires 2030-01-15
vs_assert_rc 0 "user add prof"
vs_aicactl user add bob
vs_assert_rc 0 "user add bob"
vs_assert_eq "$(day_number 2030-01-15)" "$(shadow_field alice 8)" "alice's shadow expire field"

vs_step "user set: bad input is one line, exit 65 or 64, nothing changed"
before="$(vs_run "cat $REG")"
for args in "alice --expires 2020-01-01" "alice --expires 2030-02-30x" "alice --expires tomorrow" \
  "ghost --expires 2031-01-01" "alice --email 'x@y z'" "alice --term ../x"; do
  vs_try vs_run "aicactl user set $args"
  vs_assert_rc 65 "user set $args"
  vs_assert_eq 1 "$(wc -l <<<"$VS_ERR")" "lines on stderr of user set $args"
done
vs_assert_contains "$(vs_run 'aicactl user set alice --expires 2020-01-01' 2>&1 || true)" "is in the past" "a past date"
vs_aicactl user set alice
vs_assert_rc 64 "user set without a setting"
vs_assert_eq "$before" "$(vs_run "cat $REG")" "the registry after refused user set"
vs_assert_eq "$(day_number 2030-01-15)" "$(shadow_field alice 8)" "alice's shadow expiry after refused user set"

vs_step "user set changes the registry and the account (as chage -E)"
vs_aicactl user set alice --expires 2030-02-01 --email alice@lab.example.org --term 2029-fall
vs_assert_rc 0 "user set alice"
vs_assert_eq "$(day_number 2030-02-01)" "$(shadow_field alice 8)" "shadow expire after user set"
vs_aicactl user set bob --expires never
vs_assert_rc 0 "user set bob --expires never"
vs_aicactl user set alice --expires 2030-01-15
vs_assert_rc 0 "user set alice back"
vs_assert_eq "$(day_number 2030-01-15)" "$(shadow_field alice 8)" "shadow expire set back"
vs_try vs_run "AICACTL_TEST_NOW=$(at 2030-01-01) aicactl --json user list"
vs_assert_eq 14 "$(vs_json '[u["days_left"] for u in j["users"] if u["name"] == "alice"][0]')" "alice's days_left"
vs_assert_eq alice@lab.example.org "$(vs_json '[u["email"] for u in j["users"] if u["name"] == "alice"][0]')" "email"
vs_assert_eq 2029-fall "$(vs_json '[u["term"] for u in j["users"] if u["name"] == "alice"][0]')" "term"
vs_assert_eq null "$(vs_json '[u["days_left"] for u in j["users"] if u["name"] == "bob"][0]')" "bob never expires"
vs_try vs_run "AICACTL_TEST_NOW=$(at 2030-01-01) aicactl user list"
vs_assert_match 'alice .*expires 2030-01-15 \(14 days left\)' "$VS_OUT" "user list"

vs_step "14 days before: one notice (login line), kept users left alone, state on /data"
expire_at 2030-01-01
vs_assert_rc 0 "user expire (14 days before)"
vs_assert_eq "notice-login record-notices" "$(kinds)" "actions"
vs_assert_contains "$VS_OUT" "Left 'prof' alone: in [lifecycle] keep" "notes"
vs_assert_contains "$(vs_run "cat $NOTICES")" "alice 2030-01-15 14" "$NOTICES"
vs_assert_contains "$(vs_as alice true 2>&1)" "aicactl: your account expires on 2030-01-15" "alice's login"
vs_assert_not_contains "$(vs_as bob true 2>&1)" "expires" "bob's login"
expire_at 2030-01-01
vs_assert_eq "" "$(kinds)" "a re-run the same day"
expire_at 2030-01-03
vs_assert_eq "" "$(kinds)" "two days later (the 14-day notice went out)"

vs_step "after a re-image: the date is back on the account and no notice is repeated or lost"
vs_reboot
vs_aicactl recover
vs_assert_rc 0 "recover"
vs_run 'echo alice:Secret-pw-1 | chpasswd && echo prof:Secret-pw-2 | chpasswd'
vs_assert_eq "$(day_number 2030-01-15)" "$(shadow_field alice 8)" "alice's shadow expiry after recover"
expire_at 2030-01-04
vs_assert_eq "notice-login" "$(kinds)" "the login line comes back, nothing is sent again"
vs_assert_eq 1 "$(vs_run "grep -c '^alice ' $NOTICES")" "notices recorded"

vs_step "7 days before: the notice reaches alice's open terminal, once"
vs_run "mkfifo /tmp/in && (sleep 30 > /tmp/in &) && (script -qfc 'su - alice' /tmp/alice.tty < /tmp/in > /dev/null 2>&1 &)
  for i in \$(seq 1 100); do grep -q 'alice@' /tmp/alice.tty 2>/dev/null && break; sleep 0.2; done
  AICACTL_TEST_NOW=$(at 2030-01-08) aicactl --json user expire > /tmp/expire.json
  for i in \$(seq 1 50); do grep -q 'in 7 days' /tmp/alice.tty && break; sleep 0.2; done"
vs_try vs_run 'cat /tmp/expire.json'
vs_assert_eq "notice-tty record-notices" "$(kinds)" "actions on the 7-day notice"
vs_assert_contains "$(vs_run 'cat /tmp/alice.tty')" "expires on 2030-01-15 (in 7 days)" "alice's terminal"
expire_at 2030-01-09
vs_assert_eq "" "$(kinds)" "the day after"

vs_step "at expiry: SIGTERM alone leaves alice's login shell and job running, user expire ends them"
vs_try vs_run "mkfifo /tmp/in2 && (sleep 60 > /tmp/in2 &) && (script -qfc 'su - alice' /tmp/alice2.tty < /tmp/in2 > /dev/null 2>&1 &)
  (su alice -c 'trap \"\" TERM; exec sleep 300' &)
  for i in \$(seq 1 100); do [ \$(pgrep -u alice | wc -l) -ge 2 ] && grep -q 'alice@' /tmp/alice2.tty && break; sleep 0.2; done
  pkill -TERM -u alice; sleep 0.5
  echo after-term=\$(pgrep -u alice | wc -l)
  AICACTL_TEST_NOW=$(at 2030-01-15) aicactl --json user expire > /tmp/expire.json; echo rc=\$?
  echo after-expire=\$(pgrep -u alice | wc -l)"
vs_assert_match 'after-term=[2-9]' "$VS_OUT" "alice's processes after a plain SIGTERM"
vs_assert_contains "$VS_OUT" "rc=0" "user expire at the date"
vs_assert_contains "$VS_OUT" "after-expire=0" "alice's processes after user expire"
vs_try vs_run 'cat /tmp/expire.json'
vs_assert_eq "end-sessions expire-account lock-password notice-login revoke-group" "$(kinds)" "actions at expiry"
vs_assert_not_contains " $(vs_run 'id -nG alice') " " gpu-users " "alice's groups"
vs_assert_match '^!' "$(shadow_field alice 2)" "alice's password is locked"
vs_assert_contains " $(vs_run 'id -nG prof') " " gpu-users " "prof (kept) keeps the group"
vs_assert_match '^[^!]' "$(shadow_field prof 2)x" "prof's password"
expire_at 2030-01-16
vs_assert_rc 0 "user expire the day after"
vs_assert_eq 0 "$(vs_json 'j["summary"]["changed"]')" "changes the day after"

vs_step "named explicitly, a kept user is acted on; unknown names are bad input"
vs_try vs_run "AICACTL_TEST_NOW=$(at 2030-01-16) aicactl --dry-run --json user expire prof"
vs_assert_rc 0 "user expire --dry-run prof"
vs_assert_contains "$(kinds)" "lock-password" "a dry run for prof"
vs_assert_match '^[^!]' "$(shadow_field prof 2)x" "prof after the dry run"
vs_aicactl user expire ghost
vs_assert_rc 65 "user expire ghost"
vs_assert_contains "$(vs_run 'cat /etc/cron.d/aicactl')" "root /data/system/bin/aicactl --quiet user expire" "the cron line"

vs_pass
