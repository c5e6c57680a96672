#!/usr/bin/env bash
# Build the pinned IaC toolchain from source through the Go module proxy and cache it in
# .toolchain/ (gitignored):
#   .toolchain/bin/tofu                                   OpenTofu ${TOFU_VERSION}
#   .toolchain/bin/actionlint                             actionlint ${ACTIONLINT_VERSION} (workflow lint)
#   .toolchain/plugins/registry.terraform.io/dmacvicar/libvirt/${LIBVIRT_VERSION}/linux_amd64/...
#                                                         the libvirt provider (filesystem mirror)
#   .toolchain/tofurc                                     CLI config (use via TF_CLI_CONFIG_FILE)
#   .toolchain/env.sh                                     `source` it: PATH, TF_CLI_CONFIG_FILE, ...
#
# Why from source: this project must work without the Terraform/OpenTofu registries or GitHub
# downloads; only the Go module proxy is reachable. Both go.mod files carry `replace`
# directives, so `go install pkg@version` refuses them: we `go mod download` the module and
# `go build` inside a writable copy instead. actionlint has none, so it is a plain `go install`.
#
# Idempotent: a stamp per component records what was built; a run with matching stamps and
# binaries does nothing. Concurrent runs serialise on a lock file.
#
# Usage: tools/toolchain.sh [--print-env]
#   --print-env   after ensuring the toolchain, print the `export` lines of env.sh
# Env: TOFU_VERSION, LIBVIRT_PROVIDER_VERSION, ACTIONLINT_VERSION override the pins (tests use the pins).
set -euo pipefail

TOFU_VERSION="${TOFU_VERSION:-1.10.10}"
# The provider version the stacks, bindings and labs are tested with (README "Libvirt provider 0.9").
LIBVIRT_PIN=0.8.3
LIBVIRT_VERSION="${LIBVIRT_PROVIDER_VERSION:-$LIBVIRT_PIN}"
ACTIONLINT_VERSION="${ACTIONLINT_VERSION:-1.7.12}"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TC="$ROOT/.toolchain"
# A worktree's .toolchain may be a symlink to another checkout's: env.sh and tofurc get the real
# path, so every checkout sharing the directory reads a file that is valid for all of them.
mkdir -p "$TC" && TC="$(cd "$TC" && pwd -P)"
PLUGIN_DIR="$TC/plugins/registry.terraform.io/dmacvicar/libvirt/$LIBVIRT_VERSION/linux_amd64"
PROVIDER_BIN="$PLUGIN_DIR/terraform-provider-libvirt_v$LIBVIRT_VERSION"
TOFU_BIN="$TC/bin/tofu"
ACTIONLINT_BIN="$TC/bin/actionlint"

log() { printf 'toolchain: %s\n' "$*" >&2; }
die() { printf 'toolchain: error: %s\n' "$*" >&2; exit 1; }

command -v go >/dev/null || die "go not found on PATH; install Go >= 1.24 (https://go.dev/dl/) and retry"
command -v flock >/dev/null || die "flock not found; install util-linux"
gover="$(go env GOVERSION 2>/dev/null || true)"
case "$gover" in
  go1.2[1-9]*|go1.[3-9][0-9]*|go[2-9]*) ;;
  *) die "Go ${gover:-(unknown)} is too old; need Go >= 1.21 (it then fetches the 1.24 toolchain OpenTofu needs via the module proxy)";;
esac

mkdir -p "$TC/bin" "$TC/stamps" "$TC/src"
exec 9>"$TC/.lock"
if ! flock -w 1800 9; then die "another toolchain build holds $TC/.lock for over 30 min; remove it if stale"; fi

# Pure-Go builds (no libvirt-dev, no C compiler). GOTOOLCHAIN is left to Go: with Go >= 1.21 an
# older local Go fetches the toolchain the go.mod asks for through the same module proxy.
export CGO_ENABLED=0 GOFLAGS=-buildvcs=false
# Shared CI/dev machines: be a polite neighbour.
NICE="nice -n 10"

# download_failure <module> <version> <go mod download -json output>: the one line a failed download
# dies with: Go's own reason (e.g. the proxy's "403 Forbidden ... not available"), newlines folded.
download_failure() {
  local mod="$1" ver="$2" why line
  why="$(sed -n 's/^[[:space:]]*"Error": "\(.*\)",\{0,1\}$/\1/p' <<<"$3" | sed -e 's/\\n\\t/ /g' -e 's/\\[nt]/ /g' -e 's/\\"/"/g')"
  [[ -n $why ]] || why="$(tr -s '\n\t' '  ' <<<"$3")"
  line="go mod download $mod@$ver failed: ${why:-no output} (GOPROXY=$(go env GOPROXY))"
  # Another provider version than the tested pin: say which one is tested and where the 0.9 evaluation is.
  if [[ $mod == github.com/dmacvicar/terraform-provider-libvirt* && $ver != "v$LIBVIRT_PIN" ]]; then
    line+="; v$LIBVIRT_PIN is the tested pin (unset LIBVIRT_PROVIDER_VERSION; README \"Libvirt provider 0.9\")"
  fi
  printf '%s\n' "$line"
}

# download_module <module> <version> -> prints a writable copy's path
download_module() {
  local mod="$1" ver="$2" out dir dst
  out="$(go mod download -json "$mod@$ver" 2>&1)" || die "$(download_failure "$mod" "$ver" "$out")"
  dir="$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p' <<<"$out")"
  [[ -n $dir && -d $dir ]] || die "go mod download $mod@$ver gave no module dir (is the Go proxy reachable? GOPROXY=$(go env GOPROXY))"
  dst="$TC/src/$(basename "$mod")@$ver"
  rm -rf "$dst"
  cp -r "$dir" "$dst"
  chmod -R u+w "$dst"
  printf '%s\n' "$dst"
}

stamp_ok() { # stamp_ok <name> <expected> <binary>
  [ -x "$3" ] && [ -f "$TC/stamps/$1" ] && [ "$(cat "$TC/stamps/$1")" = "$2" ]
}

build_tofu() {
  local want
  want="tofu v$TOFU_VERSION $(go env GOOS)_$(go env GOARCH)"
  if stamp_ok tofu "$want" "$TOFU_BIN"; then log "OpenTofu v$TOFU_VERSION present (cached)"; return; fi
  local t0 src
  t0=$(date +%s)
  log "building OpenTofu v$TOFU_VERSION from github.com/opentofu/opentofu (a few minutes on 2 cores)"
  src="$(download_module github.com/opentofu/opentofu "v$TOFU_VERSION")"
  # version.dev=no: a release build, so `tofu version` says 1.x.y and not 1.x.y-dev.
  (cd "$src" && $NICE go build -trimpath -ldflags "-s -w -X github.com/opentofu/opentofu/version.dev=no" \
    -o "$TOFU_BIN.tmp" ./cmd/tofu) || die "go build of OpenTofu v$TOFU_VERSION failed (see output above)"
  mv -f "$TOFU_BIN.tmp" "$TOFU_BIN"
  # Read all of the output before matching: `| head -1 | grep -q` under pipefail fails at random when
  # tofu is still writing as head exits (SIGPIPE); a TF_CLI_CONFIG_FILE from the caller only adds warnings.
  local seen
  seen="$(env -u TF_CLI_CONFIG_FILE "$TOFU_BIN" version 2>/dev/null | sed -n 1p)"
  [[ $seen == *"v$TOFU_VERSION" ]] || die "built tofu reports ${seen:-nothing}, expected v$TOFU_VERSION"
  echo "$want" >"$TC/stamps/tofu"
  rm -rf "$src"
  log "OpenTofu v$TOFU_VERSION built in $(( $(date +%s) - t0 )) s"
  echo "tofu_build_seconds=$(( $(date +%s) - t0 ))" >>"$TC/build-times.txt"
}

build_provider() {
  local want
  want="terraform-provider-libvirt v$LIBVIRT_VERSION $(go env GOOS)_$(go env GOARCH)"
  if stamp_ok libvirt "$want" "$PROVIDER_BIN"; then log "libvirt provider v$LIBVIRT_VERSION present (cached)"; return; fi
  local t0 src
  t0=$(date +%s)
  log "building dmacvicar/terraform-provider-libvirt v$LIBVIRT_VERSION (pure Go: digitalocean/go-libvirt, no cgo)"
  src="$(download_module github.com/dmacvicar/terraform-provider-libvirt "v$LIBVIRT_VERSION")"
  mkdir -p "$PLUGIN_DIR"
  (cd "$src" && $NICE go build -trimpath \
    -ldflags "-s -w -X github.com/dmacvicar/terraform-provider-libvirt/version.ProviderVersion=v$LIBVIRT_VERSION" \
    -o "$PROVIDER_BIN.tmp" .) || die "go build of terraform-provider-libvirt v$LIBVIRT_VERSION failed (see output above)"
  mv -f "$PROVIDER_BIN.tmp" "$PROVIDER_BIN"
  echo "$want" >"$TC/stamps/libvirt"
  rm -rf "$src"
  log "libvirt provider v$LIBVIRT_VERSION built in $(( $(date +%s) - t0 )) s"
  echo "libvirt_provider_build_seconds=$(( $(date +%s) - t0 ))" >>"$TC/build-times.txt"
}

build_actionlint() {
  local want
  want="actionlint v$ACTIONLINT_VERSION $(go env GOOS)_$(go env GOARCH)"
  if stamp_ok actionlint "$want" "$ACTIONLINT_BIN"; then log "actionlint v$ACTIONLINT_VERSION present (cached)"; return; fi
  local t0
  t0=$(date +%s)
  log "building github.com/rhysd/actionlint v$ACTIONLINT_VERSION"
  # The module version lands in the build info, which `actionlint -version` prints.
  GOBIN="$TC/bin" $NICE go install -trimpath -ldflags "-s -w" \
    "github.com/rhysd/actionlint/cmd/actionlint@v$ACTIONLINT_VERSION" ||
    die "go install of actionlint v$ACTIONLINT_VERSION failed (is the Go proxy reachable? GOPROXY=$(go env GOPROXY))"
  local seen
  seen="$("$ACTIONLINT_BIN" -version 2>/dev/null | sed -n 1p)"
  [[ $seen == "v$ACTIONLINT_VERSION" ]] || die "built actionlint reports ${seen:-nothing}, expected v$ACTIONLINT_VERSION"
  echo "$want" >"$TC/stamps/actionlint"
  log "actionlint v$ACTIONLINT_VERSION built in $(( $(date +%s) - t0 )) s"
  echo "actionlint_build_seconds=$(( $(date +%s) - t0 ))" >>"$TC/build-times.txt"
}

write_config() {
  # Only the libvirt provider comes from the mirror; terraform_data is built into tofu, so no
  # registry is ever needed. `direct` stays for users who add registry providers themselves.
  cat >"$TC/tofurc.tmp" <<EOF
# Generated by tools/toolchain.sh: the libvirt provider comes from the local filesystem mirror.
provider_installation {
  filesystem_mirror {
    path    = "$TC/plugins"
    include = ["registry.terraform.io/dmacvicar/libvirt"]
  }
  direct {
    exclude = ["registry.terraform.io/dmacvicar/libvirt"]
  }
}
disable_checkpoint = true
EOF
  mv -f "$TC/tofurc.tmp" "$TC/tofurc"
  cat >"$TC/env.sh.tmp" <<EOF
# Generated by tools/toolchain.sh; source it to use the project-local toolchain.
export PATH="$TC/bin:\$PATH"
export TF_CLI_CONFIG_FILE="$TC/tofurc"
export CHECKPOINT_DISABLE=1
export TERRAFORM_BINARY_NAME="$TOFU_BIN"
EOF
  mv -f "$TC/env.sh.tmp" "$TC/env.sh"
}

build_tofu
build_provider
build_actionlint
write_config
log "ready: $TOFU_BIN, $ACTIONLINT_BIN, provider mirror $TC/plugins, TF_CLI_CONFIG_FILE=$TC/tofurc"
if [ "${1:-}" = "--print-env" ]; then cat "$TC/env.sh"; fi
