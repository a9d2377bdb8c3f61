#!/usr/bin/env bash
# Build the Debian VM test hosts (cgroup v2, a kernel of their own) for the VM molecule scenarios: per suite an
# ext4 filesystem on the whole disk (no partition table, no bootloader) plus the kernel and initrd for qemu's
# direct kernel boot, under .work/vm/img/<suite>/{base.qcow2,vmlinuz,initrd.img}, and the ed25519 key they trust
# (.work/vm/id_ed25519). Cached: a suite is rebuilt only when its stamp (hash of this script, so of the package
# list and hooks, and of the public key) changes. Installs qemu and mmdebstrap when missing (needs root).
# usage: tools/build-vm-images.sh [suite ...]   (default: bookworm trixie); prints the build seconds per suite
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VM=${HEADROOM_VM_DIR:-$ROOT/.work/vm}
SUITES=("$@"); [ $# -gt 0 ] || SUITES=(bookworm trixie)
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
# the podman test hosts' list (tools/build-images.sh), what a booted VM needs (kernel, initramfs, udev, sshd),
# libpam-systemd so that SSH sessions live in user.slice/session-N.scope as on real servers, and what the roles
# would install from the network, which a VM does not reach: systemd-oomd (early_warning, disabled here so that
# the role is the one that enables it) and python3-apt (Ansible's apt module)
PKGS=apt,python3,systemd,systemd-sysv,dbus,procps,iproute2,kmod,util-linux,e2fsprogs,btrfs-progs,gzip
PKGS=$PKGS,linux-image-amd64,initramfs-tools,zstd,udev,openssh-server,libpam-systemd,systemd-oomd,python3-apt
# the engines and the monitor the VM stage proves live (#27, #33), from Debian's packages like everything else:
# bookworm Docker (docker.io, docker-compose) and Netdata (1.37: trixie has no netdata package), trixie Podman; and
# busybox-static, whose binary is imported as the containers' tiny root filesystem (no registry). Installed
# disabled: the scenario starts them when it needs them, so the other checks' memory figures stay the VM's own.
declare -A EXTRA=(
  [bookworm]="docker.io,docker-compose,netdata-core,busybox-static"
  [trixie]="podman,crun,netavark,busybox-static"
)
SIZE=3G

for s in "${SUITES[@]}"; do
  [[ "$s" =~ ^[a-z]+$ ]] || { echo "build-vm-images: bad suite name '$s'" >&2; exit 2; }
done
need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
command -v qemu-img >/dev/null || need+=(qemu-utils)
command -v mmdebstrap >/dev/null || need+=(mmdebstrap)
command -v mkfs.ext4 >/dev/null || need+=(e2fsprogs)
if [ ${#need[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || { echo "build-vm-images: missing ${need[*]}; run as root to install them" >&2; exit 1; }
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi
mkdir -p "$VM/img"; chmod 700 "$VM"
# one build at a time: tools/molecule.sh starts one beside the podman lanes, and a second caller waits for it
# and then finds the images cached
exec 7>"$VM/build.lock"; flock 7
[ -f "$VM/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C headroom-vm-test -f "$VM/id_ed25519"
STAMP=$(cat "$0" "$VM/id_ed25519.pub" | sha256sum | cut -d' ' -f1)

build() {  # suite: prints 'vm image <suite>: built in N s' or '... cached'
  local suite=$1 out=$VM/img/$1 t0=$SECONDS
  if [ -f "$out/stamp" ] && [ "$(cat "$out/stamp")" = "$STAMP" ] && [ -f "$out/base.qcow2" ]; then
    echo "vm image $suite: cached ($out)"; return
  fi
  rm -rf "$out"; mkdir -p "$out/rootfs"
  # shellcheck disable=SC2016 # the hooks run in mmdebstrap, with $1 = the new root
  # docker without iptables and bridge (the containers use network none: nothing to NAT in a VM without a network),
  # written before the package is installed
  mmdebstrap --quiet --variant=minbase --include="$PKGS${EXTRA[$suite]:+,${EXTRA[$suite]}}" \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --essential-hook='mkdir -p "$1/etc/initramfs-tools/conf.d"; echo MODULES=most > "$1/etc/initramfs-tools/conf.d/modules"' \
    --essential-hook='mkdir -p "$1/etc/docker"; echo "{\"iptables\": false, \"ip-masq\": false, \"bridge\": \"none\"}" > "$1/etc/docker/daemon.json"' \
    --customize-hook='echo -n > "$1/etc/machine-id"; rm -f "$1/var/lib/dbus/machine-id"' \
    --customize-hook="echo vm-$suite > \"\$1/etc/hostname\"; printf '127.0.0.1 localhost\n127.0.1.1 vm-$suite\n' > \"\$1/etc/hosts\"" \
    --customize-hook='echo "/dev/vda / ext4 defaults,discard 0 1" > "$1/etc/fstab"' \
    --customize-hook='mkdir -p "$1/root/.ssh"; chmod 700 "$1/root/.ssh"' \
    --customize-hook="upload $VM/id_ed25519.pub /root/.ssh/authorized_keys" \
    --customize-hook='chmod 600 "$1/root/.ssh/authorized_keys"' \
    --customize-hook='printf "[Match]\nName=en*\n[Network]\nDHCP=ipv4\n" > "$1/etc/systemd/network/10-dhcp.network"' \
    --customize-hook='chroot "$1" systemctl enable systemd-networkd ssh' \
    --customize-hook='chroot "$1" systemctl disable systemd-oomd.service systemd-oomd.socket' \
    --customize-hook='for u in docker.service docker.socket containerd.service netdata.service podman.socket; do [ ! -e "$1/lib/systemd/system/$u" ] || chroot "$1" systemctl disable "$u"; done' \
    --customize-hook='ln -sf /dev/null "$1/etc/systemd/system/getty@tty1.service"' \
    --customize-hook='chroot "$1" apt-get clean' \
    "$suite" "$out/rootfs" "$MIRROR"
  cp "$out"/rootfs/boot/vmlinuz-* "$out/vmlinuz"; cp "$out"/rootfs/boot/initrd.img-* "$out/initrd.img"
  mkfs.ext4 -q -L root -d "$out/rootfs" "$out/base.raw" "$SIZE"
  qemu-img convert -O qcow2 "$out/base.raw" "$out/base.qcow2"
  rm -rf "$out/rootfs" "$out/base.raw"
  echo "$STAMP" > "$out/stamp"
  echo "vm image $suite: built in $((SECONDS-t0)) s ($out)"
}
pids=(); for s in "${SUITES[@]}"; do build "$s" & pids+=($!); done
rc=0; for p in "${pids[@]}"; do wait "$p" || rc=1; done
exit $rc
