# shellcheck shell=bash
# SPDX-License-Identifier: Apache-2.0
# Debian root file systems built with debootstrap from the mirror apt already uses, cached as
# tarballs keyed by their recipe and apt's repositories (no registry is ever needed).
# Source it, then:
#   debian_repos SUITE             fills DEB_REPOS ("URI SUITE" of each main repository of SUITE:
#                                  the release, its updates and security) and DEB_MIRROR (the
#                                  release's URI); returns 1 when apt has none
#   debian_rootfs_tarball SUITE INCLUDE CACHE RECIPE [CUSTOMIZE]
#                                  prints the path of CACHE/rootfs-SUITE-KEY.tar, building it
#                                  first when missing: debootstrap --variant=minbase
#                                  (--include=INCLUDE unless empty), sources.list with each main
#                                  repository, no package cache; CUSTOMIZE (a function) gets the
#                                  root's path before it is packed. RECIPE (change it when the
#                                  tarball's content changes) and DEB_REPOS make the KEY; older
#                                  tarballs in CACHE are removed. Messages go to stderr.

debian_repos() {
  local suite=$1 r
  # shellcheck disable=SC2016 # apt's own $(FIELD) placeholders
  mapfile -t DEB_REPOS < <(apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT) $(IDENTIFIER)' \
    | awk -v s="$suite" '$4 == "Packages" && $3 == "main" && ($2 == s || index($2, s "-") == 1) { print $1, $2 }' | sort -u)
  DEB_MIRROR=""
  for r in "${DEB_REPOS[@]}"; do
    [[ ${r#* } == "$suite" ]] && DEB_MIRROR=${r% *}
  done
  [[ -n $DEB_MIRROR ]]
}

debian_rootfs_tarball() {
  local suite=$1 include=$2 cache=$3 recipe=$4 customize=${5:-}
  debian_repos "$suite" || {
    printf "debian-rootfs: apt has no '%s main' repository to build from\n" "$suite" >&2
    return 1
  }
  local key tarball root r
  key=$(printf '%s\n' "$recipe" "$include" "${DEB_REPOS[@]}" | sha256sum | cut -c1-12)
  tarball=$cache/rootfs-$suite-$key.tar
  if [[ ! -s $tarball ]]; then
    install -d -m 0700 "$cache"
    root=$(mktemp -d /var/tmp/aicactl-rootfs.XXXXXX)
    printf 'debian-rootfs: debootstrap --variant=minbase%s %s from %s\n' "${include:+ --include=$include}" "$suite" "$DEB_MIRROR" >&2
    if ! debootstrap --variant=minbase ${include:+"--include=$include"} "$suite" "$root" "$DEB_MIRROR" >"$root.log" 2>&1; then
      tail -n 20 "$root.log" >&2
      printf "debian-rootfs: debootstrap failed (log: %s)\n" "$root.log" >&2
      rm -rf --one-file-system -- "$root"
      return 1
    fi
    rm -f -- "$root.log"
    for r in "${DEB_REPOS[@]}"; do printf 'deb %s %s main\n' "${r% *}" "${r#* }"; done >"$root/etc/apt/sources.list"
    rm -rf --one-file-system -- "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    if [[ -n $customize ]] && ! "$customize" "$root"; then
      rm -rf --one-file-system -- "$root"
      return 1
    fi
    tar -C "$root" -cf "$tarball.tmp" . && mv -f -- "$tarball.tmp" "$tarball"
    rm -rf --one-file-system -- "$root"
    find "$cache" -maxdepth 1 -name "rootfs-$suite-*.tar" ! -name "${tarball##*/}" -delete
  fi
  printf '%s\n' "$tarball"
}
