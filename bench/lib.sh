# SPDX-License-Identifier: Apache-2.0
# Shared by bench/run.sh and bench/du.sh (sourced, not run): finding the binaries, a work dir on
# a real disk that is removed on exit, and an aicactl config confined to that work dir.
# The sourcing script sets `repo` (this checkout) and `die` (prints and exits 2) first.
# shellcheck shell=bash disable=SC2154  # repo comes from the sourcing script

# bench_bin NAME VALUE: VALUE when set (an env override), else build-bench/NAME, else build/NAME.
bench_bin() {
  if [[ -n $2 ]]; then
    [[ -x $2 ]] || die "$2 is not an executable"
    echo "$2"
    return
  fi
  local d
  for d in build-bench build; do
    if [[ -x $repo/$d/$1 ]]; then
      echo "$repo/$d/$1"
      return
    fi
  done
  die "no $1 binary: build it (cmake --build build-bench --target $1) or set the env var"
}

# bench_workdir TAG: W=$(mktemp -d $BENCH_TMP/aicactl-TAG.XXXXXX) on a real disk (tmpfs is
# refused: it would time memory, not a file system), removed on exit unless BENCH_KEEP=1.
# Sets W and FSTYPE.
bench_workdir() {
  local parent
  parent=$(cd "${BENCH_TMP:-/var/tmp}" 2>/dev/null && pwd -P) || die "no directory ${BENCH_TMP:-/var/tmp}"
  FSTYPE=$(stat -f -c %T "$parent")
  [[ $FSTYPE != tmpfs && $FSTYPE != ramfs ]] ||
    die "$parent is $FSTYPE; set BENCH_TMP to a directory on a real disk"
  W=$(mktemp -d "$parent/aicactl-$1.XXXXXX")
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

bench_cleanup() {
  if [[ ${BENCH_KEEP:-0} == 1 ]]; then
    echo "kept $W"
    return
  fi
  # Deleting is slow where the file system is mounted with `discard` (each freed file waits for
  # its discard): remove disjoint subtrees in parallel so that the waits overlap.
  find "$W" -mindepth 4 -maxdepth 4 -type d -print0 2>/dev/null |
    xargs -0 -r -n 64 -P 16 rm -rf -- 2>/dev/null || true
  rm -rf -- "$W"
}

# bench_config AICACTL [GROUP]: writes CONFIG=$W/aicactl.toml: data_root, lock_dir, log_file and
# alert_log inside $W, every cache and model tree disabled but pip (<W>/data/cache/pip); <W>/data
# is no mount point, so it gets a volume stamp and [recover] require_mount = false. Refuses to
# go on unless aicactl accepts it and its effective config names no host path.
bench_config() {
  local aicactl=$1 group=${2:-} show
  CONFIG="$W/aicactl.toml"
  mkdir -p "$W/data/cache" "$W/data/system" "$W/run"
  printf 'id=%s\n' "$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" >"$W/data/system/volume-id"
  {
    echo "[layout]"
    echo "data_root = \"$W/data\""
    [[ -z $group ]] || echo "group = \"$group\""
    cat <<EOF2
[caches]
pip = "cache/pip"
conda = ""
uv = ""
npm = ""
yarn = ""
[models]
huggingface = ""
torch = ""
[recover]
require_mount = false
[system]
lock_dir = "$W/run"
log_file = "$W/aicactl.log"
[disk]
alert_log = "$W/aicactl-disk.log"
EOF2
  } >"$CONFIG"
  if ! show=$("$aicactl" --config "$CONFIG" config show 2>&1); then
    echo "$show" >&2
    die "aicactl rejected the bench config $CONFIG"
  fi
  # No admin file merged in, no default path left: data_root, lock_dir and log_file as written,
  # no quoted host path anywhere.
  if ! grep -qxF "data_root = \"$W/data\"" <<<"$show" || ! grep -qxF "lock_dir = \"$W/run\"" <<<"$show" ||
    ! grep -qxF "log_file = \"$W/aicactl.log\"" <<<"$show" || grep -Eq '"/(data|etc|run|var/log)' <<<"$show"; then
    echo "$show" >&2
    die "the effective config is not confined to $W; refusing to run"
  fi
}
