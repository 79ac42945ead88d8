#!/usr/bin/env bash
# `aicactl install conda|uv`: a (fake) Miniconda installer from a local file and from a URL on a
# local HTTP server runs in batch mode into /data/apps/miniconda3 with umask 022 and a clean
# environment; the tree ends up root-owned and world-readable with the shared pkgs_dirs in its
# .condarc; a wrong checksum, a failing installer and a 404 install nothing; a re-run is a no-op;
# an unhealthy prefix is refused unless --force. uv and uvx from a release-like .tar.gz (with a
# planted symlink member) land root-owned 0755 in /data/apps/uv/bin, and login users find uv and
# conda. Without libcurl a URL fails cleanly.
source "$(dirname "$0")/lib/vserver.sh"
vs_main "$@"

PORT=8765
PREFIX=/data/apps/miniconda3
vs_boot
vs_setup
vs_run 'useradd -m -G gpu-users alice'

vs_step "fixtures: a fake installer, a failing one, a uv archive with a symlink member"
vs_run 'mkdir -p /srv/www /root/uvsrc/uv-x86_64-unknown-linux-gnu && cd /srv/www
cat > installer.sh <<"EOF"
#!/bin/bash
# A fake Miniconda/Miniforge installer: -b (batch), -u (update), -p PREFIX.
set -e
batch=0 update=0 prefix=
while [ $# -gt 0 ]; do
  case $1 in
    -b) batch=1 ;; -u) update=1 ;; -p) prefix=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[ "$batch" = 1 ] && [ -n "$prefix" ] || { echo "usage: -b -p PREFIX" >&2; exit 2; }
if [ -e "$prefix" ] && [ "$update" != 1 ]; then echo "ERROR: File or directory already exists: $prefix" >&2; exit 1; fi
mkdir -p "$prefix/bin" "$prefix/pkgs/zlib-1.3" "$prefix/etc/profile.d" "$prefix/private-dir"
printf "#!/bin/sh\n[ \"\$1\" = --version ] && { echo \"conda 99.1.0\"; exit 0; }\necho \"fake conda \$*\"\n" >"$prefix/bin/conda"
chmod 755 "$prefix/bin/conda"
printf "export CONDA_EXE=%s\nconda() { \"\$CONDA_EXE\" \"\$@\"; }\n" "$prefix/bin/conda" >"$prefix/etc/profile.d/conda.sh"
printf "channels:\n  - conda-forge\n" >"$prefix/.condarc"
echo data >"$prefix/pkgs/zlib-1.3/file"
echo private >"$prefix/pkgs/private-file"
chmod 600 "$prefix/pkgs/private-file"
chmod 700 "$prefix/private-dir"
umask >"$prefix/install-umask"
env >"$prefix/install-env"
echo "installed into $prefix"
EOF
cat > failing.sh <<"EOF"
#!/bin/bash
mkdir -p "${@: -1}/bin"; echo half >"${@: -1}/bin/partial"; echo "disk full" >&2; exit 3
EOF
d=/root/uvsrc/uv-x86_64-unknown-linux-gnu
printf "#!/bin/sh\necho \"uv 0.9.9\"\n" >$d/uv
printf "#!/bin/sh\necho \"uvx 0.9.9\"\n" >$d/uvx
chmod 700 $d/uv $d/uvx
ln -s /etc/shadow /root/uvsrc/uv
tar -C /root/uvsrc -czf /srv/www/uv.tar.gz uv uv-x86_64-unknown-linux-gnu
sha256sum installer.sh | cut -c1-64 >installer.sha256
sha256sum uv.tar.gz | cut -c1-64 >uv.sha256'
SHA="$(vs_run 'cat /srv/www/installer.sha256')"
UV_SHA="$(vs_run 'cat /srv/www/uv.sha256')"
UPPER_SHA="$(tr a-f A-F <<<"$SHA")"

# Runs aicactl ARGS while a local HTTP server serves /srv/www on 127.0.0.1:$PORT (one vs_run:
# its pid namespace ends with the command).
aicactl_with_http() {
  local q
  q="$(printf ' %q' "$@")"
  vs_try vs_run "ip link set lo up || { echo 'vserver: cannot bring up lo (ip, package iproute2)' >&2; exit 125; }
cd /srv/www && /usr/bin/python3 -m http.server --bind 127.0.0.1 $PORT >/tmp/http.log 2>&1 &
up=0
for i in \$(seq 100); do /usr/bin/python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", $PORT), 1)' 2>/dev/null && { up=1; break; }; sleep 0.1; done
[ \$up = 1 ] || { echo 'vserver: the local HTTP server did not come up' >&2; cat /tmp/http.log >&2; exit 125; }
cd / && aicactl$q"
  VS_LAST_CMD="aicactl$q (with a local HTTP server)"
}

vs_step "bad usage: a malformed --sha256 (64), no --installer (64)"
vs_aicactl install conda --installer /srv/www/installer.sh --sha256 abc
vs_assert_rc 64
vs_aicactl install conda
vs_assert_rc 64
vs_assert_absent "$PREFIX"

vs_step "--dry-run fetches and installs nothing"
vs_aicactl --dry-run install conda --installer "http://127.0.0.1:$PORT/installer.sh"
vs_assert_rc 0
vs_assert_contains "$VS_OUT" "Would download 'http://127.0.0.1:$PORT/installer.sh'" "dry-run output"
vs_assert_contains "$VS_OUT" "Would run 'bash INSTALLER -b -p $PREFIX'" "dry-run output"
vs_assert_absent "$PREFIX"

vs_step "a wrong --sha256 installs nothing (65) and leaves no staging dir"
vs_aicactl install conda --installer /srv/www/installer.sh --sha256 "$(printf '0%.0s' {1..64})"
vs_assert_rc 65
vs_assert_contains "$VS_ERR" "SHA-256 mismatch" "stderr"
vs_assert_absent "$PREFIX"
vs_assert_eq "" "$(vs_run 'ls /data/system | grep aicactl-install || true')" "staging dirs left in /data/system"

vs_step "a failing installer: exit 1, the prefix it created is removed"
vs_aicactl install conda --installer /srv/www/failing.sh
vs_assert_rc 1
vs_assert_contains "$VS_ERR" "disk full" "the installer's stderr is shown"
vs_assert_absent "$PREFIX"

vs_step "install from a local file (upper-case --sha256), with CONDA_*/PYTHON* in the caller's environment"
vs_try vs_run "umask 077; CONDA_PREFIX=/leak PYTHONPATH=/leak aicactl --json install conda --installer /srv/www/installer.sh --sha256 $UPPER_SHA"
vs_assert_rc 0
vs_assert_eq installed "$(vs_json 'j["status"]')" "status"
vs_assert_eq "conda 99.1.0" "$(vs_json 'j["version"]')" "version"
vs_assert_eq "$SHA" "$(vs_json 'j["sha256"]')" "sha256"
vs_assert_eq 0022 "$(vs_run "cat $PREFIX/install-umask")" "the installer's umask"
vs_assert_not_contains "$(vs_run "cat $PREFIX/install-env")" "leak" "the installer's environment"
vs_assert_stat "$PREFIX" '755 root root'
vs_assert_stat "$PREFIX/bin/conda" '755 root root'
vs_assert_stat "$PREFIX/pkgs/private-file" '644 root root'
vs_assert_stat "$PREFIX/private-dir" '755 root root'
condarc="$(vs_run "cat $PREFIX/.condarc")"
vs_assert_contains "$condarc" "conda-forge" "$PREFIX/.condarc keeps the installer's settings"
vs_assert_contains "$condarc" "/data/cache/conda/pkgs" "$PREFIX/.condarc pkgs_dirs"
vs_assert_stat "$PREFIX/.condarc" '644 root root'
vs_assert_as_ok alice "cat $PREFIX/pkgs/private-file && ls $PREFIX/private-dir" "alice reads the installed tree"
vs_assert_as_fails alice "touch $PREFIX/pkgs/x" "alice cannot write into the prefix"

vs_step "login users get conda (conda.sh from the profile script)"
vs_assert_as_ok alice 'conda --version'
vs_assert_eq "conda 99.1.0" "$VS_OUT" "conda --version as alice"

vs_step "a re-run is a no-op"
vs_snapshot before /data
vs_aicactl --json install conda --installer /srv/www/installer.sh
vs_assert_rc 0
vs_assert_eq already_installed "$(vs_json 'j["status"]')" "status of a re-run"
vs_aicactl install conda --installer /srv/www/installer.sh
vs_assert_contains "$VS_OUT" "already installed" "text of a re-run"
vs_snapshot after /data
vs_assert_snapshot_same before after "a re-run of install conda"

vs_step "an unhealthy prefix is refused, --force runs the installer over it (-u)"
vs_run "printf '#!/bin/sh\nexit 1\n' >$PREFIX/bin/conda"
vs_aicactl install conda --installer /srv/www/installer.sh
vs_assert_rc 1
vs_assert_contains "$VS_ERR" "--force" "the refusal names --force"
vs_assert_exists "$PREFIX/pkgs/zlib-1.3/file"
vs_aicactl install conda --force --installer /srv/www/installer.sh --sha256 "$SHA"
vs_assert_rc 0
vs_assert_eq "conda 99.1.0" "$(vs_run "$PREFIX/bin/conda --version")" "conda after --force"

if ! vs_run 'ldconfig -p | grep -q "libcurl\.so\.4 "'; then
  vs_log "libcurl.so.4 is not installed on the host: URL checks skipped"
else
  vs_step "install from a URL on a local HTTP server"
  vs_run "rm -rf $PREFIX"
  aicactl_with_http --json install conda --installer "http://127.0.0.1:$PORT/installer.sh" --sha256 "$SHA"
  vs_assert_rc 0
  vs_assert_eq installed "$(vs_json 'j["status"]')" "status of a URL install"
  vs_assert_eq "conda 99.1.0" "$(vs_run "$PREFIX/bin/conda --version")" "conda from a URL"

  vs_step "a 404 fails cleanly (exit 1), nothing installed"
  vs_run "rm -rf $PREFIX"
  aicactl_with_http install conda --installer "http://127.0.0.1:$PORT/missing.sh"
  vs_assert_rc 1
  vs_assert_contains "$VS_ERR" "404" "stderr of a 404"
  vs_assert_absent "$PREFIX"
  vs_assert_eq "" "$(vs_run 'ls /data/system | grep aicactl-install || true')" "staging dirs left after a 404"

  vs_step "a wrong checksum of a download (65), nothing installed"
  aicactl_with_http install uv --archive "http://127.0.0.1:$PORT/uv.tar.gz" --sha256 "$SHA"
  vs_assert_rc 65
  vs_assert_absent /data/apps/uv/bin/uv

  vs_step "uv from a URL"
  aicactl_with_http install uv --archive "http://127.0.0.1:$PORT/uv.tar.gz" --sha256 "$UV_SHA"
  vs_assert_rc 0
  vs_assert_stat /data/apps/uv/bin/uv '755 root root'
  vs_run 'rm -rf /data/apps/uv'

  vs_step "without libcurl a URL fails (exit 1) and says what to install"
  # Moved out of every library dir (ldconfig would re-link a renamed copy left in place).
  vs_run 'mkdir -p /root/hidden-libs && for d in /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/local/lib; do
    for f in "$d"/libcurl.so.4*; do [ -e "$f" ] && mv "$f" /root/hidden-libs/; done
  done; ldconfig; true'
  vs_assert_fails 'ldconfig -p | grep -q "libcurl\.so\.4 "' "libcurl.so.4 is hidden"
  aicactl_with_http install conda --installer "http://127.0.0.1:$PORT/installer.sh"
  vs_assert_rc 1
  vs_assert_contains "$VS_ERR" "apt-get install libcurl4" "stderr without libcurl"
  vs_assert_absent "$PREFIX"
  vs_run 'mv /root/hidden-libs/libcurl.so.4* /usr/lib/x86_64-linux-gnu/ && ldconfig'
fi

vs_step "uv from a local archive: only the regular uv/uvx, root 0755; the symlink member is ignored"
vs_aicactl --json install uv --archive /srv/www/uv.tar.gz --sha256 "$UV_SHA"
vs_assert_rc 0
vs_assert_eq installed "$(vs_json 'j["status"]')" "status"
vs_assert_eq "uv 0.9.9" "$(vs_json 'j["version"]')" "version"
for f in uv uvx; do
  vs_assert_stat "/data/apps/uv/bin/$f" '755 root root regular file' '%a %U %G %F'
done
vs_assert_stat /data/apps/uv '755 root root'
vs_assert_stat /data/apps/uv/bin '755 root root'
vs_assert_eq "uv uvx" "$(vs_run 'ls /data/apps/uv/bin | tr "\n" " " | sed "s/ $//"')" "files in /data/apps/uv/bin"
vs_assert_as_ok alice 'command -v uv'
vs_assert_eq /data/apps/uv/bin/uv "$VS_OUT" "uv on alice's PATH"
vs_assert_as_ok alice 'uvx'
vs_assert_eq "uvx 0.9.9" "$VS_OUT" "uvx as alice"

vs_step "uv again: unchanged"
vs_aicactl --json install uv --archive /srv/www/uv.tar.gz
vs_assert_rc 0
vs_assert_eq already_installed "$(vs_json 'j["status"]')" "status of a re-run"

vs_step "an archive without a regular uv (only the symlink) is refused (65)"
vs_run 'mkdir -p /root/bad && ln -sf /etc/shadow /root/bad/uv && tar -C /root/bad -czf /root/bad.tar.gz uv'
vs_aicactl install uv --archive /root/bad.tar.gz
vs_assert_rc 65
vs_assert_eq "uv 0.9.9" "$(vs_run '/data/apps/uv/bin/uv')" "uv is unchanged"

vs_step "install needs root"
vs_try vs_as alice "/usr/local/sbin/aicactl install uv --archive /srv/www/uv.tar.gz"
vs_assert_rc 77
vs_assert_contains "$VS_ERR" "must run as root" "stderr of a non-root install"
vs_pass
