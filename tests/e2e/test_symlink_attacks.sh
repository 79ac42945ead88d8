#!/usr/bin/env bash
# `cache repair` walks user-writable trees as root: it must not follow symlinks planted there
# (to /etc, another user's home, ../../..), must not cross a mount point (a directory, or a file
# bind-mounted over an entry), and must not change
# a hardlinked file owned by a non-member (it reports it as skipped instead).
source "$(dirname "$0")/lib/vserver.sh"
vs_main "$@"

vs_boot
vs_setup
C=/data/cache/pip
vs_run 'useradd -m -G gpu-users alice && useradd -m -G gpu-users bob && useradd -m mallory'

vs_step "targets outside the cache"
vs_run "set -e
  install -m 600 /dev/null /etc/aicactl-secret && echo root-secret > /etc/aicactl-secret
  install -m 600 /dev/null /data/aicactl-secret && echo root-secret > /data/aicactl-secret
  install -m 600 -o bob -g bob /dev/null /home/bob/secret && echo bob-secret > /home/bob/secret
  chmod 700 /home/bob
  install -m 600 -o mallory -g mallory /dev/null /data/mallory-file
  setfacl -m u:bob:r /data/mallory-file"

vs_step "alice plants symlinks; root (an accident or an earlier exploit) plants hardlinks"
vs_assert_as_ok alice "set -e; cd $C; mkdir -p sub/deeper
  ln -s /etc evil-etc
  ln -s /home/bob evil-home
  ln -s /home/bob/secret evil-secret
  ln -s ../../.. evil-up
  ln -s /etc/shadow sub/evil-shadow
  ln -s /etc/aicactl-secret sub/deeper/evil-etc-secret
  ln -s /data/aicactl-secret sub/evil-data-secret
  ln -s / evil-root
  ln -s evil-loop evil-loop
  echo ok > sub/deeper/regular" "alice plants symlinks in $C"
vs_run "set -e
  ln /data/aicactl-secret $C/innocent-hardlink
  ln /data/mallory-file $C/sub/mallory-hardlink
  mkdir -p $C/mnt"
vs_mount_tmpfs "$C/mnt" size=1m,mode=0700
vs_run "install -m 600 /dev/null $C/mnt/foreign && echo foreign > $C/mnt/foreign"
# A single file bind-mounted over an entry: its stat is the mounted file's (root's /etc/shadow).
vs_assert_as_ok alice "echo mine > $C/sub/shadow-mount" "alice creates $C/sub/shadow-mount"
vs_mount_bind /etc/shadow "$C/sub/shadow-mount"

targets=(/ /etc /etc/shadow /etc/aicactl-secret /home /home/bob /home/bob/secret /data /data/aicactl-secret
  /data/mallory-file /data/cache "$C/mnt" "$C/mnt/foreign")
before="$(vs_describe "${targets[@]}")"
vs_snapshot etc_home_before /etc /home
vs_run "chown -h alice:alice $C/evil-etc"  # as if alice made it; a symlink's own owner is harmless

vs_step "cache repair"
vs_aicactl cache repair
vs_assert_rc 0
text_err="$VS_ERR"
vs_aicactl --json cache repair
vs_assert_rc 0
json_out="$VS_OUT"

vs_step "targets unchanged"
after="$(vs_describe "${targets[@]}")"
vs_assert_same_text "targets outside the cache (stat and ACL)" "$before" "$after"
vs_snapshot etc_home_after /etc /home
vs_assert_snapshot_same etc_home_before etc_home_after "/etc and /home after cache repair"
vs_assert_eq root-secret "$(vs_run 'cat /etc/aicactl-secret')" "content of /etc/aicactl-secret"
vs_assert_as_fails bob "cat $C/innocent-hardlink" "bob reads the root-owned 0600 file through the hardlink"
vs_assert_as_fails alice "cat $C/sub/mallory-hardlink" "alice reads mallory's 0600 file through the hardlink"
vs_assert_as_fails alice "cat $C/evil-secret" "alice reads bob's secret through the symlink"
vs_assert_eq "../../.." "$(vs_run "readlink $C/evil-up")" "symlink $C/evil-up"
vs_assert_eq /etc "$(vs_run "readlink $C/evil-etc")" "symlink $C/evil-etc kept its target"
vs_assert_as_ok bob "cat $C/sub/deeper/regular" "bob reads a regular file next to the symlinks (the walk went on)"

vs_assert_eq "root shadow 640" "$(vs_run "stat -c '%U %G %a' $C/sub/shadow-mount")" "the file bind-mounted over $C/sub/shadow-mount"
vs_assert_contains "$text_err" "Not entering '$C/sub/shadow-mount'" "stderr of cache repair names the bind-mounted file"
vs_assert_contains "$text_err" "Not entering '$C/mnt'" "stderr of cache repair names the tmpfs"

vs_step "the skipped hardlink is reported"
vs_assert_contains "$text_err" "$C/innocent-hardlink" "stderr of cache repair names the skipped hardlink"
vs_assert_contains "$text_err" "ignoring" "stderr of cache repair ('..., ignoring')"
vs_assert_contains "$text_err" "$C/sub/mallory-hardlink" "stderr of cache repair names the hardlink owned by mallory"
VS_OUT="$json_out"
skipped="$(vs_json '[p for p in (lambda f: f(f, j))(lambda f, x: [q for k, v in x.items() for q in ((v if isinstance(v, list) else []) if k == "skipped" else f(f, v))] if isinstance(x, dict) else [q for v in x for q in f(f, v)] if isinstance(x, list) else [])]')"
vs_assert_contains "$skipped" "$C/innocent-hardlink" "\"skipped\" in cache repair --json"
vs_assert_contains "$skipped" "$C/sub/mallory-hardlink" "\"skipped\" in cache repair --json"
vs_pass
