#!/usr/bin/env bash
# Evaluate a libvirt provider 0.9.x source tree against what swarm-lab needs (README "Libvirt provider 0.9"):
# build it (codegen + go build, dependencies from the Go module proxy), read its schema, validate and apply
# tools/provider-eval/node.tf (one lab node hand-ported to the 0.9 schema) against a private libvirtd in its
# own network namespace (e2e/host/up.sh), the domain defined but not started, and report from libvirt's
# own XML what the port would get: the network's gateway address, DHCP, graphics, the disk driver types,
# the kernel command line, drift on a second plan, and where the NIC sits (the lab needs PCI 00:05.0, the
# slot that names it enp0s5). Everything is destroyed and the host taken down at the end.
#
# Usage: tools/provider-eval.sh <provider-source-dir> <version e.g. 0.9.7>
#   The source dir is a checkout of github.com/dmacvicar/terraform-provider-libvirt at that tag (the Go
#   module proxy cannot serve 0.9.x: its go.mod says .../v2 while the tags are v0.9.x).
# Exit: 0 the node came out as the lab needs it, 1 it did not (the report says what), 3 usage, 5 environment.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
src=${1:-} ver=${2:-}
[[ -n $src && -d $src/internal/codegen && $ver =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || {
  echo "usage: tools/provider-eval.sh <provider-source-dir> <version e.g. 0.9.7>" >&2
  exit 3
}
src=$(cd "$src" && pwd)
TOFU=$ROOT/.toolchain/bin/tofu
for t in go "$TOFU" qemu-img genisoimage virsh ip; do
  command -v "$t" >/dev/null || { echo "provider-eval: $t not found (tools/toolchain.sh, scripts/deps-debian.sh)" >&2; exit 5; }
done
[[ $(id -u) == 0 ]] || { echo "provider-eval: needs root (a network namespace and a private libvirtd)" >&2; exit 5; }

W=$(mktemp -d /tmp/swl-provider-eval.XXXX)
LAB=peval$$
NS=swl-$LAB
say() { printf 'provider-eval: %s\n' "$*"; }
tf() { ip netns exec "$NS" env TF_CLI_CONFIG_FILE="$W/tofurc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 "$TOFU" -chdir="$W/lab" "$@"; }
up=0
vars=()
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
  if ((up)); then
    tf destroy -no-color -auto-approve -input=false "${vars[@]}" >"$W/destroy.log" 2>&1 || say "destroy failed: $W/destroy.log"
    SWARM_LAB_HOST_ROOT=$W/host bash e2e/host/down.sh "$LAB" --purge >/dev/null 2>&1 || say "host down failed"
  fi
  if [[ -s $W/destroy.log ]] && grep -q 'Destroy complete' "$W/destroy.log"; then rm -rf "$W"; else say "logs kept in $W"; fi
}
trap cleanup EXIT

plugin=$W/plugins/registry.terraform.io/dmacvicar/libvirt/$ver/linux_amd64
mkdir -p "$plugin" "$W/lab"
t0=$(date +%s)
(cd "$src" && CGO_ENABLED=0 nice -n 10 go run ./internal/codegen >"$W/codegen.log" 2>&1 &&
  CGO_ENABLED=0 nice -n 10 go build -trimpath -ldflags "-s -w" -o "$plugin/terraform-provider-libvirt_v$ver" .) ||
  { say "build of $src failed (logs in $W)"; exit 5; }
say "built $ver from $src in $(($(date +%s) - t0)) s"
printf 'provider_installation {\n  filesystem_mirror {\n    path    = "%s"\n    include = ["registry.terraform.io/dmacvicar/libvirt"]\n  }\n}\ndisable_checkpoint = true\n' \
  "$W/plugins" >"$W/tofurc"
sed "s/@VERSION@/$ver/" tools/provider-eval/node.tf >"$W/lab/main.tf"
# The files the node's volumes upload: never booted, so a blank base disk and stand-in kernel/initrd do.
qemu-img create -q -f qcow2 "$W/lab/base.qcow2" 64M
head -c 4096 /dev/zero >"$W/lab/vmlinuz"
head -c 4096 /dev/zero >"$W/lab/initrd.img"
mkdir "$W/lab/seed"
printf 'instance-id: node-10\n' >"$W/lab/seed/meta-data"
printf '#cloud-config\n{}\n' >"$W/lab/seed/user-data"
printf 'version: 2\n' >"$W/lab/seed/network-config"
(cd "$W/lab/seed" && genisoimage -quiet -output ../seed.iso -volid cidata -joliet -rock user-data meta-data network-config)

env_out=$(SWARM_LAB_HOST_ROOT=$W/host bash e2e/host/up.sh "$LAB") || { say "private libvirtd did not come up"; exit 5; }
up=1
uri=$(sed -n "s/^export SWARM_LAB_LIBVIRT_URI='\(.*\)'$/\1/p" <<<"$env_out")
pool=$(sed -n "s/^export SWARM_LAB_POOL='\(.*\)'$/\1/p" <<<"$env_out")
vars=(-var "uri=$uri" -var "pool=$pool" -var "files=$W/lab" -var "bridge=swl-$LAB")
tf init -no-color -input=false >"$W/init.log" 2>&1 || { say "tofu init failed: $W/init.log"; exit 5; }
tf providers schema -json >"$W/schema.json"
tf validate -no-color >"$W/validate.log" 2>&1 || { say "tofu validate rejects node.tf: $(tr '\n' ' ' <"$W/validate.log")"; exit 1; }
tf apply -no-color -auto-approve -input=false "${vars[@]}" >"$W/apply.log" 2>&1 || { say "apply failed: $(grep -m1 Error "$W/apply.log")"; exit 1; }
tf plan -no-color -detailed-exitcode -input=false "${vars[@]}" >"$W/plan2.log" 2>&1 && drift=none || drift="plan exit $?"

net=$(virsh -q -c "$uri" net-dumpxml eval-net)
dom=$(virsh -q -c "$uri" dumpxml eval-node-10)
nic=$(sed -n '/<interface/,/<\/interface>/p' <<<"$dom" | grep -o "<address type='pci'[^>]*>" || true)
fails=0
check() { # check <ok?> <what>
  if [[ $1 == yes ]]; then say "ok   $2"; else say "FAIL $2"; fails=$((fails + 1)); fi
}
check "$(grep -q "<ip address='10.211.55.254' prefix='24'" <<<"$net" && echo yes)" "network gateway 10.211.55.254 set directly (no XSLT)"
check "$(grep -q '<dhcp' <<<"$net" || echo yes)" "network without DHCP"
check "$(grep -q '<graphics' <<<"$dom" || echo yes)" "domain without graphics (no XSLT)"
check "$(grep -q "<driver name='qemu' type='qcow2'/>" <<<"$dom" && echo yes)" "node disk as qcow2"
check "$(grep -q '<cmdline>root=/dev/vda rw console=ttyS0 net.ifnames=1 ip=' <<<"$dom" && echo yes)" "kernel command line verbatim"
check "$([[ $drift == none ]] && echo yes)" "second plan: no changes ($drift)"
check "$(grep -q "bus='0x00' slot='0x05'" <<<"$nic" && echo yes)" "NIC at PCI 00:05.0 (enp0s5): libvirt put it at ${nic:-no address}"
say "$fails check(s) failed; provider $ver, node.tf applied to libvirtd in netns $NS, all destroyed"
exit $((fails ? 1 : 0))
