#!/usr/bin/env bash
# Tear down a lab's private libvirt host (see up.sh): destroy and undefine its
# domains, networks and pools, stop libvirtd/virtlogd by their pid files,
# end what is left in the lab's network namespace by PID, delete the
# namespace and the host's state (logs and the QEMU capability cache stay).
# Idempotent; safe after a crash (stale pid files, a half-dead daemon, a
# namespace without daemons).
#
#   e2e/host/down.sh [lab] [--purge]   lab defaults to $SWARM_LAB_NAME or swarm-lab;
#                                      --purge also removes logs and the cache dir
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PURGE=0
if [[ ${2:-} == --purge ]]; then PURGE=1; elif [[ -n ${2:-} ]]; then echo "usage: down.sh [lab] [--purge]" >&2; exit 2; fi
LAB=${1:-${SWARM_LAB_NAME:-swarm-lab}}
# shellcheck source=lib.sh
source "$HERE/lib.sh"
host_init
[[ $(id -u) == 0 ]] || die "needs root"

if [[ -d $HOST_DIR ]]; then
  exec 8>"$HOST_DIR/.lock"
  flock -w 120 8 || die "another up/down of lab $LAB holds $HOST_DIR/.lock"
fi

# TERM, wait up to <secs>, then KILL and wait again; only the PIDs given.
stop_pids() {
  local secs=$1 what=$2
  shift 2
  [[ $# -gt 0 ]] || return 0
  log "stopping $what (pid $*)"
  kill -TERM "$@" 2>/dev/null || true
  wait_gone "$secs" "$@" && return 0
  log "$what did not exit within ${secs}s; killing pid $*"
  kill -KILL "$@" 2>/dev/null || true
  wait_gone 5 "$@" || die "$what (pid $*) survived SIGKILL"
}

wait_gone() {
  local secs=$1 i p left
  shift
  for ((i = 0; i < secs * 10; i++)); do
    left=0
    for p in "$@"; do [[ -d /proc/$p ]] && left=1; done
    [[ $left == 1 ]] || return 0
    sleep 0.1
  done
  return 1
}

clean_objects() {
  local d n p
  for d in $(virsh_lab list --all --name 2>/dev/null); do
    virsh_lab destroy "$d" >/dev/null 2>&1 || true
    virsh_lab undefine --nvram "$d" >/dev/null 2>&1 || virsh_lab undefine "$d" >/dev/null 2>&1 || true
    log "removed domain $d"
  done
  for n in $(virsh_lab net-list --all --name 2>/dev/null); do
    virsh_lab net-destroy "$n" >/dev/null 2>&1 || true
    virsh_lab net-undefine "$n" >/dev/null 2>&1 || true
    log "removed network $n"
  done
  for p in $(virsh_lab pool-list --all --name 2>/dev/null); do
    virsh_lab pool-destroy "$p" >/dev/null 2>&1 || true
    virsh_lab pool-undefine "$p" >/dev/null 2>&1 || true
    log "removed pool $p"
  done
}

t0=$EPOCHREALTIME
lv=$(our_daemon "$LIBVIRTD_PID" libvirtd || true)
vl=$(our_daemon "$VIRTLOGD_PID" virtlogd || true)
if [[ -n $lv ]] && timeout 10 virsh -q -c "$URI" version >/dev/null 2>&1; then
  clean_objects
fi
# shellcheck disable=SC2086
stop_pids 15 libvirtd $lv
# shellcheck disable=SC2086
stop_pids 10 virtlogd $vl
if ns_exists; then
  # Everything still in the namespace was started for this lab (QEMU,
  # dnsmasq orphaned by a crashed libvirtd).
  mapfile -t rest < <(ip netns pids "$NS" 2>/dev/null)
  if [[ ${#rest[@]} -gt 0 ]]; then
    for p in "${rest[@]}"; do log "left in $NS: pid $p $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | cut -c1-120)"; done
    stop_pids 10 "processes in $NS" "${rest[@]}"
  fi
  ip netns delete "$NS" || die "ip netns delete $NS failed; check 'ip netns pids $NS'"
  log "removed netns $NS"
fi
# The daemons' mount namespace died with them, so these are plain dirs now.
rm -rf "${HOST_DIR:?}/etc" "${HOST_DIR:?}/run" "${HOST_DIR:?}/lib" "${HOST_DIR:?}/pool" "$LIBVIRTD_PID" "$VIRTLOGD_PID" "$ENV_FILE"
[[ $PURGE == 0 ]] || rm -rf "${HOST_DIR:?}"
log "down in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')s"
