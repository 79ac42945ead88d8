#!/usr/bin/env bash
# A server reset (pristine /etc, /home, /usr/local; /data kept) followed by
# `/data/system/bin/aicactl recover` (what the boot unit runs on an image where nothing was
# installed) gives every registered user back: the same uid, gid and groups (gids that a
# fresh groupadd/useradd would not pick), the /home link, the files in the home, the login
# environment, real pip/npm in the shared caches, the boot unit and its wants link. A second
# recover changes nothing, not even a ctime.
source "$(dirname "$0")/lib/vserver.sh"
vs_main "$@"
command -v npm >/dev/null || vs_skip "npm is not installed on the host"
/usr/bin/python3 -m pip --version >/dev/null 2>&1 || vs_skip "python3-pip is not installed on the host"

UNIT=/etc/systemd/system/aicactl-recover.service
WANTS=/etc/systemd/system/multi-user.target.wants/aicactl-recover.service
# ids_of USER: uid, primary gid and the sorted supplementary groups (number and name), e.g.
# "uid=2345(alice) gid=2345(alice) groups=2345(alice),3001(gpu-users)".
ids_of() {
  vs_run "u=$1"'
    printf "uid=%s(%s) gid=%s(%s) groups=%s\n" "$(id -u "$u")" "$(id -un "$u")" "$(id -g "$u")" "$(id -gn "$u")" \
      "$(id "$u" | sed "s/.*groups=//" | tr , "\n" | sort -n | paste -sd, -)"'
}

vs_boot
vs_step "ids that a pristine image would not hand out again"
# 'early' pushes gpu-users' gid up, zed (not registered) sits between alice and bob, so a
# recover that just runs groupadd/useradd without the recorded ids gets other numbers.
vs_run 'groupadd -g 1500 early && groupadd -g 3000 lab'
vs_setup
vs_aicactl user add alice --uid 2345
vs_assert_rc 0
vs_run 'useradd -M zed'
vs_aicactl user add bob -g lab
vs_assert_rc 0
id_alice="$(ids_of alice)"
id_bob="$(ids_of bob)"
vs_log "before: $id_alice"
vs_log "before: $id_bob"
vs_assert_match 'groups=.*[(]gpu-users[)]' "$id_alice" "id alice before the reset"
vs_assert_match 'groups=.*[(]lab[)]' "$id_bob" "id bob before the reset"
vs_assert_ne 1001 "$(vs_run 'getent group gpu-users | cut -d: -f3')" "gid of gpu-users (must not be the first free gid)"
vs_assert_as_ok alice 'printf "%s\n" "alice was here" > notes.txt && chmod 600 notes.txt' "alice writes a file in her home"
vs_assert_as_ok bob 'mkdir -p work && echo bob > work/b.txt' "bob writes a file in his home"

vs_step "reset: pristine root disk, no aicactl installed, /data kept"
vs_reboot --no-install
vs_assert_fails 'id alice' "alice exists on the pristine image"
vs_assert_fails 'getent group gpu-users' "gpu-users exists on the pristine image"
vs_assert_absent /usr/local/sbin/aicactl
vs_assert_fails 'command -v aicactl' "an aicactl on PATH of the pristine image"
vs_assert_absent "$UNIT"
vs_assert_absent /home/alice

vs_step "/data/system/bin/aicactl recover"
vs_try vs_run '/data/system/bin/aicactl --json recover'
VS_LAST_CMD='/data/system/bin/aicactl --json recover'
vs_assert_rc 0
vs_assert_ne 0 "$(vs_json 'j["summary"]["changed"]')" "summary.changed of the first recover"
vs_assert_eq 0 "$(vs_json 'j["summary"]["failed"]')" "summary.failed of the first recover"

vs_step "accounts with the original ids"
vs_assert_eq "$id_alice" "$(ids_of alice)" "id alice after recover"
vs_assert_eq "$id_bob" "$(ids_of bob)" "id bob after recover"
vs_assert_match '(^|,)alice(,|$)' "$(vs_run 'getent group gpu-users | cut -d: -f4')" "members of gpu-users"
vs_assert_match '(^|,)bob(,|$)' "$(vs_run 'getent group gpu-users | cut -d: -f4')" "members of gpu-users"
vs_assert_fails 'id zed' "zed (never registered) recovered"
# restored in one batch edit of the account files: they must be as consistent as useradd's
vs_assert_ok 'pwck -r -q' "pwck -r (passwd and shadow consistent) after recover"
vs_assert_ok 'grpck -r' "grpck -r (group and gshadow consistent) after recover"
vs_assert_match '^alice:!:[0-9]+:' "$(vs_run 'grep ^alice: /etc/shadow')" "alice's shadow entry (no password, locked as useradd leaves it)"
vs_assert_match '(^|,)alice(,|$)' "$(vs_run 'grep ^gpu-users: /etc/gshadow | cut -d: -f4')" "alice in gpu-users in /etc/gshadow"
vs_assert_eq "root shadow 640" "$(vs_run 'stat -c "%U %G %a" /etc/shadow')" "owner and mode of /etc/shadow after recover"
vs_assert_ok 'su - alice -c true' "su - alice after recover"

vs_step "homes, links, files"
for u in alice bob; do
  vs_assert_eq "/data/users/$u" "$(vs_run "readlink /home/$u")" "target of the link /home/$u"
  vs_assert_stat "/home/$u" "symbolic link" '%F'
  vs_assert_stat "/data/users/$u" "750 $u $u"
done
vs_try vs_as alice 'cat notes.txt'
VS_LAST_CMD="su - alice -c 'cat notes.txt'"
vs_assert_rc 0
vs_assert_eq "alice was here" "$VS_OUT" "alice's file read through su - alice"
vs_assert_as_ok bob 'test "$(cat ~/work/b.txt)" = bob && test "$(pwd -P)" = /data/users/bob' "bob's file and login dir"
vs_assert_as_fails bob 'cat /home/alice/notes.txt' "bob reads alice's 0600 file"

vs_step "login environment and real clients"
vs_try vs_as alice 'printf "%s\n" "$HF_HOME"'
vs_assert_rc 0
vs_assert_eq /data/models/huggingface "$VS_OUT" "\$HF_HOME of alice after recover"
vs_try vs_as alice '/usr/bin/python3 -m pip cache dir'
vs_assert_rc 0
vs_assert_eq /data/cache/pip "$VS_OUT" "pip cache dir of alice after recover"
vs_try vs_as bob 'npm config get cache'
vs_assert_rc 0
vs_assert_eq /data/cache/npm "$VS_OUT" "npm config get cache of bob after recover"
vs_assert_contains "$(vs_run 'cat /data/users/alice/.condarc')" /data/cache/conda/pkgs "alice's .condarc"

vs_step "the boot unit and its wants link"
vs_assert_stat "$UNIT" '644 root root regular file' '%a %U %G %F'
vs_assert_contains "$(vs_run "cat $UNIT")" "ExecStart=/data/system/bin/aicactl recover" "$UNIT"
vs_assert_stat "$WANTS" 'symbolic link' '%F'
vs_assert_eq "$UNIT" "$(vs_run "readlink $WANTS")" "target of $WANTS"

vs_step "a second recover changes nothing"
vs_snapshot first
sleep 0.05
vs_try vs_run '/data/system/bin/aicactl --json recover'
VS_LAST_CMD='/data/system/bin/aicactl --json recover (second)'
vs_assert_rc 0
vs_assert_eq 0 "$(vs_json 'j["summary"]["changed"]')" "summary.changed of the second recover"
vs_assert_eq 0 "$(vs_json 'j["summary"]["failed"]')" "summary.failed of the second recover"
vs_snapshot second
vs_assert_snapshot_same first second "a second recover"
vs_assert_eq "$id_alice" "$(ids_of alice)" "id alice after the second recover"
vs_pass
