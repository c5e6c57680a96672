#!/usr/bin/env bash
# Destroy the lab deployed by `npm run lab` (same lab resolution: SWARM_LAB_FILE, SWARM_LAB_* env).
# scripts/lab-run.ts gates it: a lab with nothing deployed is left as it is (one line, exit 0: no
# toolchain, no keys, no seed ISOs, no KVM probe); a busy lab is refused; the lock is held throughout.
set -euo pipefail
cd "$(dirname "$0")/.."
export CI="${CI:-1}" FORCE_COLOR=0 SWARM_LAB_PROVISION=0
# The embedded lab of `npm run lab` (no SWARM_LAB_FILE picks another): its destroy also takes its
# private libvirtd and network namespace down and proves nothing is left.
if [[ -z ${SWARM_LAB_FILE:-} && -f .lab/embedded.env ]]; then
  exec node -r ts-node/register/transpile-only scripts/lab-embedded.ts down
fi
# shellcheck disable=SC2016 # the inner bash expands TF_LOCK_ARGS after sourcing tf-env.sh
exec node -r ts-node/register/transpile-only scripts/lab-run.ts destroy -- bash -c '
  set -euo pipefail
  source scripts/tf-env.sh
  exec npx cdktf destroy --auto-approve "${TF_LOCK_ARGS[@]}"'
