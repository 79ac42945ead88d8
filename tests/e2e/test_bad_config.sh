#!/usr/bin/env bash
# A bad --config (unknown key, unknown section, bad value, syntax error) stops setup with exit
# 65 and a message naming the problem, before anything is changed.
source "$(dirname "$0")/lib/vserver.sh"
vs_main "$@"

vs_boot
# config_case NAME 'toml text' 'text the error must contain'
config_case() {
  local name=$1 toml=$2 needle=$3
  vs_run "printf '%s\n' $(printf '%q' "$toml") > /root/$name.toml"
  vs_aicactl --config "/root/$name.toml" setup
  vs_assert_rc 65 "setup --config with $name"
  vs_assert_contains "$VS_ERR" "$needle" "stderr of setup --config with $name"
  vs_assert_not_contains "$VS_OUT" "Created" "stdout of setup --config with $name"
}

run_cases() {
  config_case unknown-key $'[layout]\ndata_root = "/data"\nbogus_key = 1' bogus_key
  config_case unknown-section $'[frobnicate]\nx = 1' frobnicate
  config_case unknown-cache $'[caches]\nmaven = "cache/maven"' maven
  config_case bad-group $'[layout]\ngroup = "Bad Name"' "Bad Name"
  config_case relative-root $'[layout]\ndata_root = "data"' data_root
  config_case bad-acl-mode $'[acl]\nmode = "maybe"' maybe
  config_case bad-model-name $'[models]\n"Big Model" = "models/big"' "Big Model"
  config_case escaping-cache $'[caches]\npip = "../etc"' "../etc"
  config_case absolute-cache $'[caches]\npip = "/etc"' pip
  config_case wrong-type $'[layout]\ngroup = 42' group
  config_case syntax-error $'[layout\ngroup = "gpu-users"' aicactl
  # A shared tree is made group-writable: never a system directory, a home or another tree;
  # the sharing group is never a system or administrators' group (issue 9, A.4).
  config_case cache-on-system $'[caches]\npip = "system"' caches.pip
  config_case cache-on-users $'[caches]\npip = "users"' caches.pip
  config_case cache-in-a-home $'[caches]\npip = "users/bob/.ssh"' caches.pip
  config_case model-on-apps $'[models]\nhuggingface = "apps"' models.huggingface
  config_case nested-caches $'[caches]\npip = "cache/uv/pip"' "cache/uv"
  config_case root-group $'[layout]\ngroup = "root"' layout.group
  config_case sudo-group $'[layout]\ngroup = "sudo"' layout.group
}

vs_step "bad configs on a fresh server"
vs_snapshot before
run_cases
vs_snapshot after
vs_assert_snapshot_same before after "bad configs on a fresh server"
vs_assert_fails 'getent group gpu-users' "group gpu-users after bad configs"
vs_assert_absent /data/cache

vs_step "a missing --config file is an error, not the defaults"
vs_aicactl --config /root/does-not-exist.toml setup
vs_assert_ne 0 "$VS_RC" "exit code of setup --config with a missing file"
vs_assert_contains "$VS_ERR" "/root/does-not-exist.toml" "stderr of setup --config with a missing file"
vs_assert_fails 'getent group gpu-users' "group gpu-users after a missing --config"

vs_step "bad configs on a set-up server"
vs_setup
vs_snapshot before2
run_cases
vs_aicactl --config /root/unknown-key.toml cache repair
vs_assert_rc 65 "cache repair --config with an unknown key"
vs_aicactl --config /root/unknown-key.toml doctor
vs_assert_rc 65 "doctor --config with an unknown key"
vs_snapshot after2
vs_assert_snapshot_same before2 after2 "bad configs on a set-up server"

vs_step "a good config is accepted"
vs_run "printf '%s\n' '[layout]' 'data_root = \"/data\"' 'group = \"gpu-users\"' '[acl]' 'mode = \"auto\"' > /root/good.toml"
vs_aicactl --config /root/good.toml --dry-run setup
vs_assert_rc 0 "setup --dry-run with a good config"
vs_aicactl --config /root/good.toml config show
vs_assert_rc 0 "config show with a good config"
vs_assert_contains "$VS_OUT" "gpu-users" "config show"
vs_pass
