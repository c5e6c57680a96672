#!/usr/bin/env bash
# The main job from a fresh clone: install npm deps, get the toolchain, deploy the lab
# (cdktf deploy: VMs, then Ansible: Docker, Swarm, service) and verify the packet path.
#   npm run lab                      default lab (the seed's: CentOS 7.9, Docker 24.0.7)
#   SWARM_LAB_FILE=my.yml npm run lab
# Uses tofu/terraform from PATH when SWARM_LAB_SYSTEM_TF=1, else builds OpenTofu + the provider
# from source (tools/toolchain.sh, cached in .toolchain/).
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n==> %s\n' "$*"; }

# shellcheck source=npm-deps.sh
source scripts/npm-deps.sh
lock=()
if [ "${SWARM_LAB_SYSTEM_TF:-0}" = 1 ]; then
  command -v tofu >/dev/null || command -v terraform >/dev/null ||
    { echo "swarm-lab: SWARM_LAB_SYSTEM_TF=1 but neither tofu nor terraform is on PATH" >&2; exit 1; }
else
  step "toolchain (OpenTofu + libvirt provider from source, cached)"
  bash tools/toolchain.sh
  # shellcheck source=/dev/null
  source .toolchain/env.sh
  # cdktf's provider lock asks the public registry; the local mirror has what we need.
  lock=(--skip-provider-lock)
fi
export CI="${CI:-1}" FORCE_COLOR=0
step "deploy (cdktf deploy: network, volumes, domains, then Ansible)"
npx cdktf deploy --auto-approve "${lock[@]}"
step "verify (discovery, captures, engine, reports)"
npm run -s verify -- "$@"
