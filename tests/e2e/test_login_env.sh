#!/usr/bin/env bash
# After setup, every user's login environment sends pip, npm, conda, uv, yarn and the model
# libraries to the shared dirs on /data, and per-user things (HF token, triton/torch
# extension caches) into the user's home. Checks real clients (pip, npm), under both the
# image's default login shell (/bin/sh = dash) and bash.
source "$(dirname "$0")/lib/vserver.sh"
vs_main "$@"
command -v npm >/dev/null || vs_skip "npm is not installed on the host"
/usr/bin/python3 -m pip --version >/dev/null 2>&1 || vs_skip "python3-pip is not installed on the host"

vs_boot
# Asked before setup: afterwards npm run as root would write its logs into the shared cache.
npm_globalconfig="$(vs_run 'npm config get globalconfig 2>/dev/null')"
vs_log "npm globalconfig: $npm_globalconfig"
vs_step "setup"
vs_setup

vs_step "accounts: alice (default shell), carol (bash)"
vs_run 'useradd -m -G gpu-users alice && useradd -m -s /bin/bash -G gpu-users carol'

vs_step "the profile script is silent and POSIX"
for u in alice carol; do
  vs_assert_as_ok "$u" 'true' "login shell"
  vs_assert_eq "" "$VS_ERR" "stderr of a login shell of $u (errors from /etc/profile.d/aicactl.sh?)"
done
vs_assert_ok 'dash -n /etc/profile.d/aicactl.sh' "/etc/profile.d/aicactl.sh parses with dash"

for u in alice carol; do
  vs_step "login environment of $u"
  vs_try vs_as "$u" 'printf "%s\n" "HF_HOME=$HF_HOME" "TORCH_HOME=$TORCH_HOME" "PIP_CACHE_DIR=$PIP_CACHE_DIR" \
    "UV_CACHE_DIR=$UV_CACHE_DIR" "CONDA_PKGS_DIRS=$CONDA_PKGS_DIRS" "NPM_CONFIG_CACHE=$NPM_CONFIG_CACHE" \
    "YARN_CACHE_FOLDER=$YARN_CACHE_FOLDER" "HF_TOKEN_PATH=$HF_TOKEN_PATH" \
    "TRITON_CACHE_DIR=$TRITON_CACHE_DIR" "TORCH_EXTENSIONS_DIR=$TORCH_EXTENSIONS_DIR"'
  vs_assert_rc 0
  env_of() { sed -n "s/^$1=//p" <<<"$VS_OUT"; }
  vs_assert_eq /data/models/huggingface "$(env_of HF_HOME)" "\$HF_HOME of $u"
  vs_assert_eq /data/models/torch "$(env_of TORCH_HOME)" "\$TORCH_HOME of $u"
  vs_assert_eq /data/cache/pip "$(env_of PIP_CACHE_DIR)" "\$PIP_CACHE_DIR of $u"
  vs_assert_eq /data/cache/uv "$(env_of UV_CACHE_DIR)" "\$UV_CACHE_DIR of $u"
  vs_assert_eq /data/cache/conda/pkgs "$(env_of CONDA_PKGS_DIRS)" "\$CONDA_PKGS_DIRS of $u"
  vs_assert_eq /data/cache/npm "$(env_of NPM_CONFIG_CACHE)" "\$NPM_CONFIG_CACHE of $u"
  vs_assert_eq /data/cache/yarn "$(env_of YARN_CACHE_FOLDER)" "\$YARN_CACHE_FOLDER of $u"
  for v in HF_TOKEN_PATH TRITON_CACHE_DIR TORCH_EXTENSIONS_DIR; do
    vs_assert_match "^/home/$u/." "$(env_of $v)" "\$$v of $u (per-user, under the home)"
  done

  vs_step "real clients of $u"
  vs_try vs_as "$u" '/usr/bin/python3 -m pip cache dir'
  vs_assert_rc 0
  vs_assert_eq /data/cache/pip "$VS_OUT" "pip cache dir of $u"
  vs_try vs_as "$u" 'npm config get cache'
  vs_assert_rc 0
  vs_assert_eq /data/cache/npm "$VS_OUT" "npm config get cache of $u"
done

vs_step "the config files alone (no environment variables) point at the shared caches"
vs_try vs_as alice 'env -u PIP_CACHE_DIR /usr/bin/python3 -m pip cache dir'
vs_assert_rc 0
vs_assert_eq /data/cache/pip "$VS_OUT" "pip cache dir from /etc/pip.conf only"
vs_try vs_as alice 'env -u NPM_CONFIG_CACHE npm config get cache'
vs_assert_rc 0
vs_assert_eq /data/cache/npm "$VS_OUT" "npm cache from npm's globalconfig ($npm_globalconfig) only"
vs_try vs_run '/usr/bin/python3 -c "import tomllib; print(tomllib.load(open(\"/etc/uv/uv.toml\", \"rb\"))[\"cache-dir\"])"'
vs_assert_rc 0
vs_assert_eq /data/cache/uv "$VS_OUT" "cache-dir in /etc/uv/uv.toml"
vs_assert_contains "$(vs_run 'cat /etc/conda/.condarc')" "/data/cache/conda/pkgs" "/etc/conda/.condarc (pkgs_dirs)"
for f in /etc/profile.d/aicactl.sh /etc/pip.conf /etc/conda/.condarc /etc/uv/uv.toml "$npm_globalconfig"; do
  vs_assert_stat "$f" '644 root root'
  vs_assert_as_ok alice "cat $f >/dev/null" "alice reads $f"
done
vs_assert_stat /data/system/bin/aicactl '755 root root'
vs_pass
