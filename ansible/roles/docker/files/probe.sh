#!/bin/sh
# The docker role's checks in one SSH round trip (run with `raw`, POSIX sh): dockerd's and the CLI's
# versions, docker info's version and swarm state, and (on a node not yet in a swarm) the Docker SDK for
# Python the Swarm modules import, as one JSON line (values base64; sdk_rc -1: not imported, the version read
# from the package metadata). Exit 1 while dockerd does not answer, so the task retries.
# Input (environment): PROBE_PYTHON, the interpreter the community.docker modules run with;
# PROBE_FIREWALL=1 also asks docker info for the firewall backend (29.x only: older CLIs have no such field).
exec 2>/dev/null
b64() { base64 | tr -d '\n'; }
# Go templates for the docker CLI, built so that no tool between here and the node reads them.
o='{{'
c='}}'
version=$(docker version --format "${o}json .${c}") || exit 1
case $version in *'"Server":{'*) ;; *) exit 1 ;; esac
# One docker info call: the version on the first line, the swarm state as JSON on the second.
both=$(docker info --format "${o}.ServerVersion${c}
${o}json .Swarm${c}")
info=$(printf '%s\n' "$both" | sed -n 1p)
swarm=$(printf '%s\n' "$both" | sed -n 2p)
firewall=''
if [ "${PROBE_FIREWALL:-}" = 1 ]; then
  firewall=$(docker info --format "${o}with .FirewallBackend${c}${o}.Driver${c}${o}end${c}") || firewall='?'
fi
# The SDK's version from its package metadata beside the interpreter (Debian's egg-info, pip's
# dist-info), without starting Python; empty when none is found.
sdk_meta() {
  p=$(command -v "$PROBE_PYTHON") || return 0
  prefix=${p%/bin/*}
  for d in "$prefix"/lib/python3*/site-packages/docker-*-info "$prefix"/lib/python3*/dist-packages/docker-*-info; do
    v=${d##*/docker-}
    v=${v%.egg-info}
    v=${v%.dist-info}
    v=${v%%-py*}
    case $v in [0-9]*) printf '%s' "$v" && return 0 ;; esac
  done
}
# Importing the SDK costs a TCG guest ~8 s: only where a Swarm module will run for init or join. On an
# active member the version still decides module options (the service's placement): read from metadata.
sdk_rc=0
sdk=''
case $swarm in
  *'"LocalNodeState":"active"'*) sdk_rc=-1 sdk=$(sdk_meta) ;;
  *) sdk=$("$PROBE_PYTHON" -c 'import docker; print(docker.__version__)' 2>&1) || sdk_rc=$? ;;
esac
printf '{"version":"%s","info":"%s","swarm":"%s","sdk":"%s","sdk_rc":%s,"firewall":"%s"}\n' \
  "$(printf '%s' "$version" | b64)" "$(printf '%s' "$info" | b64)" "$(printf '%s' "$swarm" | b64)" \
  "$(printf '%s' "$sdk" | b64)" "$sdk_rc" "$(printf '%s' "$firewall" | b64)"
