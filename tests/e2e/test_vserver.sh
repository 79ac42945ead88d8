#!/usr/bin/env bash
# The harness itself: accounts made inside stay inside, a reboot restores the image while
# /data persists, snapshots see changes, and nothing reaches the host. Needs no aicactl.
VS_NEEDS_BIN=0
source "$(dirname "$0")/lib/vserver.sh"
vs_main "$@"

host_passwd_before="$(sha256sum /etc/passwd /etc/group /etc/shadow)"
host_home_before="$(ls -la /home)"

vs_step "boot: a root shell with a clean environment"
vs_boot
vs_try vs_run 'id -un; echo "$PATH"; echo "$HOME"; umask; readlink /proc/self/root'
vs_assert_rc 0
vs_assert_eq $'root\n/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n/root\n0022\n/' "$VS_OUT" "environment inside"

vs_step "containment: nothing reachable from inside leads out of the server"
# A buggy root tool that follows symlinks can reach /proc/*/{root,cwd,exe,fd/*} and /dev.
vs_try vs_run 'sleep 30 & sleep 30 & for p in /proc/[0-9]*; do
    for l in root cwd exe; do echo "$l $(readlink $p/$l)"; done
    for f in $p/fd/*; do [ -e "$f" ] || continue; t=$(readlink "$f")
      case $t in pipe:*|socket:*|anon_inode:*) echo "fd-other" ;;
        /*) if [ "$f" -ef "$t" ]; then echo "fd-inside"; else echo "fd-OUTSIDE $f -> $t"; fi ;;
        *) echo "fd-UNKNOWN $f -> $t" ;; esac
    done
  done; kill %1 %2'
vs_assert_rc 0
vs_assert_not_contains "$VS_OUT" "OUTSIDE" "fds of processes inside the server"
vs_assert_not_contains "$VS_OUT" "UNKNOWN" "fds of processes inside the server"
vs_assert_eq "" "$(awk '$1 == "root" && $2 != "/"' <<<"$VS_OUT")" "/proc/*/root inside the server"
vs_assert_eq "" "$(awk '$1 == "cwd" && $2 !~ /^\//' <<<"$VS_OUT")" "/proc/*/cwd inside the server"
vs_assert_contains "$VS_OUT" "fd-inside" "(the fd check saw fds)"
vs_assert_eq "1" "$(vs_run 'ls -d /proc/[0-9]* | head -n 1 | tr -dc 0-9')" "first pid in a vs_run's pid namespace"
vs_assert_eq "tmpfs" "$(vs_run 'findmnt -n -o FSTYPE /dev')" "/dev inside is a private tmpfs"
vs_assert_ok 'findmnt -n -o FSTYPE /dev/pts | grep -qx devpts' "/dev/pts"
vs_assert_ok 'echo > /dev/null && head -c1 /dev/urandom >/dev/null' "device nodes"
vs_assert_fails 'touch /sys/vs-test' "writing /sys"
vs_assert_fails 'echo x > /proc/sys/kernel/hostname' "writing /proc/sys"
vs_assert_fails 'getent hosts example.com >/dev/null || ping -c1 -W1 1.1.1.1' "network inside"
vs_assert_eq "" "$(vs_run 'findmnt -rn -o TARGET | grep -vE "^/($|dev|proc|sys$|run|tmp$|data$)" || true')" "mounts inside the server"
vs_assert_ok 'hostname vs-selftest' "hostname inside (own uts namespace)"
vs_assert_ok 'findmnt -n -o FSTYPE /data | grep -qx tmpfs' "/data is its own tmpfs mount"
vs_assert_stat /tmp '1777 root root'
vs_assert_stat /run/lock '1777 root root'

vs_step "accounts and su inside"
vs_run 'groupadd vs-selftest-group && useradd -m -G vs-selftest-group vs-alice'
vs_try vs_as vs-alice 'id -un; id -Gn; echo "$HOME"; pwd'
vs_assert_rc 0
vs_assert_eq $'vs-alice\nvs-alice vs-selftest-group\n/home/vs-alice\n/home/vs-alice' "$VS_OUT" "su - vs-alice"
vs_run 'echo persisted > /data/keep && echo volatile > /etc/vs-volatile && mkdir -p /usr/local/vs && touch /var/log/vs.log'
vs_assert_eq "$host_passwd_before" "$(sha256sum /etc/passwd /etc/group /etc/shadow)" "host account files"
vs_assert_eq "$host_home_before" "$(ls -la /home)" "host /home"
[[ ! -e /etc/vs-volatile && ! -e /data/keep && ! -e /usr/local/vs && ! -e /var/log/vs.log ]] \
  || vs_fail "a file written inside the server appeared on the host"

vs_step "snapshots see a chmod, a chown, an ACL and a touch"
vs_run 'mkdir -p /data/s && touch /data/s/f /data/s/g /data/s/h /data/s/i'
vs_snapshot before /data /etc
vs_snapshot after /data /etc
vs_assert_snapshot_same before after "two snapshots with nothing in between"
for change in 'chmod 600 /data/s/f' 'chown vs-alice /data/s/g' 'setfacl -m u:vs-alice:r /data/s/h' \
  'touch /data/s/i' 'touch /etc/hostname'; do
  sleep 0.01
  vs_run "$change"
  vs_snapshot changed /data /etc
  if (vs_assert_snapshot_same before changed "x") 2>/dev/null; then
    vs_fail "snapshot did not notice: $change"
  fi
  vs_snapshot before /data /etc
done
vs_run 'setfacl -m u:vs-alice:rw /data/s/h'
vs_snapshot --no-times t1 /data
vs_snapshot --no-times t2 /data
vs_assert_snapshot_same t1 t2 "--no-times snapshots"
vs_assert_contains "$(cat "$VS_STATE/snap/t1")" "acl /data/s/h: " "ACL line in snapshot"

vs_step "assertions fail loudly"
(vs_assert_eq a b "x") 2>/dev/null && vs_fail "vs_assert_eq a b passed"
(vs_assert_stat /data/s/f '644 root root') 2>/dev/null && vs_fail "vs_assert_stat passed on a wrong mode"
(vs_assert_acl_has /data/s/h 'user:vs-alice:rwx') 2>/dev/null && vs_fail "vs_assert_acl_has passed on a wrong ACL"
vs_assert_acl_has /data/s/h 'user:vs-alice:rw-'

vs_step "reboot: image restored, /data kept"
vs_reboot
vs_assert_fails 'getent passwd vs-alice' "account after reboot"
vs_assert_fails 'getent group vs-selftest-group' "group after reboot"
vs_assert_absent /home/vs-alice
vs_assert_absent /etc/vs-volatile
vs_assert_absent /usr/local/vs
vs_assert_eq persisted "$(vs_run 'cat /data/keep')" "/data after reboot"
vs_assert_match '^user:[0-9]+:rw-$' "$(vs_getfacl /data/s/h | grep '^user:[0-9]')" "ACL by uid after reboot"

vs_step "reboot --wipe-data: a new disk"
vs_reboot --wipe-data
vs_assert_absent /data/keep
vs_assert_stat /data '755 root root'

vs_assert_eq "$host_passwd_before" "$(sha256sum /etc/passwd /etc/group /etc/shadow)" "host account files at the end"
vs_pass
