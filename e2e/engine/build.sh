#!/usr/bin/env bash
# Build one pinned Docker Engine from source through the Go module proxy only, into
# .cache/engines/<docker>/bin: dockerd, docker-proxy, containerd, containerd-shim-runc-v2, runc, docker.
# The pins (module versions) are data: e2e/engine/releases/<docker>.json (written by pin.sh).
#
# How: each module is `go mod download`ed and built in a writable copy; where the module has no
# go.mod (docker/docker and docker/cli ship vendor.mod/vendor.sum) the copy gets vendor.mod as
# go.mod and `vendor/` is dropped, with GOFLAGS=-mod=mod. dockerd, docker-proxy, containerd and the
# CLI are pure Go (CGO_ENABLED=0; graph drivers that need C libraries are dropped by build tags);
# runc is cgo with Debian's libseccomp-dev, linked statically so one binary runs on any rootfs.
# Version variables are set with -ldflags -X so `docker version` reports the real version.
#
# Cached per component by an input hash (pin record + RECIPE + Go version) kept in a stamp;
# concurrent runs serialise on a lock. Build seconds per component go to
# .cache/engines/build-times.tsv (docker, component, seconds, cold|cached).
#
# Usage: e2e/engine/build.sh <docker-version> [--check]
#   --check   exit 0 when every component is built and current, 1 (naming what is not) otherwise
# A release whose pinned dependencies the proxy does not serve fails with one line naming them.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
log() { printf 'engine: %s\n' "$*" >&2; }
die() { printf 'engine: error: %s\n' "$1" >&2; exit "${2:-1}"; }

[ $# -ge 1 ] || die "usage: e2e/engine/build.sh <docker-version> [--check]" 3
docker="$1" mode="${2:-build}"
rec="$HERE/releases/$docker.json"
[ -f "$rec" ] || die "no pin record for Docker $docker (have: $(find "$HERE/releases" -name '*.json' -printf '%f ' | sed 's/\.json//g')); add one with e2e/engine/pin.sh $docker" 3
for t in go jq flock; do command -v "$t" >/dev/null || die "$t not found on PATH" 5; done

ENG="${SWARM_LAB_ENGINE_CACHE:-$ROOT/.cache/engines}"
OUT="$ENG/$docker" BIN="$ENG/$docker/bin"
j() { jq -r "$1" "$rec"; }
# Bump when a change here alters the binaries (tags, ldflags, packages); other edits rebuild nothing.
RECIPE=1
GOENV="$(go env GOVERSION GOOS GOARCH | tr '\n' ' ')"
# group_of <component> -> the pin record's key for it (its module, version and substitutions)
group_of() {
  case "$1" in
    dockerd | docker-proxy) echo daemon ;;
    containerd | containerd-shim-runc-v2) echo containerd ;;
    runc) echo runc ;;
    docker) echo cli ;;
  esac
}
# hash_of <component>: its inputs only, so a pin change rebuilds just the components it touches.
hash_of() {
  local g; g=$(group_of "$1")
  jq -c --arg g "$g" '{pin: .[$g], subs: [.substitutions[] | select(.component == $g)]}' "$rec" |
    { cat; echo "recipe $RECIPE component $1 $GOENV"; } | sha256sum | cut -c1-16
}
COMPONENTS="dockerd docker-proxy containerd containerd-shim-runc-v2 runc docker"
current() { [ -x "$BIN/$1" ] && [ "$(cat "$OUT/stamps/$1" 2>/dev/null)" = "$(hash_of "$1")" ]; }

if [ "$mode" = --check ]; then
  stale=""
  for c in $COMPONENTS; do current "$c" || stale="$stale $c"; done
  [ -z "$stale" ] && { log "Docker $docker engine is built and current ($BIN)"; exit 0; }
  log "Docker $docker engine not built or stale:$stale (run e2e/engine/build.sh $docker)"; exit 1
fi
[ "$mode" = build ] || die "unknown option $mode (only --check)" 3

mkdir -p "$BIN" "$OUT/stamps" "$ENG/src"
exec 9>"$ENG/.lock"
flock -w 3600 9 || die "another engine build holds $ENG/.lock for over an hour" 5

export GOFLAGS="-mod=mod -buildvcs=false" GOTOOLCHAIN=local
NICE="nice -n 10"

# copy <module> <version> <goMod> <group> -> writable build dir (vendor.mod as go.mod where there
# is none), with the group's recorded substitutions applied as go.mod replace directives
copy() {
  local out dir dst
  out="$(go mod download -json "$1@$2" 2>&1)" || true
  dir="$(jq -r '.Dir // empty' <<<"$out" 2>/dev/null || true)"
  [ -n "$dir" ] || die "Docker $docker: the Go module proxy does not serve $1@$2 ($(jq -r '.Error // empty' <<<"$out" 2>/dev/null | head -1))" 5
  dst="$ENG/src/$(tr '/' '_' <<<"$1")@$2"
  if [ ! -f "$dst/.ready" ]; then
    rm -rf "$dst"; cp -r "$dir" "$dst"; chmod -R u+w "$dst"
    if [ "$3" = vendor.mod ]; then
      cp "$dst/vendor.mod" "$dst/go.mod"; cp "$dst/vendor.sum" "$dst/go.sum"; rm -rf "$dst/vendor"
    fi
    touch "$dst/.ready"
  fi
  local rep
  while IFS=$'\t' read -r m pinned used; do
    [ -n "$m" ] || continue
    rep="$m@$pinned=$m@$used"
    (cd "$dst" && go mod edit -replace="$rep") || die "go mod edit -replace=$rep failed in $dst"
  done < <(jq -r --arg g "$4" --arg self "$1" '.substitutions[] | select(.component == $g and .module != $self) | [.module, .pinned, .used] | @tsv' "$rec")
  # Fetch every pinned dependency first: a version the proxy refuses becomes one line naming it.
  if ! (cd "$dst" && go mod download) >"$dst/.download.log" 2>&1; then
    local bad
    bad="$(grep -oE '[a-z0-9.-]+\.[a-z]+/[^ :@]+@v[^ :]+: [^ ]+ [^ ]+ [0-9]{3}[^:]*' "$dst/.download.log" | head -1)"
    [ -n "$bad" ] || bad="$(grep -m1 -E 'go: |verifying|reading' "$dst/.download.log")"
    die "Docker $docker: $1@$2 pins a dependency the Go module proxy does not serve: $bad" 5
  fi
  printf '%s\n' "$dst"
}

# build <component> <dir> <cgo> <tags> <ldflags> <pkg>
build() {
  local c="$1" dir="$2" cgo="$3" tags="$4" ld="$5" pkg="$6" t0
  t0=$(date +%s)
  log "building $c for Docker $docker from $pkg"
  (cd "$dir" && CGO_ENABLED="$cgo" $NICE go build -trimpath -tags "$tags" -ldflags "$ld" -o "$BIN/$c.tmp" "$pkg") \
    >"$OUT/$c.log" 2>&1 || die "Docker $docker: go build of $c failed: $(grep -m1 -vE '^#' "$OUT/$c.log") (log: $OUT/$c.log)"
  mv -f "$BIN/$c.tmp" "$BIN/$c"
  hash_of "$c" >"$OUT/stamps/$c"
  printf '%s\t%s\t%s\tcold\n' "$docker" "$c" "$(( $(date +%s) - t0 ))" >>"$ENG/build-times.tsv"
  log "$c built in $(( $(date +%s) - t0 )) s"
}
cached() { printf '%s\t%s\t0\tcached\n' "$docker" "$1" >>"$ENG/build-times.tsv"; log "$1 current (cached)"; }

dmod="$(j .daemon.module)" dver="$(j .daemon.version)"
v="$docker"
if ! current dockerd || ! current docker-proxy; then
  d="$(copy "$dmod" "$dver" "$(j .daemon.goMod)" daemon)"
  dv="-X $dmod/dockerversion.Version=$v -X $dmod/dockerversion.GitCommit=$dver -X $dmod/dockerversion.PlatformName=swarm-lab-from-source"
  tags="exclude_graphdriver_btrfs exclude_graphdriver_devicemapper exclude_disk_quota netgo osusergo static_build"
  current dockerd || build dockerd "$d" 0 "$tags" "-s -w $dv" ./cmd/dockerd
  current docker-proxy || build docker-proxy "$d" 0 "$tags" "-s -w" ./cmd/docker-proxy
else cached dockerd; cached docker-proxy; fi

cmod="$(j .containerd.module)" cver="$(j .containerd.version)"
if ! current containerd || ! current containerd-shim-runc-v2; then
  d="$(copy "$cmod" "$cver" go.mod containerd)"
  cv="-X $cmod/version.Version=$cver -X $cmod/version.Revision=$cver -X $cmod/version.Package=github.com/containerd/containerd"
  current containerd || build containerd "$d" 0 "no_btrfs no_devmapper no_zfs netgo osusergo" "-s -w $cv" ./cmd/containerd
  current containerd-shim-runc-v2 || build containerd-shim-runc-v2 "$d" 0 "no_btrfs netgo osusergo" "-s -w $cv" ./cmd/containerd-shim-runc-v2
else cached containerd; cached containerd-shim-runc-v2; fi

rver="$(j .runc.version)"
if ! current runc; then
  [ -f /usr/include/seccomp.h ] || die "runc needs libseccomp headers: apt-get install libseccomp-dev" 5
  d="$(copy github.com/opencontainers/runc "$rver" go.mod runc)"
  # libpathrs (runc >= 1.4's default) is a Rust C library we do not have; its pure-Go fallback is built instead.
  build runc "$d" 1 "seccomp urfave_cli_no_docs netgo osusergo" \
    "-s -w -X main.version=${rver#v} -X main.gitCommit=$rver -extldflags -static" .
else cached runc; fi

clmod="$(j .cli.module)" clver="$(j .cli.version)"
if ! current docker; then
  d="$(copy "$clmod" "$clver" "$(j .cli.goMod)" cli)"
  clv="${clver#v}"; clv="${clv%+incompatible}"
  build docker "$d" 0 "" "-s -w -X github.com/docker/cli/cli/version.Version=$clv -X github.com/docker/cli/cli/version.GitCommit=$clver -X github.com/docker/cli/cli/version.PlatformName=swarm-lab-from-source" ./cmd/docker
else cached docker; fi

"$BIN/dockerd" --version | grep -q "version $v," || die "built dockerd reports '$("$BIN/dockerd" --version)', expected $v"
jq -n --slurpfile r "$rec" --arg s "$(cd "$OUT/stamps" && grep -H . -- * | tr '\n' ' ')" '{release: $r[0], stamps: $s}' >"$OUT/engine.json"
log "Docker $docker engine ready in $BIN"
