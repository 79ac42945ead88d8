#!/usr/bin/env bash
# user import reads an older users.txt (name:group / name group, # comments), validating every
# line before anything changes; user remove unregisters, removes the link and the account, and
# keeps the data unless told: --archive moves it to /data/archive, --purge needs --yes.
source "$(dirname "$0")/lib/vserver.sh"
vs_main "$@"

vs_boot
vs_setup
vs_run 'groupadd lab'

vs_step "a users.txt with a bad line changes nothing"
vs_run 'printf "# old server\nann:lab\nben lab\nBad:lab\n" > /root/bad.txt'
vs_snapshot import_before /etc /data /home
vs_aicactl user import /root/bad.txt
vs_assert_rc 65 "user import with a bad name on line 4"
vs_assert_contains "$VS_ERR" "line 4" "stderr names the bad line"
vs_snapshot import_after /etc /data /home
vs_assert_snapshot_same import_before import_after "/etc /data /home after the refused import"

vs_step "a good users.txt adds every user with their groups"
vs_run 'printf "# old server\nann:lab\n\nben lab   # comment\ncid\n" > /root/users.txt'
vs_aicactl user import /root/users.txt
vs_assert_rc 0 "user import"
for u in ann ben cid; do
  vs_assert_eq "/data/users/$u" "$(vs_run "readlink /home/$u")" "link of $u"
  vs_assert_match '(^| )gpu-users( |$)' "$(vs_run "id -Gn $u")" "groups of $u"
done
vs_assert_match '(^| )lab( |$)' "$(vs_run 'id -Gn ben')" "ben is in lab"
vs_assert_eq 3 "$(vs_run 'grep -c "^\[users\." /data/system/config/users.toml')" "registered users"

vs_step "user remove keeps the data by default"
vs_run 'echo keep > /data/users/ann/notes && chown ann: /data/users/ann/notes'
vs_aicactl user remove ann
vs_assert_rc 0 "user remove ann"
vs_assert_absent /home/ann
vs_assert_eq "" "$(vs_run 'getent passwd ann || true')" "account ann after remove"
vs_assert_eq keep "$(vs_run 'cat /data/users/ann/notes')" "ann's data after remove"
vs_assert_eq 0 "$(vs_run 'grep -c "^\[users\.\"ann\"\]" /data/system/config/users.toml || true')" "ann unregistered"

vs_step "--purge without --yes is refused and changes nothing"
vs_aicactl user remove ben --purge
vs_assert_rc 64 "user remove ben --purge (no --yes)"
vs_assert_eq /data/users/ben "$(vs_run 'readlink /home/ben')" "ben's link after the refused purge"

vs_step "--archive moves the home to /data/archive"
vs_aicactl user remove ben --archive
vs_assert_rc 0 "user remove ben --archive"
vs_assert_absent /data/users/ben
vs_assert_eq 1 "$(vs_run 'ls -d /data/archive/ben-* | wc -l')" "archived home of ben"

vs_step "--purge --yes deletes the home (by fd, never following links out)"
vs_run 'ln -s /etc /data/users/cid/etc-link && echo x > /data/users/cid/f'
vs_aicactl user remove cid --purge --yes
vs_assert_rc 0 "user remove cid --purge --yes"
vs_assert_absent /data/users/cid
vs_assert_exists /etc/passwd
vs_pass
