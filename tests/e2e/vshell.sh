#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Developer tool: boots a throw-away virtual server with the binary under test installed
# (AICACTL_BIN, default build/aicactl) and runs each argument as a root shell command inside,
# printing its output and exit code. Not a test; nothing persists.
#   tests/e2e/vshell.sh 'aicactl setup' 'getfacl /data/cache/pip'
source "$(dirname "$0")/lib/vserver.sh"
vs_main "$@"
vs_boot >/dev/null
for cmd in "$@"; do
  printf '\n# %s\n' "$cmd"
  rc=0
  vs_run "$cmd" || rc=$?
  printf '# exit %s\n' "$rc"
done
exit 0
