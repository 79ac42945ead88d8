#!/usr/bin/env bash
# Helpers run from the secure path with a clean environment: as root with a planted directory
# first in PATH (fake groupadd, useradd, gpasswd, npm, visudo, ... that write a canary), setup and
# user add run none of them, the sudoers rule is still validated by the real visudo, and npm,
# asked where its global config is, neither writes into the cache an inherited NPM_CONFIG_CACHE
# names nor leaves a root-owned _logs in the shared npm cache.
source "$(dirname "$0")/lib/vserver.sh"
vs_main "$@"

vs_boot
vs_step "a planted directory of fake helpers first in root's PATH"
vs_run 'set -e; mkdir -p /root/evil
  for t in groupadd groupmod useradd usermod userdel gpasswd chage npm node visudo sha256sum getent; do
    printf "#!/bin/sh\necho \"\$0 \$*\" >> /root/canary\nexit 0\n" > /root/evil/$t
    chmod 755 /root/evil/$t
  done'
EVIL_ENV='PATH=/root/evil:$PATH NPM_CONFIG_CACHE=/root/npm-canary npm_config_logs_dir=/root/npm-canary LC_ALL=C'

vs_step "setup and user add with the planted PATH and npm settings"
vs_try vs_run "$EVIL_ENV aicactl setup"
vs_assert_rc 0 "aicactl setup with a planted PATH"
vs_run 'groupadd -g 2345 lab'
vs_try vs_run "$EVIL_ENV aicactl user add alice -g lab"
vs_assert_rc 0 "aicactl user add alice with a planted PATH"
vs_try vs_run 'cat /root/canary'
[[ $VS_RC != 0 ]] || vs_fail "a planted helper ran as root: $VS_OUT"
vs_assert_absent /root/npm-canary

vs_step "the real helpers did the work"
vs_assert_exists /etc/sudoers.d/aicactl
vs_assert_ok 'visudo -c' "the installed sudo policy is valid"
vs_assert_ok 'getent group gpu-users && id -Gn alice | grep -qw lab' "groupadd, useradd and gpasswd ran"
vs_try vs_run 'ls -A /data/cache/npm'
vs_assert_rc 0 "ls /data/cache/npm"
vs_assert_not_contains "$VS_OUT" "_logs" "the shared npm cache (npm was asked with its cache elsewhere)"
vs_pass
