#!/usr/bin/env bash
# The layout and the files that setup writes do not depend on the admin's umask: setup under
# umask 077 and under umask 000 (on a new /data after a reboot) give the same owners, modes
# and ACLs, and those are the contract's.
source "$(dirname "$0")/lib/vserver.sh"
vs_main "$@"

# What setup writes under /etc (with the dirs it may create), plus the lock dir. npm's global
# config is asked for before setup: afterwards npm (as root) would log into the shared cache.
etc_paths=()

record() {
  local name=$1 paths=("${etc_paths[@]}")
  vs_snapshot --no-times "$name" /data "${paths[@]}"
  # getfacl of everything (base entries too), in a stable order.
  vs_run "find /data $(printf ' %q' "${paths[@]}") -xdev 2>/dev/null | LC_ALL=C sort | while read -r p; do getfacl -P -p -- \"\$p\"; done" \
    >>"$VS_STATE/snap/$name"
}

vs_boot
npmrc="$(vs_run 'npm config get globalconfig')"
etc_paths=(/etc/profile.d/aicactl.sh /etc/pip.conf /etc/conda /etc/uv "$npmrc" /run/aicactl)
vs_step "setup under umask 077"
vs_aicactl_umask 077 setup --init
vs_assert_rc 0
record umask077

vs_step "the contract's modes"
vs_assert_stat /data '755 root root'
for d in /data/users /data/cache /data/cache/conda /data/models /data/apps /data/system /data/system/bin \
  /data/system/config /data/system/log; do
  vs_assert_stat "$d" '755 root root'
done
for d in /data/dataset /data/code; do
  vs_assert_stat "$d" '3775 root gpu-users'
  vs_assert_acl_has "$d" 'group:gpu-users:rwx' 'default:group:gpu-users:rwx'
done
for d in /data/cache/conda/pkgs /data/cache/pip /data/cache/uv /data/cache/npm /data/cache/yarn \
  /data/models/huggingface /data/models/torch; do
  vs_assert_stat "$d" '2775 root gpu-users'
  vs_assert_acl_has "$d" group:gpu-users:rwx default:group:gpu-users:rwx default:group::rwx default:mask::rwx \
    default:other::r-x
done
for f in /etc/profile.d/aicactl.sh /etc/pip.conf /etc/conda/.condarc /etc/uv/uv.toml; do
  vs_assert_stat "$f" '644 root root'
done
for d in /etc/conda /etc/uv; do
  vs_assert_match '^7[0-7]5 root root$' "$(vs_stat "$d" '%a %U %G')" "'$d' must be readable by users"
done
vs_assert_stat /data/system/bin/aicactl '755 root root'

vs_step "reboot with a new /data; setup under umask 000"
vs_reboot --wipe-data
vs_aicactl_umask 000 setup --init
vs_assert_rc 0
record umask000
vs_assert_snapshot_same umask077 umask000 "layout and /etc files (owner, mode, ACL) from umask 077 vs umask 000"
vs_pass
