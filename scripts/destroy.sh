#!/usr/bin/env bash
# Destroy the lab deployed by `npm run lab` (same lab resolution: SWARM_LAB_FILE, SWARM_LAB_* env).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=tf-env.sh
source scripts/tf-env.sh
export CI="${CI:-1}" FORCE_COLOR=0 SWARM_LAB_PROVISION=0
npx cdktf destroy --auto-approve "${TF_LOCK_ARGS[@]}"
