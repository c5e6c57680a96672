# shellcheck shell=bash disable=SC2034
# Shared by e2e/host/*.sh: names and paths of one lab's private libvirt host.
# Source it after setting LAB (the lab name).
#
# Layout of $HOST_DIR (.cache/host/<lab>/, absolute):
#   etc/  bound over /etc/libvirt      (libvirtd.conf, virtlogd.conf, qemu.conf; persistent defs)
#   run/  bound over /run/libvirt      (libvirt-sock, virtlogd-sock, driver state and pid locks)
#   lib/  bound over /var/lib/libvirt  (per-domain runtime files, dnsmasq config)
#   log/  bound over /var/log/libvirt  (libvirtd.log, qemu/<domain>.log; kept after down)
#   cache/ bound over /var/cache/libvirt (QEMU capabilities; kept after down)
#   pool/ the lab's dir storage pool
#   libvirtd.pid virtlogd.pid env
# The binds live in a private mount namespace shared by this lab's virtlogd and
# libvirtd, so neither the system libvirt nor another lab sees this one's
# state: libvirt keeps driver locks (run/qemu/driver.pid) and persistent
# definitions under those fixed paths, which its config cannot move.

HOST_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

host_init() {
  [[ $LAB =~ ^[a-z][a-z0-9-]{0,38}[a-z0-9]$ ]] ||
    die "lab name '$LAB' must be 2-40 chars of a-z, 0-9, '-' starting with a letter"
  # Derived from the lab name only: the SWARM_LAB_NETNS/SWARM_LAB_HOST_DIR
  # this host exports (env file) must never redirect another lab's up/down.
  NS=swl-$LAB
  HOST_DIR=${SWARM_LAB_HOST_ROOT:-$HOST_ROOT/.cache/host}/$LAB
  POOL=swl-$LAB
  SOCK=$HOST_DIR/run/libvirt-sock
  URI="qemu:///system?socket=$SOCK"
  LIBVIRTD_PID=$HOST_DIR/libvirtd.pid
  VIRTLOGD_PID=$HOST_DIR/virtlogd.pid
  ENV_FILE=$HOST_DIR/env
  # sun_path holds 108 bytes.
  ((${#SOCK} < 100)) || die "socket path $SOCK is too long for a unix socket; set SWARM_LAB_HOST_ROOT to a shorter directory"
}

log() { printf '[host %s] %s\n' "$LAB" "$*" >&2; }
die() { printf '[host %s] error: %s\n' "${LAB:-?}" "$*" >&2; exit 1; }

ns_exists() { ip netns list | awk '{print $1}' | grep -qx -- "$NS"; }

# Echo the PID in <pidfile> when it is alive and really is <daemon> started
# for this lab: its command line names this lab's pid file (an absolute path
# under the lab's dir), so PID reuse after a crash never hits a stranger.
our_daemon() {
  local pidfile=$1 daemon=$2 pid cmd
  [[ -s $pidfile ]] || return 1
  pid=$(tr -dc '0-9' <"$pidfile")
  [[ -n $pid && -r /proc/$pid/cmdline ]] || return 1
  cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline")
  [[ $cmd == *"$daemon"* && $cmd == *"$pidfile"* ]] || return 1
  echo "$pid"
}

# our_daemon, and it sits in this lab's netns (a healthy host).
live_pid() {
  local pid
  pid=$(our_daemon "$@") || return 1
  [[ $(ip netns identify "$pid" 2>/dev/null) == "$NS" ]] || return 1
  echo "$pid"
}

virsh_lab() { virsh -q -c "$URI" "$@"; }
