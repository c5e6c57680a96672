#!/usr/bin/env bash
# Regenerate the committed CDKTF provider bindings in .gen/ from the locally built provider,
# without any registry access: `cdktf get` runs `tofu init` + `tofu providers schema -json`
# against the filesystem mirror that tools/toolchain.sh fills.
#
# Reproducible: the provider is pinned in cdktf.json (registry.terraform.io/dmacvicar/libvirt@=0.8.3,
# fully qualified because cdktf 0.21 mis-matches short sources under OpenTofu), the generator is
# pinned in package-lock.json (cdktf-cli), and the schema comes from the pinned provider build.
# Running it twice gives byte-identical output; `git diff --stat .gen` shows any drift.
#
# Usage: tools/gen-bindings.sh            regenerate .gen/
#        tools/gen-bindings.sh --check    generate into a temp dir and fail if .gen/ differs
set -euo pipefail
mode="${1:-write}"
case "$mode" in write|--check) ;; *) echo "usage: $0 [--check]" >&2; exit 2;; esac

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

"$ROOT/tools/toolchain.sh"
# shellcheck source=/dev/null
source "$ROOT/.toolchain/env.sh"

[ -x node_modules/.bin/cdktf ] || { echo "gen-bindings: node_modules/.bin/cdktf missing; run 'npm ci' first" >&2; exit 1; }

# No telemetry, no update checks, no colour codes in logs.
export CHECKPOINT_DISABLE=1 DISABLE_VERSION_CHECK=1 CI=1 FORCE_COLOR=0 CDKTF_DISABLE_PLUGIN_CACHE_ENV=1

t0=$(date +%s)
if [ "$mode" = --check ]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  node_modules/.bin/cdktf get --force --language typescript --output "$tmp/gen" >/dev/null
  if ! diff -r .gen "$tmp/gen" >"$tmp/diff"; then
    head -n 40 "$tmp/diff" >&2
    echo "gen-bindings: .gen differs from a fresh 'cdktf get'; run tools/gen-bindings.sh and commit .gen" >&2
    exit 1
  fi
  echo "gen-bindings: .gen matches a fresh generation ($(( $(date +%s) - t0 )) s)" >&2
  exit 0
fi
rm -rf .gen
node_modules/.bin/cdktf get --force --language typescript
echo "gen-bindings: .gen regenerated in $(( $(date +%s) - t0 )) s with $(tofu version | head -1)" >&2
