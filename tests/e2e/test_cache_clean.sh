#!/usr/bin/env bash
# `cache clean` empties the selected caches as root, in trees that users write: links planted
# there (to /etc, to another user's data, ../../..) go without their targets being touched; a
# mount inside a cache is neither entered nor removed; each cache root keeps its owner, mode
# and default ACL; --older-than spares what was used recently; --dry-run removes nothing; a
# cache whose tool holds its lock (uv) is skipped (exit 73). Through sudo, a gpu-users member
# may run only the pinned forms (`cache clean --pip`, ...): anything else is refused by the
# binary itself (exit 77) with nothing removed.
source "$(dirname "$0")/lib/vserver.sh"
vs_main "$@"

vs_boot
vs_setup
P=/data/cache/pip
vs_run 'useradd -m -G gpu-users alice && useradd -m bob'
vs_run "set -e
  install -d -o bob -g bob -m 700 /data/users/bob
  echo bob-data > /data/users/bob/precious && chown bob:bob /data/users/bob/precious
  install -m 600 /dev/null /etc/aicactl-secret && echo root-secret > /etc/aicactl-secret"

# fill_pip: alice fills the pip cache with files, directories and planted links.
fill_pip() {
  vs_assert_as_ok alice "set -e; cd $P; mkdir -p http/a/b wheels d deep/er
    head -c 200000 /dev/urandom > http/a/b/blob
    echo wheel > wheels/x.whl
    ln -s /etc evil
    ln -s /data/users/bob d/x
    ln -s /etc/aicactl-secret deep/er/secret
    ln -s ../../.. deep/er/up
    ln -s / http/a/root" "alice fills $P and plants links"
}

targets=(/ /etc /etc/passwd /etc/aicactl-secret /data /data/users /data/users/bob /data/users/bob/precious
  /data/cache)
before="$(vs_describe "${targets[@]}")"
root_before="$(vs_stat $P '%a %U %G %i')"
acl_before="$(vs_getfacl $P)"
vs_assert_contains "$acl_before" "default:group:gpu-users:rwx" "default ACL of $P after setup"

vs_step "usage errors"
vs_aicactl cache clean
vs_assert_rc 64 "cache clean without a selection"
vs_aicactl cache clean --all --pip
vs_assert_rc 64 "cache clean --all --pip"
vs_aicactl cache clean --pip --older-than 0
vs_assert_rc 64 "cache clean --older-than 0"
vs_aicactl cache clean --pip --older-than x
vs_assert_rc 64 "cache clean --older-than x"

vs_step "--dry-run lists and removes nothing"
fill_pip
listing_before="$(vs_run "find $P -printf '%p %y %s\n' | sort")"
vs_aicactl --dry-run cache clean --pip
vs_assert_rc 0
vs_assert_contains "$VS_OUT" "Would remove '$P/evil'" "dry-run output"
vs_assert_contains "$VS_OUT" "Would remove directory '$P/http'" "dry-run output"
vs_assert_not_contains "$VS_OUT" "$P/http/a/b/blob" "dry-run output (only the topmost entries that go)"
vs_aicactl --json --dry-run cache clean --pip
vs_assert_rc 0
vs_assert_eq true "$(vs_json 'j["summary"]["bytes"] >= 200000')" "dry-run bytes to free"
vs_assert_eq 5 "$(vs_json 'len(j["would_remove"])')" "dry-run entries (d deep evil http wheels)"
listing_after="$(vs_run "find $P -printf '%p %y %s\n' | sort")"
vs_assert_same_text "content of $P after --dry-run" "$listing_before" "$listing_after"

vs_step "cache clean --pip"
vs_aicactl --json cache clean --pip
vs_assert_rc 0
vs_assert_eq cleaned "$(vs_json 'j["caches"][0]["status"]')" "status of pip"
vs_assert_eq true "$(vs_json 'j["summary"]["bytes"] >= 200000')" "bytes freed"
vs_assert_eq 7 "$(vs_json 'j["summary"]["files"]')" "files removed (2 files, 5 links)"
vs_assert_eq "" "$(vs_run "ls -A $P")" "content of $P after clean"
after="$(vs_describe "${targets[@]}")"
vs_assert_same_text "targets of the planted links (stat and ACL)" "$before" "$after"
vs_assert_eq bob-data "$(vs_run 'cat /data/users/bob/precious')" "bob's file"
vs_assert_eq root-secret "$(vs_run 'cat /etc/aicactl-secret')" "/etc/aicactl-secret"
vs_assert_eq "$root_before" "$(vs_stat $P '%a %U %G %i')" "owner, mode and inode of $P"
vs_assert_same_text "ACL of $P" "$acl_before" "$(vs_getfacl $P)"
vs_assert_as_ok alice "echo again > $P/new && cat $P/new" "alice writes into the cleaned cache"

vs_step "--older-than spares what was used recently"
vs_assert_as_ok alice "set -e; cd $P; mkdir -p old-dir mixed
  echo o > old-dir/old; echo o > mixed/old; echo f > mixed/fresh; echo o > old; echo f > fresh
  touch -h -d '40 days ago' old-dir/old mixed/old old" "alice makes old and fresh files"
vs_aicactl cache clean --pip --older-than 30
vs_assert_rc 0
vs_assert_eq "fresh mixed mixed/fresh new" "$(vs_run "cd $P && find . -mindepth 1 -printf '%P\n' | sort | tr '\n' ' ' | sed 's/ \$//'")" \
  "what is left after --older-than 30"

vs_step "a mount inside a cache is not crossed, and is reported"
vs_run 'mkdir -p /data/cache/npm/sub && echo x > /data/cache/npm/other'
vs_mount_tmpfs /data/cache/npm/sub size=1m,mode=0755
vs_run 'echo inside > /data/cache/npm/sub/inside'
vs_aicactl cache clean --npm
vs_assert_rc 0
vs_assert_contains "$VS_ERR" "Not entering '/data/cache/npm/sub'" "stderr of cache clean --npm"
vs_assert_eq inside "$(vs_run 'cat /data/cache/npm/sub/inside')" "file on the mount inside the npm cache"
vs_assert_absent /data/cache/npm/other

vs_step "--hf empties hub/ and datasets/, keeps the token and the roots"
H=/data/models/huggingface
vs_assert_as_ok alice "set -e; mkdir -p $H/hub/models--gpt2/blobs $H/hub/.locks/models--gpt2 $H/datasets/squad
  echo weights > $H/hub/models--gpt2/blobs/abc; echo rows > $H/datasets/squad/x; echo hf_tok > $H/token
  touch $H/hub/.locks/models--gpt2/abc.lock" "alice fills the HF cache"
hf_acl="$(vs_getfacl $H/hub)"
vs_aicactl cache clean --hf
vs_assert_rc 0
vs_assert_eq ".locks" "$(vs_run "ls -A $H/hub")" "what is left in $H/hub"
vs_assert_eq "" "$(vs_run "ls -A $H/datasets")" "what is left in $H/datasets"
vs_assert_eq hf_tok "$(vs_run "cat $H/token")" "the HF token"
vs_assert_same_text "ACL of $H/hub" "$hf_acl" "$(vs_getfacl $H/hub)"

vs_step "uv: its lock is honoured"
U=/data/cache/uv
vs_assert_as_ok alice "set -e; touch $U/.lock; echo 'Signature: 8a477f597d28d172789f06886806bc55' > $U/CACHEDIR.TAG
  mkdir -p $U/wheels-v5; echo w > $U/wheels-v5/w" "alice fills the uv cache"
vs_try vs_run "flock -s $U/.lock sleep 30 &
  while flock -n -x $U/.lock true; do sleep 0.1; done  # until the holder has it
  aicactl cache clean --uv; rc=\$?; kill \$!; exit \$rc"
vs_assert_rc 73 "cache clean --uv while uv holds its lock"
vs_assert_contains "$VS_ERR" "Skipped the uv cache" "stderr of cache clean --uv"
vs_assert_exists $U/wheels-v5/w
vs_aicactl cache clean --uv
vs_assert_rc 0 "cache clean --uv once the lock is free"
vs_assert_eq ".lock CACHEDIR.TAG" "$(vs_run "ls -A $U | sort | tr '\n' ' ' | sed 's/ \$//'")" "what is left in $U"

vs_step "through sudo: only the pinned forms"
vs_run "echo '%gpu-users ALL=(root) NOPASSWD: /data/system/bin/aicactl cache clean *' > /etc/sudoers.d/test
  chmod 440 /etc/sudoers.d/test && visudo -c >/dev/null"
before="$(vs_describe "${targets[@]}")"  # installing the rule changed /etc
fill_pip
vs_try vs_as alice "sudo -n /data/system/bin/aicactl cache clean --pip --older-than 1"
vs_assert_rc 77 "sudo aicactl cache clean --pip --older-than 1 (as alice)"
vs_assert_contains "$VS_ERR" "only these exact forms" "the refusal"
vs_try vs_as alice "echo '[layout]' > /tmp/x.toml; sudo -n /data/system/bin/aicactl cache clean --pip --config /tmp/x.toml"
vs_assert_rc 77 "sudo aicactl cache clean --pip --config (as alice)"
vs_try vs_as alice "sudo -n /data/system/bin/aicactl cache clean --pip --dry-run"
vs_assert_rc 77 "sudo aicactl cache clean --pip --dry-run (as alice)"
vs_assert_exists $P/http/a/b/blob
vs_try vs_as bob "sudo -n /data/system/bin/aicactl cache clean --pip"
vs_assert_ne 0 "$VS_RC" "sudo as bob (not a member) is refused by sudo"
vs_assert_exists $P/http/a/b/blob
vs_try vs_as alice "sudo -n /data/system/bin/aicactl cache clean --pip"
vs_assert_rc 0 "sudo aicactl cache clean --pip (as alice)"
vs_assert_eq "" "$(vs_run "ls -A $P")" "content of $P after the sudo clean"
vs_assert_same_text "ACL of $P after the sudo clean" "$acl_before" "$(vs_getfacl $P)"
after="$(vs_describe "${targets[@]}")"
vs_assert_same_text "targets of the planted links after the sudo clean" "$before" "$after"
vs_pass
