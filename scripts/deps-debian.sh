#!/usr/bin/env bash
# Debian packages the test suite (and the local offline lab) needs. Idempotent; run as root.
# Used by .ci/run and named in the README's prerequisites.
set -euo pipefail
PKGS=(
  # verify: capture and cross-check decoders
  tcpdump tshark
  # SSH harness: real sshd in test namespaces
  openssh-server openssh-client iproute2 iptables
  # libvirtd inside a namespace for `tofu plan` tests and the local lab
  libvirt-daemon-system libvirt-clients qemu-system-x86 qemu-utils dnsmasq-base
  # NoCloud seed ISOs and offline images
  genisoimage debootstrap
  # the libvirt provider applies domain/network XSLT with xsltproc; binutils assembles the KVM probe
  xsltproc binutils curl
  # provisioning (ansible-core 2.14 still manages CentOS 7's Python 2.7)
  ansible ansible-lint
  # npm run lint checks every shell script
  shellcheck
  # HTML report rendering check
  chromium fonts-dejavu-core
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps-debian: all ${#PKGS[@]} packages present"
  exit 0
fi
echo "deps-debian: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps-debian: done"
