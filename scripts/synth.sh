#!/usr/bin/env bash
# `npm run synth [-- cdktf synth args]`: synthesize the lab (cdktf.out/) with the project's toolchain env
# (no telemetry lookup, the local OpenTofu and provider mirror), gated like lab.sh and destroy.sh
# (scripts/lab-run.ts: clash with another deployed lab, the per-lab lock).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=tf-env.sh
source scripts/tf-env.sh
export CI="${CI:-1}" FORCE_COLOR=0
exec node -r ts-node/register/transpile-only scripts/lab-run.ts synth -- npx cdktf synth "$@"
