#!/usr/bin/env bash
# Write the pin record e2e/engine/releases/<docker>.json for one Docker release, read from the
# release's own files as the Go module proxy serves them:
#   containerd, runc   hack/dockerfile/install/{containerd,runc}.installer (25.x-28.x), else the
#                      Dockerfile's ARG CONTAINERD_VERSION / RUNC_VERSION (29.x dropped the installers)
#   Go                 the Dockerfile's ARG GO_VERSION (what upstream built with; we build with the local Go)
#   docker CLI         github.com/docker/cli at the same version when the proxy serves it, else
#                      the newest served CLI (it negotiates the API down to the daemon's)
#   29.x (moby/moby/v2 v2.0.0-beta.N): the release it is comes from releases/versions.yaml `last`
#                      and must equal the requested version.
# Every module is probed with `go mod download`; one the proxy does not serve fails here with one line.
# Each entry of `substitutions` (component, module, pinned, used, why) becomes a go.mod replace in
# that component's build: only where the used version is the same code or compiles unchanged.
# Usage: e2e/engine/pin.sh <docker-version> [<daemon-module>@<version>]
#   e2e/engine/pin.sh 25.0.5
#   e2e/engine/pin.sh 29.8.0 github.com/moby/moby/v2@v2.0.0-beta.24
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
die() { printf 'engine pin: %s\n' "$*" >&2; exit 3; }
[ $# -ge 1 ] || die "usage: e2e/engine/pin.sh <docker-version> [<daemon-module>@<version>]"
docker="$1"
daemon="${2:-github.com/docker/docker@v$docker+incompatible}"
dmod="${daemon%@*}" dver="${daemon#*@}"

# modir <module> <version> -> module dir, or one line naming what the proxy refused
modir() {
  local out
  out="$(go mod download -json "$1@$2" 2>&1)" || true
  local dir; dir="$(jq -r '.Dir // empty' <<<"$out" 2>/dev/null || true)"
  if [ -z "$dir" ]; then
    die "the Go module proxy does not serve $1@$2: $(jq -r '.Error // empty' <<<"$out" 2>/dev/null | head -1 || echo "$out" | head -1)"
  fi
  printf '%s\n' "$dir"
}
src="$(modir "$dmod" "$dver")"
pick() { # pick <NAME> -> version from the installer, else the Dockerfile ARG
  local name="$1" lower f v=""
  lower="$(tr '[:upper:]' '[:lower:]' <<<"${name%_VERSION}")"
  f="$src/hack/dockerfile/install/$lower.installer"
  if [ -f "$f" ]; then
    v="$(sed -n "s/^: \"\${$name:=\(.*\)}\"$/\1/p" "$f")"
    [ -n "$v" ] && { printf '%s\thack/dockerfile/install/%s.installer\n' "$v" "$lower"; return; }
  fi
  v="$(sed -n "s/^ARG $name=\(.*\)$/\1/p" "$src/Dockerfile" | head -1)"
  [ -n "$v" ] || die "$dmod@$dver names no $name in its installers or Dockerfile"
  printf '%s\tDockerfile ARG %s\n' "$v" "$name"
}
IFS=$'\t' read -r ctr_ver ctr_from < <(pick CONTAINERD_VERSION)
IFS=$'\t' read -r runc_ver runc_from < <(pick RUNC_VERSION)
go_ver="$(sed -n 's/^ARG GO_VERSION=\(.*\)$/\1/p' "$src/Dockerfile" | head -1)"

if [ -f "$src/releases/versions.yaml" ]; then
  last="$(sed -n 's/^  last: "\(.*\)"$/\1/p' "$src/releases/versions.yaml")"
  [ "$last" = "$docker" ] || die "$dmod@$dver is Docker $last by its releases/versions.yaml, not $docker"
fi
gomod=go.mod; [ -f "$src/go.mod" ] || gomod=vendor.mod
ctr_mod=github.com/containerd/containerd
case "$ctr_ver" in v2.*) ctr_mod=github.com/containerd/containerd/v2;; esac
modir "$ctr_mod" "$ctr_ver" >/dev/null
modir github.com/opencontainers/runc "$runc_ver" >/dev/null

# The CLI of the same release, or the newest one served (noted as a substitution).
cli_ver="v$docker+incompatible" subs='[]'
if ! go mod download -json "github.com/docker/cli@$cli_ver" >/dev/null 2>&1; then
  newest="$(go list -m -versions github.com/docker/cli | tr ' ' '\n' | grep -v -- '-rc' | tail -1)"
  subs="$(jq -nc --arg want "$cli_ver" --arg got "$newest" \
    '[{component:"cli",module:"github.com/docker/cli",pinned:$want,used:$got,why:"the proxy does not serve the CLI of this release; the newer CLI negotiates the API version down"}]')"
  cli_ver="$newest"
fi
cli_src="$(modir github.com/docker/cli "$cli_ver")"
# Substitutions found by a build (e2e/engine/build.sh names the refused module) are recorded by
# hand with their evidence; a re-pin keeps them.
out="$HERE/releases/$docker.json"
if [ -f "$out" ]; then subs="$(jq -c --argjson new "$subs" '(.substitutions // []) + $new | unique' "$out")"; fi
cli_gomod=go.mod; [ -f "$cli_src/go.mod" ] || cli_gomod=vendor.mod

jq -n --arg docker "$docker" --arg dmod "$dmod" --arg dver "$dver" --arg gomod "$gomod" \
  --arg ctr_mod "$ctr_mod" --arg ctr_ver "$ctr_ver" --arg ctr_from "$ctr_from" \
  --arg runc_ver "$runc_ver" --arg runc_from "$runc_from" --arg go_ver "$go_ver" \
  --arg cli_ver "$cli_ver" --arg cli_gomod "$cli_gomod" --argjson subs "$subs" '{
  docker: $docker,
  daemon: { module: $dmod, version: $dver, goMod: $gomod },
  cli: { module: "github.com/docker/cli", version: $cli_ver, goMod: $cli_gomod },
  containerd: { module: $ctr_mod, version: $ctr_ver, readFrom: $ctr_from },
  runc: { module: "github.com/opencontainers/runc", version: $runc_ver, readFrom: $runc_from },
  upstreamGo: $go_ver,
  substitutions: $subs
}' >"$out.tmp" && mv "$out.tmp" "$out"
echo "engine pin: wrote e2e/engine/releases/$docker.json" >&2
