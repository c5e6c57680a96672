#!/usr/bin/env bash
# Destroy the lab deployed by `npm run lab` (same lab resolution: SWARM_LAB_FILE, SWARM_LAB_* env).
set -euo pipefail
cd "$(dirname "$0")/.."
lock=()
if [ "${SWARM_LAB_SYSTEM_TF:-0}" != 1 ]; then
  bash tools/toolchain.sh
  # shellcheck source=/dev/null
  source .toolchain/env.sh
  lock=(--skip-provider-lock)
fi
export CI="${CI:-1}" FORCE_COLOR=0 SWARM_LAB_PROVISION=0
npx cdktf destroy --auto-approve "${lock[@]}"
