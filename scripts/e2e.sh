#!/usr/bin/env bash
# `npm run e2e` / `e2e:matrix` / `e2e:clean` from a fresh clone: npm deps first, then the runner.
#   scripts/e2e.sh run|matrix [args...]
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=npm-deps.sh
source scripts/npm-deps.sh
what=$1
shift
exec node -r ts-node/register/transpile-only "e2e/$what.ts" "$@"
