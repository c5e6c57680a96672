#!/usr/bin/env bash
# Boot one lab VM image on a private libvirt host and check what the lab
# relies on; print boot timings. A benchmark/smoke script, not a unit test.
#
#   e2e/images/smoke.sh <image name> [--keep] [--web]
#
# Brings up host `smoke-<pid>` (e2e/host/up.sh), an isolated network
# 10.211.55.1/24, one domain shaped like the stacks' (stacks/lab-node.ts: type
# qemu, q35, direct kernel boot with ip=, virtio disk overlay, NoCloud seed ISO
# as virtio vdb, virtio NIC at 00:05.0) with the lab's cloud-init documents
# (stacks/cloud-init.ts: hostname, MAC-matched NIC named enp0s5, static IP,
# root key, pinned ed25519 host key, /etc/hosts by write_files), then:
#   sshd answers on 10.211.55.10 with the pinned host key (StrictHostKeyChecking=yes)
#   hostname, enp0s5 with the address, dockerd answers with the image's version
#   --web: docker load .cache/images/web/web.tar, run it, curl it from the netns
# Prints: boot->sshd, sshd->dockerd-ready, the guest's own systemd-analyze.
# Tears everything down (unless --keep) also on failure or Ctrl-C.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
IMAGE=${1:?usage: smoke.sh <image name> [--keep] [--web]}
shift
KEEP=0 WEB=0
for a in "$@"; do
  case $a in --keep) KEEP=1 ;; --web) WEB=1 ;; *) echo "unknown option $a" >&2; exit 2 ;; esac
done
CACHE=${SWARM_LAB_IMAGE_CACHE:-$ROOT/.cache/images}
IMG=$CACHE/$IMAGE
LAB=smoke-$$
NODE=node-10 IP=10.211.55.10 MAC=52:54:00:d3:37:0a NET=smoke
SSH_TIMEOUT=${SWARM_LAB_SMOKE_SSH_TIMEOUT:-420}
[[ -f $HERE/flavours/$IMAGE.conf ]] || { echo "unknown image $IMAGE; known: $(cd "$HERE/flavours" && printf '%s ' *.conf | sed 's/\.conf / /g')" >&2; exit 2; }
# shellcheck source=/dev/null
EXPECT_DOCKER=$(source "$HERE/flavours/$IMAGE.conf" && echo "$DOCKER_VERSION")

log() { printf '[smoke %s] %s\n' "$IMAGE" "$*" >&2; }
die() { printf '[smoke %s] FAIL: %s\n' "$IMAGE" "$*" >&2; exit 1; }
now() { echo "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

for f in disk.qcow2 vmlinuz initrd.img; do [[ -s $IMG/$f ]] || die "$IMG/$f missing; run e2e/images/build.sh $IMAGE"; done

cleanup() {
  local rc=$?
  if [[ $KEEP == 1 ]]; then
    log "kept: source $HOST_DIR/env; ip netns exec $NS ssh -i $W/id root@$IP; e2e/host/down.sh $LAB"
  else
    # Logs stay for a failed run (.cache/host/<lab>/log), go with a passed one.
    local purge=()
    [[ $rc == 0 ]] && purge=(--purge)
    "$ROOT/e2e/host/down.sh" "$LAB" "${purge[@]}" >/dev/null 2>&1 ||
      log "teardown of $LAB failed; run e2e/host/down.sh $LAB"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

eval "$("$ROOT/e2e/host/up.sh" "$LAB")"
NS=$SWARM_LAB_NETNS HOST_DIR=$SWARM_LAB_HOST_DIR
export LIBVIRT_DEFAULT_URI
W=$HOST_DIR/pool/$NODE
mkdir -p "$W"

# Keys: the lab's user key and the node's pinned host key.
ssh-keygen -q -t ed25519 -N '' -C smoke-user -f "$W/id"
ssh-keygen -q -t ed25519 -N '' -C "$NODE" -f "$W/hostkey"
echo "$IP $(cut -d' ' -f1,2 "$W/hostkey.pub")" >"$W/known_hosts"

# NoCloud seed, the same shape the stacks write.
cat >"$W/user-data" <<EOF
#cloud-config
hostname: $NODE
fqdn: $NODE
preserve_hostname: false
manage_etc_hosts: false
users:
  - name: root
    ssh_authorized_keys:
      - $(cat "$W/id.pub")
disable_root: false
ssh_pwauth: false
ssh_deletekeys: true
ssh_genkeytypes: []
ssh_keys:
  ed25519_private: |
$(sed 's/^/    /' "$W/hostkey")
  ed25519_public: $(cat "$W/hostkey.pub")
write_files:
  - path: /etc/hosts
    permissions: '0644'
    content: |
      127.0.0.1 localhost
      $IP $NODE
EOF
printf 'instance-id: %s-%s\nlocal-hostname: %s\n' "$LAB" "$NODE" "$NODE" >"$W/meta-data"
cat >"$W/network-config" <<EOF
version: 2
ethernets:
  enp0s5:
    match:
      macaddress: "$MAC"
    set-name: enp0s5
    dhcp4: false
    dhcp6: false
    addresses: [$IP/24]
    gateway4: 10.211.55.1
    nameservers:
      addresses: [10.211.55.1]
EOF
genisoimage -quiet -output "$W/seed.iso" -volid cidata -joliet -rock "$W/user-data" "$W/meta-data" "$W/network-config"
qemu-img create -q -f qcow2 -F qcow2 -b "$IMG/disk.qcow2" "$W/disk.qcow2" 20G

# The stacks' shape: the image's cmdline plus a static ip= (stacks/lab-node.ts kernelCmdline).
# SWARM_LAB_SMOKE_CMDLINE_EXTRA appends arguments (to measure e.g. apparmor=0 or quiet).
CMDLINE="root=/dev/vda rw console=ttyS0 net.ifnames=1 mitigations=off quiet ip=$IP::10.211.55.1:255.255.255.0:$NODE:enp0s5:off${SWARM_LAB_SMOKE_CMDLINE_EXTRA:+ $SWARM_LAB_SMOKE_CMDLINE_EXTRA}"
cat >"$W/net.xml" <<EOF
<network><name>$NET</name><bridge name='br-$NET' stp='off'/><ip address='10.211.55.1' netmask='255.255.255.0'/></network>
EOF
cat >"$W/domain.xml" <<EOF
<domain type='qemu'>
  <name>$LAB-$NODE</name>
  <memory unit='MiB'>2048</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <kernel>$IMG/vmlinuz</kernel>
    <initrd>$IMG/initrd.img</initrd>
    <cmdline>$CMDLINE</cmdline>
  </os>
  <features><acpi/></features>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='$W/disk.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='$W/seed.iso'/>
      <target dev='vdb' bus='virtio'/>
    </disk>
    <interface type='network'>
      <source network='$NET'/>
      <mac address='$MAC'/>
      <model type='virtio'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x05' function='0x0'/>
    </interface>
    <serial type='file'>
      <source path='$W/console.log'/>
      <target port='0'/>
    </serial>
    <rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
virsh -q net-define "$W/net.xml" >/dev/null && virsh -q net-start "$NET" >/dev/null
virsh -q define "$W/domain.xml" >/dev/null

SSH=(ip netns exec "$NS" ssh -i "$W/id" -o IdentitiesOnly=yes -o BatchMode=yes -o ConnectTimeout=3
  -o UserKnownHostsFile="$W/known_hosts" -o StrictHostKeyChecking=yes -o LogLevel=ERROR "root@$IP")

t_start=$(now)
virsh -q start "$LAB-$NODE" >/dev/null
log "started $LAB-$NODE (netns $NS); waiting up to ${SSH_TIMEOUT}s for sshd"
# Bounded poll; a host-key mismatch fails fast (it never fixes itself).
deadline=$((SECONDS + SSH_TIMEOUT))
until out=$("${SSH[@]}" true 2>&1); do
  if [[ $out == *"REMOTE HOST IDENTIFICATION HAS CHANGED"* || $out == *"Host key verification failed"* ]]; then
    die "sshd on $IP presents a host key other than the pinned one: $out"
  fi
  ((SECONDS < deadline)) || { tail -n 30 "$W/console.log" >&2; die "no sshd on $IP after ${SSH_TIMEOUT}s (last: $out; console: $W/console.log)"; }
  sleep 1
done
t_ssh=$(since "$t_start")
t_sshd_at=$(now)
log "boot->sshd ${t_ssh}s (pinned host key accepted)"

deadline=$((SECONDS + 180))
until ver=$("${SSH[@]}" docker info --format '{{.ServerVersion}}' 2>/dev/null); do
  ((SECONDS < deadline)) || die "dockerd on $NODE not ready 180s after sshd ($("${SSH[@]}" systemctl status docker 2>&1 | tail -n 5))"
  sleep 1
done
t_docker=$(since "$t_sshd_at")
log "sshd->dockerd-ready ${t_docker}s (docker $ver)"

host=$("${SSH[@]}" hostname)
[[ $host == "$NODE" ]] || die "hostname is '$host', user-data said $NODE"
addr=$("${SSH[@]}" ip -4 -o addr show dev enp0s5 2>&1) || die "no interface enp0s5 in the guest: $("${SSH[@]}" ip -br link)"
[[ $addr == *"$IP/24"* ]] || die "enp0s5 lacks $IP/24: $addr"
[[ ${ver%%+*} == "$EXPECT_DOCKER" ]] || die "docker server version $ver, image promises $EXPECT_DOCKER"
ra=$("${SSH[@]}" cat /proc/sys/net/ipv6/conf/enp0s5/accept_ra 2>/dev/null || echo '?')
log "ok: hostname $host, enp0s5 $IP/24, docker $ver, kernel $("${SSH[@]}" uname -r)"
"${SSH[@]}" 'systemd-analyze 2>/dev/null | head -n 1; systemd-analyze blame 2>/dev/null | head -n 8; cloud-init analyze show 2>/dev/null | grep -E "^Finished stage|Total Time" | head; systemctl --failed --no-legend' |
  sed 's/^/[guest] /' >&2 || true
"${SSH[@]}" 'networkctl status enp0s5 2>/dev/null | grep -iE "network file|state"' | sed 's/^/[guest] /' >&2 || true

if [[ $WEB == 1 ]]; then
  tar=$CACHE/web/web.tar
  [[ -s $tar ]] || die "$tar missing; run e2e/images/build.sh web"
  t0=$(now)
  ip netns exec "$NS" scp -q -i "$W/id" -o IdentitiesOnly=yes -o BatchMode=yes -o UserKnownHostsFile="$W/known_hosts" \
    -o StrictHostKeyChecking=yes "$tar" "root@$IP:/root/web.tar"
  "${SSH[@]}" 'docker load -i /root/web.tar' >&2
  "${SSH[@]}" "mkdir -p /srv/page && echo 'Host IP is $IP' >/srv/page/index.html &&
    docker run -d --name web -p 8080:80 -v /srv/page:/usr/share/nginx/html:ro swarm-lab-web:1" >/dev/null
  deadline=$((SECONDS + 60))
  until page=$(ip netns exec "$NS" curl -fsS --max-time 3 "http://$IP:8080/"); do
    ((SECONDS < deadline)) || die "web container on $IP:8080 does not answer ($("${SSH[@]}" docker logs web 2>&1 | tail -n 3))"
    sleep 1
  done
  [[ $page == "Host IP is $IP" ]] || die "web answered '$page', expected 'Host IP is $IP'"
  t1=$(now)
  "${SSH[@]}" docker rm -f web >/dev/null
  log "web: load+run+first answer $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')s, docker rm -f $(since "$t1")s; page '$page'"
fi
echo "SMOKE $IMAGE${SWARM_LAB_SMOKE_CMDLINE_EXTRA:+ (+$SWARM_LAB_SMOKE_CMDLINE_EXTRA)} boot_to_sshd_s=$t_ssh sshd_to_dockerd_s=$t_docker docker=$ver accept_ra=$ra"
