#!/usr/bin/env bash
# Cron mails whatever a job prints, so on a healthy server the exact command lines of
# /etc/cron.d/aicactl print nothing (--quiet: only what changed, failed or alerted), and they do
# print when a repair changes something or a disk alerts. /etc/logrotate.d/aicactl rotates the
# log, the disk alert log and their copies on /data (logrotate accepts it and really rotates);
# the copy /data/system/log/aicactl.log keeps the history across a re-image, and recover puts
# the logrotate file back.
source "$(dirname "$0")/lib/vserver.sh"
vs_main "$@"
command -v logrotate >/dev/null || vs_skip "logrotate is not installed on the host"

CRON=/etc/cron.d/aicactl
ROTATE=/etc/logrotate.d/aicactl
COPY=/data/system/log/aicactl.log

# Runs each job line of the cron file as cron would (sh -c with the file's PATH, as root) and
# prints what the jobs printed, stdout and stderr together.
run_cron_jobs() {
  vs_run "set -e; export PATH=\$(sed -n 's/^PATH=//p' $CRON); \
    sed -n 's/^[^#A-Z][^ ]* [^ ]* [^ ]* [^ ]* [^ ]* root //p' $CRON | while IFS= read -r job; do sh -c \"\$job\" 2>&1; done"
}

vs_boot
vs_setup
vs_aicactl user add alice
vs_assert_rc 0
vs_assert_eq 4 "$(vs_run "grep -c ' root .*--quiet' $CRON")" "cron jobs with --quiet"

vs_step "on a healthy server the cron jobs print nothing"
vs_try run_cron_jobs
vs_assert_rc 0 "the cron jobs"
vs_assert_eq "" "$VS_OUT$VS_ERR" "what the cron jobs print on a healthy server"
vs_try run_cron_jobs
vs_assert_eq "" "$VS_OUT$VS_ERR" "what the cron jobs print the second time"
vs_aicactl --quiet setup
vs_assert_rc 0
vs_assert_eq "" "$VS_OUT$VS_ERR" "--quiet setup with nothing to do"
vs_aicactl --quiet doctor
vs_assert_rc 0
vs_assert_eq "" "$VS_OUT$VS_ERR" "--quiet doctor on a healthy server"

vs_step "they print what changed or alerted"
vs_assert_as_ok alice 'umask 077 && echo x > /data/cache/pip/private' "alice writes a 0600 file into the pip cache"
vs_try run_cron_jobs
vs_assert_match "^Repaired '/data/cache/pip': 1 of [0-9]+ entries$" "$VS_OUT" "what the cron jobs print after a change"
vs_run 'mkdir -p /mnt/x'
vs_mount_tmpfs /mnt/x size=16m,mode=0755
vs_run 'fallocate -l 12M /mnt/x/fill.bin'
vs_aicactl --quiet disk check --path /mnt/x --threshold 50
vs_assert_rc 3 "--quiet disk check over the threshold"
vs_assert_match '^/mnt/x: disk [0-9]+% .* ALERT$' "$(head -n 1 <<<"$VS_OUT")" "--quiet disk check over the threshold"
vs_aicactl --quiet disk check --path /mnt/x --threshold 95
vs_assert_rc 0 "--quiet disk check under the threshold"
vs_assert_eq "" "$VS_OUT$VS_ERR" "--quiet disk check under the threshold"
vs_assert_contains "$(vs_run 'cat /data/system/log/aicactl-disk.log')" "[ALERT]" "the alert's copy on /data"

vs_step "logrotate accepts and rotates the logs and their copies"
vs_assert_stat "$ROTATE" '644 root root regular file' '%a %U %G %F'
vs_assert_ok "logrotate -d $ROTATE" "logrotate -d $ROTATE"
vs_assert_not_contains "$VS_ERR$VS_OUT" "error" "logrotate -d $ROTATE"
vs_assert_contains "$(vs_run "cat $COPY")" "setup started" "the log's copy on /data"
vs_assert_ok "logrotate -f -s /tmp/logrotate.state $ROTATE" "logrotate -f $ROTATE"
vs_assert_exists /var/log/aicactl.log.1
vs_assert_exists "$COPY.1"
vs_aicactl user list
vs_aicactl cache repair
vs_assert_contains "$(vs_run "cat $COPY")" "cache repair started" "the copy after a rotation"

vs_step "after a re-image the history is on /data and recover restores the logrotate file"
vs_reboot --no-install
vs_assert_absent "$ROTATE"
vs_assert_absent /var/log/aicactl.log
vs_try vs_run '/data/system/bin/aicactl --quiet recover'
vs_assert_rc 0 "recover"
vs_assert_stat "$ROTATE" '644 root root regular file' '%a %U %G %F'
vs_assert_contains "$(vs_run "cat $COPY $COPY.1")" "setup started" "the history on /data after a re-image"
vs_assert_contains "$(vs_run "cat $COPY")" "recover started" "the copy after recover"
vs_pass
