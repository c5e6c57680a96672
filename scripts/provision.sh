#!/usr/bin/env bash
# Provision a booted lab: ansible-playbook -i <the lab's generated inventory> ansible/site.yml.
#
#   scripts/provision.sh [ansible-playbook args...]      (npm run provision -- -v)
#
# The lab is resolved like everywhere else (SWARM_LAB_FILE, SWARM_LAB_NAME, SWARM_LAB_DIR, ...);
# SWARM_LAB_INVENTORY names an inventory directly. SWARM_LAB_NETNS runs Ansible inside that
# network namespace (the offline lab's addresses live only there). Runs without a TTY.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

inventory=${SWARM_LAB_INVENTORY:-}
if [[ -z $inventory ]]; then
  if ! inventory=$(cd "$root" && node_modules/.bin/ts-node --transpile-only scripts/lab-path.ts inventory); then
    echo "provision: cannot resolve the lab (error above); fix the lab settings or set SWARM_LAB_INVENTORY" >&2
    exit 3
  fi
fi
if ! command -v ansible-playbook >/dev/null; then
  echo "provision: ansible-playbook not found; install Debian's ansible (bash scripts/deps-debian.sh)" >&2
  exit 5
fi

export ANSIBLE_CONFIG="$root/ansible/ansible.cfg"
cmd=(ansible-playbook -i "$inventory" "$root/ansible/site.yml" "$@")
if [[ -n ${SWARM_LAB_NETNS:-} && $(ip netns identify $$ 2>/dev/null || true) != "$SWARM_LAB_NETNS" ]]; then
  cmd=(ip netns exec "$SWARM_LAB_NETNS" "${cmd[@]}")
fi
echo "provision: ${cmd[*]}" >&2
# A named inventory, or a run that touches no host (--syntax-check, --list-*): no lab state to check.
if [[ -n ${SWARM_LAB_INVENTORY:-} || " $* " =~ \ --(syntax-check|list-tasks|list-hosts|list-tags)\  ]]; then
  if [[ ! -f $inventory ]]; then
    echo "provision: no inventory at $inventory; deploy the lab first (npm run lab writes it) or set SWARM_LAB_INVENTORY" >&2
    exit 4
  fi
  exec "${cmd[@]}"
fi
# The lab's own inventory: gate on its state (running) and hold its lock while the playbook runs.
cd "$root"
exec node_modules/.bin/ts-node --transpile-only scripts/lab-run.ts provision -- "${cmd[@]}"
