#!/usr/bin/env bash
# Give the lab's client address to the lab network's bridge inside the lab's
# namespace and make it the source of traffic to the lab subnet, so ssh,
# curl and tcpdump run with `ip netns exec` act as the seed's client host.
# Run after the libvirt network exists (the stacks create it).
#
#   e2e/host/client-addr.sh <lab> <libvirt network> [address/prefix]
#                                        address defaults to 10.211.55.2/24
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB=${1:?usage: client-addr.sh <lab> <libvirt network> [address/prefix]}
NET=${2:?usage: client-addr.sh <lab> <libvirt network> [address/prefix]}
ADDR=${3:-10.211.55.2/24}
# shellcheck source=lib.sh
source "$HERE/lib.sh"
host_init
ns_exists || die "netns $NS does not exist; run e2e/host/up.sh $LAB first"

br=$(virsh_lab net-info "$NET" 2>/dev/null | awk '$1 == "Bridge:" {print $2}') ||
  true
[[ -n $br ]] || die "libvirt network '$NET' not found on $URI (virsh net-list --all); deploy the stacks first"
# The bridge appears when the network starts; wait a bounded while.
for ((i = 0; i < 100; i++)); do
  ip -n "$NS" link show dev "$br" >/dev/null 2>&1 && break
  ((i < 99)) || die "bridge $br of network $NET not present in $NS after 10 s (virsh net-start $NET?)"
  sleep 0.1
done
ip -n "$NS" addr replace "$ADDR" dev "$br"
# The subnet route libvirt's address created; rewrite its preferred source.
subnet=$(ip -n "$NS" -4 route show dev "$br" proto kernel scope link | awk 'NR == 1 {print $1}')
[[ -n $subnet ]] || die "no subnet route on $br in $NS"
ip -n "$NS" route replace "$subnet" dev "$br" proto kernel scope link src "${ADDR%/*}"
log "client ${ADDR} on $br (network $NET) in $NS; source for $subnet"
