#!/usr/bin/env bash
# Bad user names (path tricks, option look-alikes, whitespace, newline, empty, reserved,
# upper case, ':', too long, all digits, existing system accounts such as bin and nobody) and
# bad options of `user add` are refused with exit 64 (usage) or 65 (bad data), and nothing
# changes: /etc, /data and /home are identical, not even a ctime moves, and no account appears.
source "$(dirname "$0")/lib/vserver.sh"
vs_main "$@"

vs_boot
vs_setup
vs_aicactl user add alice
vs_assert_rc 0 "user add alice (a valid name, so the registry exists)"
passwd_before="$(vs_run 'cat /etc/passwd /etc/group /etc/shadow /etc/gshadow')"
vs_snapshot before
sleep 0.05

# refused ARGS...: `aicactl user add ARGS...` must exit 64 or 65.
refused() {
  vs_aicactl user add "$@"
  [[ $VS_RC == 64 || $VS_RC == 65 ]] || vs_fail "$VS_LAST_CMD: expected exit code 64 or 65, got $VS_RC"
  vs_assert_ne "" "$VS_ERR" "stderr of $VS_LAST_CMD (a message)"
}

vs_step "bad names"
long="$(printf 'a%.0s' {1..40})"
# shellcheck disable=SC2054  # "a," is one of the bad names
names=(.. ../etc a/b -rf 'a b' $'a\nb' '' root Alice a:b "$long" 123
  . / ./alice '~' 'a*' '$(id)' $'a\tb' a, alice/ /alice ' alice' 'alice ' 'ali$ce'
  _ _alice "$(printf 'a%.0s' {1..33})"  # Debian's NAME_REGEX starts with a letter; 32 at most
  bin daemon nobody)  # existing system accounts (uid < 1000, or nobody's 65534): never adopted
for n in "${names[@]}"; do
  refused "$n"
done
vs_step "names after -- (not parsed as options)"
for n in -rf --force -g ..; do
  refused -- "$n"
done

vs_step "a good name with bad options"
refused newuser -g ../etc
refused newuser -g a:b
refused newuser -g ''
refused newuser -g $'gpu-users\nx'
refused newuser --uid 0
refused newuser --uid 999
refused newuser --uid -5
refused newuser --uid abc
refused newuser --expires 2025-13-45
refused newuser --expires tomorrow
refused newuser --shell bin/bash
refused newuser --shell /bin/bash:x
refused newuser --shell $'/bin/bash\nx'
vs_step "a group that does not exist (not bad input, but nothing may change either)"
vs_aicactl user add newuser -g no-such-group
vs_assert_ne 0 "$VS_RC" "exit code of $VS_LAST_CMD"

vs_step "nothing changed"
vs_assert_fails 'id newuser' "an account 'newuser' after refused user adds"
vs_assert_eq "$passwd_before" "$(vs_run 'cat /etc/passwd /etc/group /etc/shadow /etc/gshadow')" "/etc/passwd, group, shadow, gshadow"
vs_snapshot after
vs_assert_snapshot_same before after "refused user adds"
vs_pass
