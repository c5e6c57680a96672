#!/usr/bin/env bash
# The CI and scheduling recipes (npm run lint): actionlint on .github/workflows (with shellcheck on every
# `run:` block; config .github/actionlint.yaml) and systemd-analyze verify on the nightly units.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .toolchain/bin/actionlint ] || bash tools/toolchain.sh
command -v shellcheck >/dev/null || {
  echo "lint-ci: shellcheck not installed (actionlint checks run: blocks with it); run scripts/deps-debian.sh" >&2
  exit 5
}
.toolchain/bin/actionlint -shellcheck "$(command -v shellcheck)"
echo "actionlint: $(find .github/workflows -name '*.yml' | wc -l) workflows clean"
if command -v systemd-analyze >/dev/null; then
  # Relative paths: verify the unit files themselves, not installed units of the same name.
  (cd e2e/nightly && systemd-analyze verify ./swarm-lab-nightly.service ./swarm-lab-nightly.timer)
  echo "systemd-analyze: nightly units clean"
else
  echo "systemd-analyze: not installed, nightly units not checked" >&2
fi
