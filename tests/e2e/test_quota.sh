#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Per-user quotas on a btrfs /data (issue 11, item 5; vs_btrfs_data): every new home is a
# subvolume of its own (inode 256); user add --quota 50M puts a qgroup limit on it and records it;
# a second add changes nothing; alice writing past it gets EDQUOT; disk usage shows used/limit;
# past 90% disk check (exit 3, an [ALERT] line) and doctor report her; a limit lifted behind
# aicactl's back is a doctor finding that user repair fixes; user set --quota none lifts it, a new
# size sets it; an old plain-directory home is refused while its user runs a process (75, nothing
# changed), else converted to a subvolume keeping files, owners, modes, ACLs and hard links; after
# a re-image with quotas off, recover puts the limit back. A bad size is 65 with nothing changed.
source "$(dirname "$0")/lib/vserver.sh"
vs_main "$@"

vs_btrfs_data 600m
vs_boot
vs_setup
REG=/data/system/config/users.toml
LOG=/var/log/aicactl-disk.log
M=$((1024 * 1024))
# The qgroup limit (max_rfer, raw bytes or "none") of a home's subvolume.
limit_of() {
  vs_run "id=\$(btrfs inspect-internal rootid /data/users/$1) && btrfs qgroup show -re --raw /data |
    awk -v q=0/\$id '\$1 == q { print \$4 }'"
}

vs_step "a bad size: exit 65, nothing changed"
vs_snapshot before
for bad in 50X 0 1.5 1e9 5GB; do
  vs_aicactl user add alice --quota "$bad"
  vs_assert_rc 65 "user add --quota $bad"
  vs_assert_contains "$VS_ERR" "Invalid --quota '$bad'" "the message for $bad"
done
vs_snapshot after
vs_assert_snapshot_same before after "user add with a bad --quota"

vs_step "user add --quota 50M: a subvolume with a qgroup limit, recorded"
vs_aicactl user add alice --quota 50M
vs_assert_rc 0 "user add alice --quota 50M"
vs_aicactl user add bob
vs_assert_rc 0 "user add bob"
for u in alice bob; do
  vs_assert_eq "256" "$(vs_run "stat -c %i /data/users/$u")" "$u's home is a subvolume (inode 256)"
  vs_assert_stat /data/users/$u "750 $u $u"
done
vs_assert_eq "$((50 * M))" "$(limit_of alice)" "alice's qgroup limit"
vs_assert_eq "none" "$(limit_of bob)" "bob's qgroup (no limit)"
vs_assert_contains "$(vs_run "cat $REG")" "quota = $((50 * M))" "the registry row"
vs_assert_eq 1 "$(vs_run "grep -c '^quota = ' $REG")" "only alice's row has a quota"
vs_aicactl --json user add alice --quota 50M
vs_assert_rc 0 "a second user add"
vs_assert_eq 0 "$(vs_json 'j["summary"]["changed"]')" "a second user add changes nothing"
vs_aicactl --json user add bob
vs_assert_eq 0 "$(vs_json 'j["summary"]["changed"]')" "a second user add of bob changes nothing"

vs_step "past the limit: EDQUOT"
vs_assert_as_fails alice 'dd if=/dev/zero of=big bs=1M count=60 conv=fsync status=none' "writing 60M into 50M"
vs_assert_contains "$VS_ERR" "Disk quota exceeded" "the error alice gets"
vs_assert_as_ok alice 'rm -f big' "alice removes the file"

vs_step "over 90%: disk usage shows used/limit, disk check and doctor report her"
vs_assert_as_ok alice 'dd if=/dev/urandom of=big bs=1M count=47 conv=fsync status=none' "writing 47M"
vs_run 'sync'
vs_aicactl --json disk usage
vs_assert_rc 0 "disk usage --json"
vs_assert_eq "$((50 * M)) True" \
  "$(vs_json '" ".join(str(x) for r in j["rows"] if r["name"] == "alice" for x in (r["quota_limit_bytes"], r["quota_used_bytes"] > 47 * 2**20))')" \
  "alice's row: limit and used"
vs_assert_eq "[]" "$(vs_json '[k for r in j["rows"] if r["name"] == "bob" for k in r if k.startswith("quota")]')" "bob's row has no quota"
vs_aicactl disk usage
vs_assert_match "/data/users/alice \(quota 4[78]M/50M, 9[4-9]%\)" "$VS_OUT" "disk usage's text"
vs_aicactl disk check
vs_assert_rc 3 "disk check with alice over 90% of her quota"
vs_assert_match '^\[ALERT\] [0-9: -]+ - /data/users/alice quota usage: 9[4-9]% \(threshold: 90%\)$' \
  "$(vs_run "cat $LOG")" "the alert line"
vs_aicactl doctor
vs_assert_rc 0 "doctor (a warning is no finding)"
vs_assert_match "User 'alice' uses 9[4-9]% of their quota" "$VS_OUT$VS_ERR" "doctor's warning"

vs_step "a limit lifted behind aicactl's back: a doctor finding, user repair re-applies it"
vs_run 'btrfs qgroup limit none /data/users/alice'
vs_assert_eq "none" "$(limit_of alice)" "the limit lifted by hand"
vs_aicactl doctor
vs_assert_rc 3 "doctor with the limit gone"
vs_assert_contains "$VS_OUT$VS_ERR" "no limit is set" "doctor's finding"
vs_aicactl user repair alice
vs_assert_rc 0 "user repair alice"
vs_assert_eq "$((50 * M))" "$(limit_of alice)" "the limit re-applied"

vs_step "user set --quota none lifts it, --quota 80M sets it"
vs_aicactl user set alice --quota none
vs_assert_rc 0 "user set --quota none"
vs_assert_eq "none" "$(limit_of alice)" "no limit"
vs_assert_eq 0 "$(vs_run "grep -c '^quota = ' $REG")" "the registry has no quota"
vs_assert_as_ok alice 'dd if=/dev/zero of=more bs=1M count=20 conv=fsync status=none && rm more' "writing past 50M"
vs_aicactl user set alice --quota 80M
vs_assert_rc 0 "user set --quota 80M"
vs_assert_eq "$((80 * M))" "$(limit_of alice)" "the new limit"
vs_assert_contains "$(vs_run "cat $REG")" "quota = $((80 * M))" "the registry row"
vs_aicactl --json user set alice --quota 80M
vs_assert_eq 0 "$(vs_json 'j["summary"]["changed"]')" "the same size again changes nothing"

vs_step "an old plain-directory home: refused while carol runs a process (75), else converted"
vs_run 'useradd -M -U carol && mkdir -m 750 /data/users/carol && chown carol:carol /data/users/carol'
vs_aicactl user add carol
vs_assert_rc 0 "user add carol (adopts the plain directory)"
vs_assert_as_ok carol 'mkdir -p ~/proj/sub && echo data > ~/proj/a.txt && ln ~/proj/a.txt ~/proj/sub/b.txt &&
  head -c 3000000 /dev/urandom > ~/proj/blob && setfacl -m u:bob:r ~/proj/a.txt && ln -s /etc/shadow ~/shadow-link &&
  chmod 700 ~/proj/sub' "carol's files"
vs_assert_ne "256" "$(vs_run 'stat -c %i /data/users/carol')" "carol's home is a plain directory"
before_sum=$(vs_run 'cd /data/users/carol && find . -printf "%p %y %m %u %g %s %l %n\n" | sort && cat proj/a.txt proj/blob | sha256sum')
vs_snapshot before
vs_try vs_run 'su -s /bin/sh carol -c "sleep 30" & sleep 1; aicactl user set carol --quota 10M'
vs_assert_rc 75 "user set --quota while carol runs a process"
vs_assert_contains "$VS_ERR" "running process" "the message"
vs_try vs_run 'su -s /bin/sh carol -c "sleep 30" & sleep 1; aicactl user add carol --quota 10M'
vs_assert_rc 75 "user add --quota while carol runs a process"
vs_snapshot after
vs_assert_snapshot_same before after "a refused conversion"
vs_aicactl user set carol --quota 10M
vs_assert_rc 0 "user set --quota with carol logged out"
vs_assert_contains "$VS_OUT" "a btrfs subvolume of its own" "the conversion is reported"
vs_assert_eq "256" "$(vs_run 'stat -c %i /data/users/carol')" "carol's home is a subvolume now"
vs_assert_stat /data/users/carol '750 carol carol'
vs_assert_eq "$before_sum" \
  "$(vs_run 'cd /data/users/carol && find . -printf "%p %y %m %u %g %s %l %n\n" | sort && cat proj/a.txt proj/blob | sha256sum')" \
  "carol's files, modes, owners, links and hard link counts"
vs_assert_eq "$(vs_run 'stat -c %i /data/users/carol/proj/a.txt')" "$(vs_run 'stat -c %i /data/users/carol/proj/sub/b.txt')" \
  "one inode for the hard link pair"
vs_assert_acl_has /data/users/carol/proj/a.txt "user:bob:r--"
vs_assert_eq "" "$(vs_run 'ls -A /data/users | grep "^\." || true')" "no stage or old tree left"
vs_assert_eq "$((10 * M))" "$(limit_of carol)" "carol's limit"
vs_assert_as_fails carol 'dd if=/dev/zero of=big bs=1M count=20 conv=fsync status=none' "writing 20M into 10M"

vs_step "re-image with quotas off: recover puts the limit back"
vs_run 'btrfs quota disable /data'
vs_reboot --no-install
vs_try vs_run '/data/system/bin/aicactl --json recover'
vs_assert_rc 0 "recover"
vs_assert_eq "$((80 * M))" "$(limit_of alice)" "alice's limit after recover"
vs_assert_eq "none" "$(limit_of bob)" "bob's qgroup after recover"
vs_assert_as_fails alice 'dd if=/dev/zero of=big2 bs=1M count=60 conv=fsync status=none' "writing past 80M after recover"
vs_assert_contains "$VS_ERR" "Disk quota exceeded" "the error alice gets after recover"

vs_pass
