#!/usr/bin/env bash
# Build one bootable lab VM image from Debian packages (called by build.sh
# inside a private mount namespace).
#
#   vm-image.sh <flavour.conf> <out dir> <work dir> <deb cache dir>
#
# Writes <out>/disk.qcow2 (ext4 on the whole disk, no partition table),
# <out>/vmlinuz, <out>/initrd.img (direct kernel boot), <out>/packages.lst and
# <out>/docker-version. Prints one timing line per phase.
# A flavour with ENGINE=<docker version> carries that engine built from source by e2e/engine
# (binaries from $ENGINE_BIN, systemd units from engine-rootfs/) instead of Debian's docker.io.
set -euo pipefail

CONF=$1 OUT=$2 WORK=$3 DEBS=$4
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NAME=$(basename "$CONF" .conf)
MIRROR=${SWARM_LAB_DEBIAN_MIRROR:-http://deb.debian.org/debian}
# Root filesystem size; per-node overlays may be larger (cloud-init resizefs grows it).
DISK_SIZE=${SWARM_LAB_IMAGE_DISK_SIZE:-6G}
# shellcheck source=/dev/null
source "$CONF"
: "${SUITE:?$CONF sets no SUITE}" "${DOCKER_VERSION:?$CONF sets no DOCKER_VERSION}"
EXTRA_PACKAGES=${EXTRA_PACKAGES:-}
ENGINE=${ENGINE:-}
if [[ -n $ENGINE ]]; then
  : "${ENGINE_BIN:?ENGINE=$ENGINE needs ENGINE_BIN (build.sh sets it from e2e/engine/build.sh)}"
fi
R=$WORK/rootfs

log() { printf '[images] %s: %s\n' "$NAME" "$*" >&2; }
die() { printf '[images] %s: error: %s\n' "$NAME" "$*" >&2; exit 1; }

phase() {
  local what=$1 t0 rc=0
  shift
  t0=$EPOCHREALTIME
  "$@" || rc=$?
  log "phase $what $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')s$([[ $rc == 0 ]] || echo " FAILED (exit $rc)")"
  return $rc
}

# Debian's engine packages, replaced by the source-built engine in ENGINE flavours.
ENGINE_PACKAGES_RE='^(docker\.io|docker-cli|containerd|runc)$'

packages() {
  local drop='^$'
  [[ -z $ENGINE ]] || drop=$ENGINE_PACKAGES_RE
  sed -e 's/#.*//' -e 's/[[:space:]]//g' "$HERE/packages.txt" | grep -v '^$' | grep -Ev "$drop"
  for p in $EXTRA_PACKAGES; do echo "$p"; done
}

in_root() { LC_ALL=C DEBIAN_FRONTEND=noninteractive chroot "$R" "$@"; }

clean_work() {
  # Refuse to delete through a live mount (a bind of /dev or the deb cache).
  if findmnt -rn -o TARGET | grep -q "^$WORK"; then
    die "mounts remain under $WORK; unmount them first (findmnt | grep $WORK)"
  fi
  rm -rf "$WORK"
}

# The deb cache is shared by every flavour: apt and debootstrap lock it for a whole run, so builds of two
# flavours at once queue on this lock instead of failing on apt's own ("Could not get lock").
lock_debs() {
  exec {DEBS_LOCK}>"$DEBS.lock"
  flock -w 3600 "$DEBS_LOCK" || die "another image build has held $DEBS.lock for over an hour"
}
unlock_debs() { exec {DEBS_LOCK}>&-; }

do_debootstrap() {
  mkdir -p "$DEBS" "$WORK"
  lock_debs
  debootstrap --variant=minbase --components=main --cache-dir="$DEBS" \
    "$SUITE" "$R" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 ||
    { tail -n 30 "$WORK/debootstrap.log" >&2; die "debootstrap $SUITE from $MIRROR failed (log: $WORK/debootstrap.log)"; }
  unlock_debs
}

do_packages() {
  # Daemons must not start inside the chroot.
  printf '#!/bin/sh\nexit 101\n' >"$R/usr/sbin/policy-rc.d"
  chmod 755 "$R/usr/sbin/policy-rc.d"
  # Docs, man pages and translations are dead weight on a lab node.
  cat >"$R/etc/dpkg/dpkg.cfg.d/swarm-lab-nodoc" <<'EOF'
path-exclude=/usr/share/doc/*
path-include=/usr/share/doc/*/copyright
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/locale/*
path-include=/usr/share/locale/locale.alias
EOF
  mount -t proc proc "$R/proc"
  mount -t sysfs sysfs "$R/sys"
  mount --bind /dev "$R/dev"
  mount --bind /dev/pts "$R/dev/pts"
  # The deb cache is shared by every flavour and by debootstrap.
  mkdir -p "$DEBS/partial"
  lock_debs
  mount --bind "$DEBS" "$R/var/cache/apt/archives"
  local rc=0
  {
    # The mirror may serve a suite whose Release is past Valid-Until (a
    # frozen sid); debootstrap already verified its signature.
    local pkgs
    mapfile -t pkgs < <(packages)
    in_root apt-get -o Acquire::Check-Valid-Until=false update &&
      in_root apt-get install -y --no-install-recommends -o Dpkg::Use-Pty=0 "${pkgs[@]}"
  } >"$WORK/apt.log" 2>&1 || rc=$?
  umount "$R/var/cache/apt/archives" "$R/dev/pts" "$R/dev" "$R/sys" "$R/proc"
  unlock_debs
  [[ $rc == 0 ]] || { tail -n 30 "$WORK/apt.log" >&2; die "apt-get install in the $SUITE chroot failed (exit $rc, log: $WORK/apt.log)"; }
  rm -f "$R/usr/sbin/policy-rc.d"
}

install_engine() {
  local b
  for b in dockerd docker-proxy containerd containerd-shim-runc-v2 runc docker; do
    install -m 0755 "$ENGINE_BIN/$b" "$R/usr/bin/$b" || die "engine binary $ENGINE_BIN/$b missing"
  done
  cp -a "$HERE/engine-rootfs/." "$R/"
  mkdir -p "$R/etc/swarm-lab"
  cp "$ENGINE_BIN/../engine.json" "$R/etc/swarm-lab/engine.json"
  # docker.socket hands the socket to group docker, as Debian's docker.io postinst sets up.
  in_root getent group docker >/dev/null || in_root groupadd --system docker || die "groupadd docker failed in the chroot"
}

do_configure() {
  [[ -z $ENGINE ]] || install_engine
  cp -a "$HERE/rootfs/." "$R/"
  # debootstrap copied the build host's resolver; the lab gateway (libvirt's
  # dnsmasq on the isolated network) answers fast and never leaks.
  rm -f "$R/etc/resolv.conf"
  echo 'nameserver 10.211.55.1' >"$R/etc/resolv.conf"
  echo '/dev/vda / ext4 defaults,noatime 0 0' >"$R/etc/fstab"
  echo localhost >"$R/etc/hostname"
  # Per-VM identity is created at first boot: machine-id, SSH host keys
  # (cloud-init installs the pinned ones from user-data ssh_keys).
  : >"$R/etc/machine-id"
  rm -f "$R/var/lib/dbus/machine-id" "$R"/etc/ssh/ssh_host_*
  rm -rf "$R/var/lib/cloud" "$R/var/lib/docker" "$R/etc/docker/key.json"
  in_root systemctl enable ssh.service docker.service containerd.service systemd-networkd.service >/dev/null 2>&1 ||
    die "systemctl enable failed in the chroot"
  # dockerd loads its own AppArmor profile; the boot-time profile load costs ~25 s under TCG.
  # Timers that would reach for the network or churn the disk of a short-lived lab node.
  # cloud-init's config and final stages: nothing to do for a lab (see rootfs cloud.cfg.d/90-swarm-lab.cfg).
  # Boot work a lab node never uses, each 2-8 s of a loaded TCG boot (systemd-analyze blame): the
  # ipvsadm rules service (Docker programs IPVS itself), binfmt, and modprobe@ units for drm,
  # efi_pstore, fuse, loop and dm_mod (no display, EFI, FUSE, loop or device-mapper storage).
  local u
  for u in apparmor.service apt-daily.timer apt-daily-upgrade.timer e2scrub_reap.service e2scrub_all.timer fstrim.timer \
    cloud-config.service cloud-final.service ipvsadm.service systemd-binfmt.service proc-sys-fs-binfmt_misc.automount \
    modprobe@drm.service modprobe@efi_pstore.service modprobe@fuse.service modprobe@loop.service modprobe@dm_mod.service; do
    in_root systemctl mask "$u" >/dev/null 2>&1 || true
  done
  rm -rf "$R"/var/lib/apt/lists/* "$R"/var/cache/apt/*.bin "$R"/tmp/* "$R"/var/log/*.log
  local ci="$R/usr/lib/python3/dist-packages/cloudinit/net"
  if [[ ! -f $ci/networkd.py ]]; then
    # cloud-init before 21.x (bullseye's 20.4) has no networkd renderer and refuses an unknown one:
    # such a node booted without any address. Render for ifupdown instead (its `eni` renderer;
    # ifupdown comes with that cloud-init), sourcing the directory cloud-init writes into.
    [[ -f $ci/eni.py && -x $R/sbin/ifup ]] ||
      die "$SUITE's cloud-init has neither the networkd renderer nor eni with ifupdown; add ifupdown to EXTRA_PACKAGES in $CONF"
    printf '%s\n' '# swarm-lab: this cloud-init has no networkd renderer (see e2e/images/vm-image.sh)' \
      'system_info:' '  network:' '    renderers: [eni]' >"$R/etc/cloud/cloud.cfg.d/91-swarm-lab-eni.cfg"
    grep -qs 'interfaces.d' "$R/etc/network/interfaces" ||
      printf '%s\n' 'auto lo' 'iface lo inet loopback' 'source /etc/network/interfaces.d/*' >"$R/etc/network/interfaces"
    # shellcheck disable=SC2016 # dpkg-query's own ${field} format, not shell
    log "cloud-init $(in_root dpkg-query -W -f '${Version}' cloud-init) has no networkd renderer: network rendered for ifupdown (eni)"
  elif ! grep -qs "10-cloud-init-" "$ci/networkd.py"; then
    # The rendered networkd file must match the IPv6AcceptRA drop-in's name.
    log "WARNING: cloud-init's networkd renderer does not name files 10-cloud-init-<if>.network; the IPv6AcceptRA=no drop-in will not apply"
  fi
}

do_record() {
  # shellcheck disable=SC2016 # dpkg-query's own ${field} format, not shell
  in_root dpkg-query -W -f '${Package} ${Version}\n' >"$WORK/packages.lst"
  local v
  if [[ -n $ENGINE ]]; then
    v=$("$R/usr/bin/dockerd" --version | sed -n 's/^Docker version \([^,]*\),.*/\1/p')
  else
    # shellcheck disable=SC2016 # dpkg-query's own ${field} format, not shell
    v=$(in_root dpkg-query -W -f '${Version}' docker.io)
  fi
  echo "$v" >"$WORK/docker-version"
  if [[ $v != "$DOCKER_VERSION"* ]]; then
    log "WARNING: $SUITE carries docker.io $v, the image name promises $DOCKER_VERSION; update $CONF and IMAGES in stacks/lab.ts"
  fi
  log "$([[ -n $ENGINE ]] && echo "engine from source" || echo docker.io) $v, $(wc -l <"$WORK/packages.lst") packages, kernel $(basename "$R"/boot/vmlinuz-*)"
}

do_image() {
  local ks is k i
  # Globs sort; the last is the newest kernel.
  ks=("$R"/boot/vmlinuz-*) is=("$R"/boot/initrd.img-*)
  k=${ks[-1]} i=${is[-1]}
  [[ -f $k && -f $i ]] || die "no kernel or initrd in $R/boot"
  cp "$k" "$WORK/vmlinuz"
  cp "$i" "$WORK/initrd.img"
  mkfs.ext4 -q -F -L swl-root -d "$R" "$WORK/disk.raw" "$DISK_SIZE" ||
    die "mkfs.ext4 -d $R failed (rootfs larger than $DISK_SIZE? set SWARM_LAB_IMAGE_DISK_SIZE)"
  qemu-img convert -O qcow2 "$WORK/disk.raw" "$WORK/disk.qcow2"
  rm -f "$WORK/disk.raw"
}

do_publish() {
  mkdir -p "$OUT"
  local f
  for f in disk.qcow2 vmlinuz initrd.img packages.lst docker-version; do mv -f "$WORK/$f" "$OUT/$f"; done
  chmod 0644 "$OUT"/*
}

phase clean clean_work
phase debootstrap do_debootstrap
phase packages do_packages
phase configure do_configure
phase record do_record
phase image do_image
phase publish do_publish
phase cleanup clean_work
