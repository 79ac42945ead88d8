#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The binary needs nothing but glibc (it runs from /data on a bare, re-imaged OS): ldd lists only
# the vDSO, the loader, libc and libm. NVML and libcurl are dlopen()ed, SQLite is linked statically.
set -euo pipefail
bin=${AICACTL_BIN:?}
libs=$(ldd "$bin" | awk '{print $1}')
extra=$(grep -vxE 'linux-vdso\.so\.1|/lib64/ld-linux-x86-64\.so\.2|libc\.so\.6|libm\.so\.6' <<<"$libs" || true)
if [[ -n $extra ]]; then
  echo "$bin needs more than glibc:" >&2
  echo "$extra" >&2
  exit 1
fi
