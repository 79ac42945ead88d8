#!/usr/bin/env bash
# aicactl wizard driven through tmux (send-keys, capture-pane) in the virtual server, as an admin
# at a terminal: add a user through the numbered text menu (--text), through whiptail and, with
# whiptail removed from the virtual server, through dialog; the
# plan (--dry-run) is shown before anything changes; cancelling at the plan, or giving a bad
# name, changes nothing. Not on a terminal it falls back to the text menu; --list-options prints
# the menu with the command behind each entry.
source "$(dirname "$0")/lib/vserver.sh"
vs_main "$@"
command -v tmux >/dev/null || vs_skip "tmux is not installed on the host (scripts/bootstrap installs it)"
command -v whiptail >/dev/null || vs_skip "whiptail is not installed on the host (scripts/bootstrap installs it)"
command -v dialog >/dev/null || vs_skip "dialog is not installed on the host (scripts/bootstrap installs it)"

vs_boot
vs_setup

# One tmux server per drive (a vs_run's processes end with it). The driver waits for a text on
# the screen (capture-pane) before each key, fails after 30 s, and prints what it saw.
cat >"$VS_ROOT/root/drive.sh" <<'DRIVE'
#!/bin/bash
set -u
mode=$1
cat >/root/tmux.conf <<'CONF'
set -g default-terminal screen
set -g history-limit 5000
CONF
screen() { tmux capture-pane -p -t wiz "$@"; }
wait_for() { # TEXT: on the visible screen (dialogs) or in the history too (text menu)
  local i
  for ((i = 0; i < 300; i++)); do
    screen -S -5000 | grep -qF -- "$1" && return 0
    sleep 0.1
  done
  echo "DRIVER-TIMEOUT waiting for '$1'; the screen:"
  screen -S -5000
  exit 1
}
wait_visible() { # TEXT on the current screen only
  local i
  for ((i = 0; i < 300; i++)); do
    screen | grep -qF -- "$1" && return 0
    sleep 0.1
  done
  echo "DRIVER-TIMEOUT waiting for '$1' on the screen; it shows:"
  screen
  ps -eo pid,stat,wchan:24,args
  exit 1
}
keys() { tmux send-keys -t wiz "$@"; }
shot() { echo "--- screen: $1"; screen; echo "--- end"; }
case $mode in
  text-*) cmd='aicactl wizard --text' ;;
  *) cmd='aicactl wizard' ;;
esac
tmux -f /root/tmux.conf new-session -d -s wiz -x 120 -y 45 "$cmd; echo WIZARD-EXIT=\$?; sleep 600"
case $mode in
  text-add)
    wait_for 'Choice:'; keys 1 Enter
    wait_for 'User name:'; keys alice Enter
    wait_for 'Apply? [y/N]'; keys y Enter
    wait_for '== Add a user'
    wait_for '$ aicactl user add alice'
    keys q Enter ;;
  text-cancel)
    wait_for 'Choice:'; keys 1 Enter
    wait_for 'User name:'; keys bob Enter
    wait_for 'Apply? [y/N]'; keys n Enter
    wait_for 'Cancelled. Nothing was changed.'
    keys 1 Enter 'Bad Name' Enter # typed ahead: the text menu reads line by line
    wait_for 'The plan failed'
    keys q Enter ;;
  whiptail-add)
    wait_visible 'Choose a task'; keys Enter
    wait_visible 'User name'; keys carol Enter
    wait_visible 'Apply this plan?'; shot plan; keys Enter
    wait_visible '$ aicactl user add carol'; shot result; keys Enter
    wait_visible 'Choose a task'; keys Tab Tab Enter ;;
  whiptail-cancel)
    wait_visible 'Choose a task'; keys Enter
    wait_visible 'User name'; keys dave Enter
    wait_visible 'Apply this plan?'; shot plan; keys Tab Enter
    wait_visible 'Cancelled. Nothing was changed.'; keys Enter
    wait_visible 'Choose a task'; keys Tab Tab Enter ;;
  dialog-add)
    wait_visible 'Choose a task'; keys Enter
    wait_visible 'User name'; keys erin Enter
    wait_visible 'Apply this plan?'; shot plan; keys Enter
    wait_visible '$ aicactl user add erin'; shot result; keys Enter
    # dialog leaves its last box on the screen: Quit ('q', then Enter) until the wizard is gone.
    for ((i = 0; i < 30; i++)); do
      screen -S -5000 | grep -qF 'WIZARD-EXIT=' && break
      keys q; sleep 0.3; keys Enter; sleep 0.7
    done ;;
esac
wait_for 'WIZARD-EXIT='
screen -S -5000
DRIVE
chmod 0755 "$VS_ROOT/root/drive.sh"
drive() { vs_try vs_run "/root/drive.sh $1"; }

vs_step "--list-options"
vs_aicactl wizard --list-options
vs_assert_rc 0
vs_assert_contains "$VS_OUT" "1  Add a user  (aicactl user add NAME; shows the --dry-run plan first)" "--list-options"
vs_assert_contains "$VS_OUT" "aicactl doctor" "--list-options"
vs_assert_contains "$VS_OUT" "7  GPU status  (aicactl gpu status)" "--list-options"
vs_assert_contains "$VS_OUT" "8  GPU sessions  (aicactl session list)" "--list-options"

vs_step "text menu: cancel at the plan, then a bad name: nothing changes"
vs_snapshot before_text_cancel
drive text-cancel
vs_assert_rc 0 "the text-menu drive (cancel)"
vs_assert_contains "$VS_OUT" '$ aicactl --dry-run user add bob' "the plan shown before asking"
vs_assert_contains "$VS_OUT" "Would " "the plan's lines"
vs_assert_contains "$VS_OUT" "Cancelled. Nothing was changed." "after answering n"
vs_assert_contains "$VS_OUT" "aicactl: error: " "aicactl's own message for the bad name"
vs_assert_contains "$VS_OUT" "The plan failed. Nothing was changed." "after a bad name"
vs_assert_contains "$VS_OUT" "WIZARD-EXIT=0" "the wizard's exit"
vs_snapshot after_text_cancel
vs_assert_snapshot_same before_text_cancel after_text_cancel "the server after cancelling in the text menu"
vs_assert_fails 'getent passwd bob' "bob's account after the cancel"

vs_step "text menu: add alice"
drive text-add
vs_assert_rc 0 "the text-menu drive (add)"
vs_assert_contains "$VS_OUT" '$ aicactl --dry-run user add alice' "the plan shown before asking"
vs_assert_contains "$VS_OUT" "WIZARD-EXIT=0" "the wizard's exit"
vs_assert_ok 'getent passwd alice' "alice's account"
vs_assert_eq /data/users/alice "$(vs_run 'readlink /home/alice')" "alice's /home link"
vs_aicactl user list
vs_assert_contains "$VS_OUT" alice "user list after the wizard"

vs_step "whiptail: cancel at the plan changes nothing"
vs_snapshot before_whiptail_cancel
drive whiptail-cancel
vs_assert_rc 0 "the whiptail drive (cancel)"
vs_assert_contains "$VS_OUT" "Apply this plan?" "whiptail's yes/no box"
vs_assert_contains "$VS_OUT" "WIZARD-EXIT=0" "the wizard's exit"
vs_snapshot after_whiptail_cancel
vs_assert_snapshot_same before_whiptail_cancel after_whiptail_cancel "the server after cancelling in whiptail"
vs_assert_fails 'getent passwd dave' "dave's account after the cancel"

vs_step "whiptail: add carol"
drive whiptail-add
vs_assert_rc 0 "the whiptail drive (add)"
vs_assert_contains "$VS_OUT" 'aicactl --dry-run user add carol' "the plan in whiptail's box"
vs_assert_contains "$VS_OUT" "WIZARD-EXIT=0" "the wizard's exit"
vs_assert_ok 'getent passwd carol' "carol's account"
vs_assert_eq /data/users/carol "$(vs_run 'readlink /home/carol')" "carol's /home link"

vs_step "dialog (whiptail removed): add erin"
vs_assert_ok 'rm /usr/bin/whiptail && ! command -v whiptail' "whiptail removed from the virtual server"
drive dialog-add
vs_assert_rc 0 "the dialog drive (add)"
vs_assert_contains "$VS_OUT" 'aicactl --dry-run user add erin' "the plan in dialog's box"
vs_assert_contains "$VS_OUT" "WIZARD-EXIT=0" "the wizard's exit"
vs_assert_ok 'getent passwd erin' "erin's account"
vs_assert_eq /data/users/erin "$(vs_run 'readlink /home/erin')" "erin's /home link"

vs_step "not on a terminal: the text menu, read from stdin"
vs_try vs_run "printf '3\nq\n' | aicactl wizard"
vs_assert_rc 0 "aicactl wizard on a pipe"
vs_assert_contains "$VS_OUT" "7) GPU status" "gpu status in the menu"
vs_assert_contains "$VS_OUT" "8) GPU sessions" "session list in the menu"
vs_assert_contains "$VS_OUT" "1) Add a user" "the text menu on a pipe"
vs_assert_contains "$VS_OUT" "carol" "user list through the wizard"

vs_pass
