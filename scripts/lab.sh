#!/usr/bin/env bash
# The main job from a fresh clone: install npm deps, get the toolchain, deploy the lab
# (cdktf deploy: VMs, then Ansible: Docker, Swarm, service) and verify the packet path.
#   npm run lab                      default lab (the seed's: CentOS 7.9, Docker 24.0.7)
#   SWARM_LAB_FILE=my.yml npm run lab
# The default lab on a machine without a system libvirtd (or where the CentOS image can be neither
# found nor downloaded) falls back to the embedded lab: a private libvirtd in the lab's own network
# namespace with the offline Debian image (stacks/lab-host.ts decides, scripts/lab-embedded.ts runs
# it; SWARM_LAB_HOST=system|embedded forces one). It stays up until `npm run destroy`.
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
ts() { node -r ts-node/register/transpile-only "$@"; }
host=$(ts scripts/lab-embedded.ts decide)
if [[ $host == embedded ]]; then
  step "embedded lab (offline image, private libvirtd in its own netns, cdktf deploy, Ansible)"
  ts scripts/lab-embedded.ts up
else
  step "deploy (cdktf deploy: network, volumes, domains, then Ansible)"
  # lab-run: state, clash with other labs, libvirt preflight, the per-lab lock (scripts/lab-run.ts).
  ts scripts/lab-run.ts lab -- npx cdktf deploy --auto-approve "${TF_LOCK_ARGS[@]}"
fi
step "verify (discovery, captures, engine, reports)"
rc=0
npm run -s verify -- "$@" || rc=$?
if [[ $host == embedded ]]; then
  printf '\nThe embedded lab stays up: npm run verify, npm run ssh -- node-10 [command], reports under .lab/<lab>/reports; npm run destroy ends it.\n'
fi
exit "$rc"
