#!/usr/bin/env bash
# disk check and disk usage: a size-limited tmpfs filled over the threshold gives exit 3, one
# [ALERT] line appended to /var/log/aicactl-disk.log and the top consumers; under the threshold
# exit 0 and no line; the inode threshold alike; /data itself over the threshold lists homes;
# the node_exporter textfile parses as the exposition format; disk usage reports per-user rows
# with plausible sizes and a planted symlink to / does not inflate them; through sudo (even with
# a deliberately permissive rule) only `disk check` and `disk usage --mine` are accepted.
export VS_DATA_SIZE=64m
source "$(dirname "$0")/lib/vserver.sh"
vs_main "$@"

LOG=/var/log/aicactl-disk.log
log_lines() { vs_run "if [ -e $LOG ]; then wc -l < $LOG; else echo 0; fi"; }

vs_boot
vs_setup
vs_aicactl user add alice
vs_assert_rc 0 "user add alice"
vs_aicactl user add bob
vs_assert_rc 0 "user add bob"

vs_step "disk usage: per-user rows, plausible sizes, a symlink to / not followed"
vs_run 'fallocate -l 3M /data/users/alice/weights.bin && chown alice: /data/users/alice/weights.bin'
vs_run 'fallocate -l 1M /data/users/bob/notes.bin && chown bob: /data/users/bob/notes.bin'
vs_run 'ln -s / /data/users/alice/rootfs && ln -s /data/users/bob /data/users/alice/bob-link'
vs_aicactl --json disk usage
vs_assert_rc 0 "disk usage --json"
alice_bytes="$(vs_json '[r["disk_bytes"] for r in j["rows"] if r["kind"] == "user" and r["name"] == "alice"][0]')"
bob_bytes="$(vs_json '[r["disk_bytes"] for r in j["rows"] if r["kind"] == "user" and r["name"] == "bob"][0]')"
((alice_bytes >= 3 * 1048576 && alice_bytes < 4 * 1048576)) || vs_fail "alice's usage $alice_bytes is not about 3 MiB"
((bob_bytes >= 1048576 && bob_bytes < 2 * 1048576)) || vs_fail "bob's usage $bob_bytes is not about 1 MiB"
vs_assert_eq '["conda", "pip", "uv", "npm", "yarn"]' "$(vs_json '[r["name"] for r in j["rows"] if r["kind"] == "cache"]')" "cache rows"
vs_assert_eq true "$(vs_json 'j["complete"]')" "disk usage complete"
vs_aicactl disk usage alice
vs_assert_rc 0 "disk usage alice"
vs_assert_contains "$VS_OUT" "/data/users/alice" "disk usage alice"
vs_assert_not_contains "$VS_OUT" "/data/users/bob" "disk usage alice"
vs_assert_match 'user +alice +3\.[0-9]M' "$VS_OUT" "disk usage alice shows about 3 MiB"
vs_aicactl disk usage nosuchuser
vs_assert_rc 65 "disk usage of a user without a home"
vs_aicactl disk usage --mine alice
vs_assert_rc 64 "disk usage --mine with a user"

vs_step "disk check on a 16 MiB tmpfs: under the threshold"
vs_run 'mkdir -p /mnt/x /mnt/i'
vs_mount_tmpfs /mnt/x size=16m,mode=0755
vs_mount_tmpfs /mnt/i size=16m,nr_inodes=100,mode=0755
vs_run 'fallocate -l 12M /mnt/x/fill.bin && mkdir /mnt/x/small && fallocate -l 1M /mnt/x/small/a'
vs_aicactl disk check --path /mnt/x --threshold 90
vs_assert_rc 0 "disk check at 82% with threshold 90"
vs_assert_contains "$VS_OUT" "/mnt/x: disk 82%" "disk check output"
vs_assert_eq 0 "$(log_lines)" "alert log lines after a check under the threshold"

vs_step "over the threshold: exit 3, one alert line, top consumers"
vs_aicactl disk check --path /mnt/x --threshold 50
vs_assert_rc 3 "disk check at 82% with threshold 50"
vs_assert_eq 1 "$(log_lines)" "alert log lines"
line="$(vs_run "cat $LOG")"
vs_assert_match '^\[ALERT\] [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} - /mnt/x disk usage: 82% \(threshold: 50%\)$' "$line" "alert line"
vs_assert_contains "$VS_OUT" "Top consumers of /mnt/x:" "disk check output"
first="$(grep -A2 'Top consumers of /mnt/x:' <<<"$VS_OUT" | sed -n 3p)"
vs_assert_match 'entry +fill\.bin +12M' "$first" "largest consumer of /mnt/x"
vs_assert_contains "$VS_OUT" "small" "consumers of /mnt/x"
vs_aicactl disk check --path /mnt/x --threshold 95
vs_assert_rc 0 "disk check at 82% with threshold 95"
vs_assert_eq 1 "$(log_lines)" "no new line under the threshold"

vs_step "inode threshold"
vs_run 'for n in $(seq 1 70); do : > /mnt/i/f$n; done'
vs_aicactl disk check --path /mnt/i --inode-threshold 90
vs_assert_rc 0 "inodes at about 71% with inode threshold 90"
vs_aicactl --json disk check --path /mnt/i --inode-threshold 50
vs_assert_rc 3 "inodes at about 71% with inode threshold 50"
vs_assert_eq false "$(vs_json 'j["mounts"][0]["alert"]')" "space alert on /mnt/i"
vs_assert_eq true "$(vs_json 'j["mounts"][0]["inode_alert"]')" "inode alert on /mnt/i"
vs_assert_eq 2 "$(log_lines)" "alert log lines after the inode alert"
vs_assert_match ' - /mnt/i inode usage: 7[0-9]% \(threshold: 50%\)$' "$(vs_run "tail -n 1 $LOG")" "inode alert line"

vs_step "bad values"
vs_aicactl disk check --threshold 0
vs_assert_rc 64 "--threshold 0"
vs_aicactl disk check --path relative
vs_assert_rc 64 "--path relative"
vs_run 'printf "[disk]\nthreshold = 120\n" > /tmp/bad.toml'
vs_aicactl --config /tmp/bad.toml disk check
vs_assert_rc 65 "threshold 120 in the config"
vs_assert_contains "$VS_ERR" "disk.threshold" "message names the key"

vs_step "config: extra mount, textfile; /data over the threshold lists homes"
vs_run 'mkdir -p /var/lib/prom && cat > /data/system/config/aicactl.toml <<EOT
[disk]
paths = ["/mnt/x"]
threshold = 85
textfile = "/var/lib/prom/aicactl.prom"
top = 3
EOT'
vs_aicactl disk check
vs_assert_rc 0 "disk check from the config, all under 85%"
vs_assert_contains "$VS_OUT" "/data: disk" "disk check checks /data"
vs_assert_contains "$VS_OUT" "/mnt/x: disk 82%" "disk check checks the configured /mnt/x"
vs_assert_eq 2 "$(log_lines)" "no new alert line"
avail_k="$(vs_run "df -k --output=avail /data | tail -n 1 | tr -d ' '")"
size_k="$(vs_run "df -k --output=size /data | tail -n 1 | tr -d ' '")"
vs_run "fallocate -l $((avail_k - size_k * 5 / 100))K /data/users/alice/huge.bin && chown alice: /data/users/alice/huge.bin"
vs_aicactl disk check
vs_assert_rc 3 "disk check with /data at about 95%"
vs_assert_match ' - /data disk usage: 9[5-9]% \(threshold: 85%\)$' "$(vs_run "tail -n 1 $LOG")" "/data alert line"
first="$(grep -A2 'Top consumers of /data:' <<<"$VS_OUT" | sed -n 3p)"
vs_assert_match '^ +user +alice ' "$first" "largest consumer of /data"
vs_assert_eq 3 "$(grep -A5 'Top consumers of /data:' <<<"$VS_OUT" | grep -cE '^ +(user|cache|model) ')" "top = 3 consumers"
prom="$(vs_run 'cat /var/lib/prom/aicactl.prom')"
vs_assert_eq "-rw-r--r--" "$(vs_run 'stat -c %A /var/lib/prom/aicactl.prom')" "textfile mode"
vs_assert_eq "" "$(vs_run 'ls -A /var/lib/prom | grep -v "^aicactl.prom$" || true')" "no temp file left beside the textfile"
check="$(printf '%s' "$prom" | /usr/bin/python3 -c '
import re, sys
text = sys.stdin.read()
name = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
labels = r"(\{[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\n]|\\[\\\"n])*\"(?:,[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\n]|\\[\\\"n])*\")*\})?"
value = r"([-+]?(?:[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?|Inf)|NaN)"
types, samples = {}, {}
for line in text.splitlines():
    if re.fullmatch(r"# HELP " + name + r" .*", line):
        continue
    m = re.fullmatch(r"# TYPE (" + name + r") (counter|gauge|histogram|summary|untyped)", line)
    if m:
        assert m[1] not in types, "two TYPE lines for " + m[1]
        types[m[1]] = m[2]
        continue
    m = re.fullmatch("(" + name + ")" + labels + " " + value + r"( -?[0-9]+)?", line)
    assert m, "bad line: " + repr(line)
    assert m[1] in types, "sample before TYPE: " + line
    samples[m[1] + (m[2] or "")] = float(m[3])
for want in ["aicactl_disk_used_ratio", "aicactl_disk_inodes_used_ratio", "aicactl_disk_size_bytes",
             "aicactl_disk_avail_bytes", "aicactl_disk_alert"]:
    for mount in ["/data", "/mnt/x"]:
        assert want + "{mount=\"" + mount + "\"}" in samples, "missing " + want + " for " + mount
assert samples["aicactl_disk_alert{mount=\"/data\"}"] == 1
assert samples["aicactl_disk_alert{mount=\"/mnt/x\"}"] == 0
assert 0.9 < samples["aicactl_disk_used_ratio{mount=\"/data\"}"] <= 1
assert abs(samples["aicactl_disk_used_ratio{mount=\"/mnt/x\"}"] - 13 / 16) < 0.01
assert samples["aicactl_disk_size_bytes{mount=\"/mnt/x\"}"] == 16 * 1048576
assert samples["aicactl_disk_check_timestamp_seconds"] > 1.7e9
print("ok")
' 2>&1 || true)"
vs_assert_eq ok "$check" "textfile parses as the exposition format with the expected samples"
vs_run 'rm /data/users/alice/huge.bin'

vs_step "through sudo: pinned forms only"
lines_before="$(log_lines)"
vs_run 'echo "%gpu-users ALL=(root) NOPASSWD: /data/system/bin/aicactl disk *" > /etc/sudoers.d/test && chmod 0440 /etc/sudoers.d/test'
vs_as alice 'fallocate -l 1M /data/cache/pip/alice.whl'
vs_as bob 'fallocate -l 2M /data/cache/pip/bob.whl'
vs_try vs_as alice 'sudo -n /data/system/bin/aicactl disk usage --mine'
vs_assert_rc 0 "sudo disk usage --mine as alice"
vs_assert_match 'user +alice +3\.[0-9]M' "$VS_OUT" "alice's home in --mine"
vs_assert_not_contains "$VS_OUT" "bob" "--mine shows nothing of bob"
vs_assert_match 'cache +pip +1\.0M .*\(own files\)' "$VS_OUT" "only alice's files in the pip cache"
vs_try vs_as alice 'sudo -n /data/system/bin/aicactl disk check'
vs_assert_rc 0 "sudo disk check as alice"
for refused in 'disk usage bob' 'disk usage' 'disk check --path /' 'disk check --threshold 1' \
  'disk check --config /tmp/x.toml' 'disk usage --mine --json'; do
  vs_try vs_as alice "sudo -n /data/system/bin/aicactl $refused"
  vs_assert_rc 77 "sudo aicactl $refused as alice"
  vs_assert_contains "$VS_ERR" "Through sudo, only these exact forms" "refusal of 'aicactl $refused'"
done
vs_assert_eq "$lines_before" "$(log_lines)" "refused forms wrote no alert line"
vs_pass
