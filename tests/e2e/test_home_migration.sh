#!/usr/bin/env bash
# `user add` on an account that already has a real /home/NAME directory moves its content into
# /data/users/NAME without loss (in the virtual server /home is on the root overlay and /data
# on a tmpfs, so this is the verified-copy path): every file's content, type, owner, mode, link
# target, hidden files, a FIFO, an empty dir and a hardlink pair survive, and /home/NAME
# becomes the link. A conflict (the same name on both sides) stops with exit 73 and changes
# neither side. With /home and /data two mounts of one file system (same st_dev, but rename
# between them fails with EXDEV) the home is copied and verified just the same.
source "$(dirname "$0")/lib/vserver.sh"
vs_main "$@"

# inventory DIR: one line per entry below DIR (relative path, type, owner, group, mode, size,
# link target; no size for dirs: it differs between file systems), sha256 of regular
# files, plus which entries share an inode; sorted.
inventory() {
  vs_run "cd $(printf '%q' "$1") && {
    find . -mindepth 1 \( -type d -printf '%p %y %u %g %m\n' \) -o -printf '%p %y %u %g %m %s %l\n' | LC_ALL=C sort
    find . -mindepth 1 -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum
    find . -mindepth 1 -type f -links +1 -printf '%i %p\n' | LC_ALL=C sort | awk '{g[\$1] = g[\$1] \" \" \$2} END {for (i in g) print \"hardlinked:\" g[i]}' | LC_ALL=C sort
  }"
}

vs_boot
vs_setup

vs_step "carol: a real /home/carol made by useradd -m, with all kinds of entries"
vs_run 'useradd -m -s /bin/bash carol'
vs_assert_stat /home/carol directory '%F'
vs_assert_as_ok carol 'set -e
  head -c 2097152 /dev/urandom > big.bin
  echo secret > .hidden && chmod 600 .hidden
  mkdir -p .config/app sub/deeper empty-dir
  echo "[app]" > .config/app/settings.toml
  printf "line\n" > sub/deeper/data.txt && chmod 640 sub/deeper/data.txt
  printf "#!/bin/sh\necho run\n" > sub/run.sh && chmod 755 sub/run.sh
  ln -s sub/deeper/data.txt rel-link
  ln -s /etc/hostname abs-link
  ln -s does-not-exist dangling-link
  mkfifo pipe
  echo pair > pair-a && ln pair-a sub/pair-b
  chmod 700 sub/deeper' "carol fills her home"
before="$(inventory /home/carol)"
vs_assert_contains "$before" "./pipe p carol carol" "inventory before (the FIFO)"
vs_assert_contains "$before" "hardlinked: ./pair-a ./sub/pair-b" "inventory before (the hardlink pair)"
vs_assert_contains "$before" "./big.bin f carol carol 644 2097152" "inventory before (the big file)"
id_before="$(vs_run 'echo "$(id -u carol) $(id -g carol)"')"

vs_step "user add carol"
vs_aicactl --json user add carol
vs_assert_rc 0
vs_assert_eq 0 "$(vs_json 'j["summary"]["failed"]')" "summary.failed of user add carol"

vs_step "the home moved, nothing lost"
vs_assert_stat /home/carol 'symbolic link' '%F'
vs_assert_eq /data/users/carol "$(vs_run 'readlink /home/carol')" "target of /home/carol"
vs_assert_stat /data/users/carol '750 carol carol directory' '%a %U %G %F'
vs_assert_eq "$id_before" "$(vs_run 'echo "$(id -u carol) $(id -g carol)"')" "uid and gid of carol (adopted, not re-created)"
vs_assert_match '(^| )gpu-users( |$)' "$(vs_run 'id -Gn carol')" "groups of carol"
after="$(inventory /data/users/carol | grep -vE '^(\./\.condarc |[0-9a-f]{64}  \./\.condarc$)' || true)"
vs_assert_same_text "content of carol's home (path type owner group mode size link, sha256, hardlinks)" "$before" "$after"
vs_assert_as_ok carol 'test "$(cat .hidden)" = secret && test -p pipe && test "$(pwd -P)" = /data/users/carol' "carol uses her moved home"
vs_assert_as_ok carol 'test "$(stat -c %i pair-a)" = "$(stat -c %i sub/pair-b)"' "the hardlink pair is still one inode"

vs_step "conflict: dave has x in /home/dave and in /data/users/dave"
vs_run 'set -e
  useradd -m -s /bin/bash dave
  echo home-side > /home/dave/x && chown dave:dave /home/dave/x
  echo only-home > /home/dave/y && chown dave:dave /home/dave/y
  printf "channels:\n  - conda-forge\n" > /home/dave/.condarc && chown dave:dave /home/dave/.condarc
  install -d -o dave -g dave -m 0750 /data/users/dave
  echo data-side > /data/users/dave/x && chown dave:dave /data/users/dave/x'
vs_snapshot conflict_before /home /data/users
vs_aicactl user add dave
vs_assert_rc 73 "user add dave with /home/dave/x and /data/users/dave/x"
vs_assert_contains "$VS_ERR" "x" "stderr of user add dave (names the conflict)"
vs_assert_stat /home/dave directory '%F'
vs_assert_eq home-side "$(vs_run 'cat /home/dave/x')" "/home/dave/x after the conflict"
vs_assert_eq only-home "$(vs_run 'cat /home/dave/y')" "/home/dave/y after the conflict"
vs_assert_eq data-side "$(vs_run 'cat /data/users/dave/x')" "/data/users/dave/x after the conflict"
vs_assert_absent /data/users/dave/y
vs_snapshot conflict_after /home /data/users
vs_assert_snapshot_same conflict_before conflict_after "/home and /data/users after the refused user add dave"

vs_step "the admin moves the data-side x away; user add dave then completes"
vs_run 'mv /data/users/dave/x /root/dave-x-from-data'
vs_aicactl user add dave
vs_assert_rc 0 "user add dave after the conflict was resolved"
vs_assert_stat /home/dave 'symbolic link' '%F'
vs_assert_eq home-side "$(vs_run 'cat /data/users/dave/x')" "/data/users/dave/x (moved from /home/dave)"
vs_assert_eq only-home "$(vs_run 'cat /data/users/dave/y')" "/data/users/dave/y (moved from /home/dave)"
condarc="$(vs_run 'cat /data/users/dave/.condarc')"
vs_assert_contains "$condarc" "conda-forge" "dave's .condarc keeps his own channels"
vs_assert_contains "$condarc" "/data/cache/conda/pkgs" "dave's .condarc gets the shared pkgs_dirs"

vs_step "erin: /home is a bind mount of a directory on /data's file system"
vs_run 'set -e; mkdir -m 0755 /data/homes-disk; cp -a /home/. /data/homes-disk/'
vs_mount_bind /data/homes-disk /home
vs_run 'useradd -m -s /bin/bash erin'
vs_assert_eq "$(vs_stat /data/users %d)" "$(vs_stat /home/erin %d)" "st_dev of /home/erin and /data/users (one file system)"
vs_assert_as_ok erin 'set -e
  head -c 1048576 /dev/urandom > big.bin
  echo secret > .hidden && chmod 600 .hidden
  mkdir -p sub/deeper empty-dir && echo x > sub/deeper/data.txt
  ln -s sub/deeper/data.txt rel-link
  echo pair > pair-a && ln pair-a sub/pair-b' "erin fills her home"
before="$(inventory /home/erin)"
vs_aicactl user add erin
vs_assert_rc 0 "user add erin (rename across two mounts of one file system)"
vs_assert_stat /home/erin 'symbolic link' '%F'
after="$(inventory /data/users/erin | grep -vE '^(\./\.condarc |[0-9a-f]{64}  \./\.condarc$)' || true)"
vs_assert_same_text "content of erin's home" "$before" "$after"
vs_pass
