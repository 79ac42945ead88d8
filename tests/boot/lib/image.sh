# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# The cached root image (sourced by vm.sh). Its key is a hash of the recipe (the functions
# vm_recipe and vm_configure_rootfs, as bash prints them) and of apt's sources: a change to either
# builds a new image.

# Sets VM_IMAGE_DIR (base.raw, vmlinuz, initrd.img) to the cached image, building it when needed.
vm_image() {
  local -a repos
  # shellcheck disable=SC2016 # apt's own $(FIELD) placeholders
  mapfile -t repos < <(apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT) $(IDENTIFIER)' \
    | awk -v s="$VM_SUITE" '$4 == "Packages" && $3 == "main" && ($2 == s || index($2, s "-") == 1) { print $1, $2 }' | sort -u)
  local mirror="" r
  for r in "${repos[@]}"; do
    [[ ${r#* } == "$VM_SUITE" ]] && mirror=${r% *}
  done
  [[ -n $mirror ]] || vm_skip "apt has no '$VM_SUITE main' repository to build the image from"
  local key
  key=$({
    declare -f vm_recipe vm_configure_rootfs
    printf '%s\n' "${repos[@]}"
  } | sha256sum | cut -c1-12)
  VM_IMAGE_DIR=$VM_CACHE/$VM_SUITE-$key
  install -d -m 0700 "$VM_CACHE"
  exec 8>"$VM_CACHE/lock"
  flock -w 3600 8 || vm_fail "another run has held $VM_CACHE/lock for an hour"
  if [[ -f $VM_IMAGE_DIR/complete ]]; then
    vm_log "image $VM_IMAGE_DIR (cached)"
  else
    local t=$SECONDS rootfs
    vm_log "building image $VM_IMAGE_DIR: debootstrap $VM_SUITE from $mirror"
    rm -rf --one-file-system -- "$VM_IMAGE_DIR" "$VM_IMAGE_DIR.tmp" "$VM_CACHE"/rootfs.*
    rootfs=$(mktemp -d "$VM_CACHE/rootfs.XXXXXX")
    vm_recipe "$rootfs" "$mirror" "$VM_IMAGE_DIR.tmp" "${repos[@]}"
    rm -rf --one-file-system -- "$rootfs" "$VM_CACHE/debootstrap.log"
    touch "$VM_IMAGE_DIR.tmp/complete"
    mv -- "$VM_IMAGE_DIR.tmp" "$VM_IMAGE_DIR"
    vm_log "image built in $((SECONDS - t)) s"
  fi
  # Images of another recipe or mirror unused for a week only take disk space (a week: the
  # fresh-check container shares this cache and may compute another key).
  touch "$VM_IMAGE_DIR/complete"
  local old
  for old in "$VM_CACHE/$VM_SUITE"-*; do
    [[ -d $old && $old != "$VM_IMAGE_DIR" ]] || continue
    [[ -n $(find "$old/complete" -mtime -7 2>/dev/null) ]] || rm -rf --one-file-system -- "$old"
  done
  exec 8>&-
}

# vm_recipe ROOTFS MIRROR OUT REPO...: debootstraps ROOTFS and makes OUT/{base.raw,vmlinuz,initrd.img}.
vm_recipe() {
  local rootfs=$1 mirror=$2 out=$3 r
  shift 3
  debootstrap --variant=minbase \
    --include=systemd,systemd-sysv,udev,openssh-server,sudo,acl,python3-pip,linux-image-amd64,initramfs-tools,kmod,iproute2 \
    "$VM_SUITE" "$rootfs" "$mirror" >"$VM_CACHE/debootstrap.log" 2>&1 \
    || { tail -n 20 "$VM_CACHE/debootstrap.log" >&2; vm_fail "debootstrap failed (log: $VM_CACHE/debootstrap.log)"; }
  for r in "$@"; do printf 'deb %s %s main\n' "${r% *}" "${r#* }"; done >"$rootfs/etc/apt/sources.list"
  vm_configure_rootfs "$rootfs"
  install -d -m 0700 "$out"
  cp -- "$rootfs"/boot/vmlinuz-* "$out/vmlinuz"
  cp -- "$rootfs"/boot/initrd.img-* "$out/initrd.img"
  mkfs.ext4 -q -L aicactl-root -d "$rootfs" "$out/base.raw" 3G || vm_fail "mkfs.ext4 -d failed"
}

# vm_configure_rootfs DIR: what the image needs to boot to an SSH login on its own.
vm_configure_rootfs() {
  local r=$1
  echo aicactl-vm >"$r/etc/hostname"
  printf '127.0.0.1 localhost\n127.0.1.1 aicactl-vm\n' >"$r/etc/hosts"
  # A placeholder: vm_pristine writes the golden image's own fstab over it (changing this line
  # would only rebuild the image).
  cat >"$r/etc/fstab" <<'EOF'
/dev/vda / ext4 rw,errors=remount-ro 0 1
LABEL=aicactl-data /data ext4 defaults,nofail,x-systemd.device-timeout=20s 0 2
EOF
  install -d -m 0755 "$r/data"
  # Static address on QEMU's user network: no DHCP wait.
  cat >"$r/etc/systemd/network/10-eth0.network" <<'EOF'
[Match]
Name=eth0 en*

[Network]
Address=10.0.2.15/24
Gateway=10.0.2.2
EOF
  ln -sf /lib/systemd/system/systemd-networkd.service "$r/etc/systemd/system/multi-user.target.wants/systemd-networkd.service"
  install -d "$r/etc/systemd/system/sockets.target.wants"
  ln -sf /lib/systemd/system/systemd-networkd.socket "$r/etc/systemd/system/sockets.target.wants/systemd-networkd.socket"
  # Keys only; no DNS lookups of the client.
  printf 'PasswordAuthentication no\nUseDNS no\n' >"$r/etc/ssh/sshd_config.d/aicactl-vm.conf"
  install -d -m 0700 "$r/root/.ssh"
  rm -f -- "$r"/var/cache/apt/archives/*.deb "$r"/var/lib/apt/lists/*_Packages
}
