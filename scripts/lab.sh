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
step "toolchain (OpenTofu + libvirt provider, cached; or SWARM_LAB_SYSTEM_TF=1)"
# shellcheck source=tf-env.sh
source scripts/tf-env.sh
export CI="${CI:-1}" FORCE_COLOR=0
# shellcheck disable=SC2016 # JavaScript, with its own template literals
node -r ts-node/register/transpile-only -e '
  try { require("./stacks/preflight").checkLibvirtSocket(require("./stacks/lab").resolveLab()); }
  catch (e) { console.error(`swarm-lab: ${e.message}`); process.exit(1); }'
step "deploy (cdktf deploy: network, volumes, domains, then Ansible)"
npx cdktf deploy --auto-approve "${TF_LOCK_ARGS[@]}"
step "verify (discovery, captures, engine, reports)"
npm run -s verify -- "$@"
