#!/usr/bin/env bash
# Run a command against the lab: as it is, or, when `npm run lab` fell back to the embedded lab
# (.lab/embedded.env exists) and no SWARM_LAB_FILE picks another, with that lab's exports inside
# its network namespace (its addresses exist only there).
#   scripts/in-lab.sh <command> [args...]
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z ${SWARM_LAB_FILE:-} && -f .lab/embedded.env ]]; then
  # shellcheck source=/dev/null
  source .lab/embedded.env
  exec ip netns exec "$SWARM_LAB_NETNS" "$@"
fi
exec "$@"
