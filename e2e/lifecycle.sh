#!/usr/bin/env bash
# Real-lab lifecycle check (issue 9), on the offline e2e lab:
#   parallel     an e2e run; while its deploy holds the lab, a second deploy of the same lab must
#                refuse in one line; the first must finish (verify PASS, destroy).
#   interrupt    an e2e run whose deploy is killed mid-way (its process group, SIGKILL), kept;
#                then deploy (must converge: state running) and destroy (nothing left), then e2e:clean.
# Usage: e2e/lifecycle.sh parallel|interrupt <suffix> [flavour]   (prints what each command printed)
# SWARM_LAB_SLOT_CMD (empty by default): a command that every lab run is wrapped in, e.g. a machine-wide
#   slot wrapper that lets one real lab run at a time (`SWARM_LAB_SLOT_CMD=/usr/local/bin/lab-slot`); split on
#   blanks. Empty: the runs start directly, as from a fresh clone.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
what=${1:-} suffix=${2:-} flavour=${3:-debian12-docker20}
usage() {
  echo "usage: e2e/lifecycle.sh parallel|interrupt <suffix> [flavour]" >&2
  exit 3
}
[[ $what =~ ^(parallel|interrupt)$ && -n $suffix ]] || usage
short=$(sed -e 's/^debian/d/' -e 's/-docker/k/' <<<"$flavour")
lab="e2e-$short-$suffix"
slot=()
[[ -n ${SWARM_LAB_SLOT_CMD:-} ]] && read -r -a slot <<<"$SWARM_LAB_SLOT_CMD"
lock=".lab/$lab/lock"
out=${LIFECYCLE_OUT:-/tmp/swl-lifecycle-$suffix}
mkdir -p "$out"
rm -f "$lock" # a stale one from an earlier run (no process of this suffix is running)

holder_pid() { node -e 'try{console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).pid)}catch{}' "$lock"; }
wait_lock() { # until the deploy's gate holds the lock; prints the holder pid
  for _ in $(seq 1 1800); do
    p=$(holder_pid)
    [[ -n $p ]] && kill -0 "$p" 2>/dev/null && { echo "$p"; return 0; }
    sleep 1
  done
  return 1
}
# Run a lab command the way e2e ran its deploy: same env (from the holder's /proc environ), same netns.
as_holder() {
  local envfile=$1
  shift
  ip netns exec "$(tr '\0' '\n' <"$envfile" | sed -n 's/^SWARM_LAB_NETNS=//p')" python3 -c '
import os, sys
env = dict(kv.split("=", 1) for kv in open(sys.argv[1], "rb").read().decode().split("\0") if "=" in kv)
os.execvpe(sys.argv[2], sys.argv[2:], env)' "$envfile" "$@"
}

case $what in
parallel)
  "${slot[@]}" env SWARM_LAB_E2E_SUFFIX="$suffix" npm run e2e -- --flavour "$flavour" >"$out/first.txt" 2>&1 &
  first=$!
  pid=$(wait_lock) || { echo "lifecycle: the first deploy never took $lock"; exit 1; }
  cp "/proc/$pid/environ" "$out/env"
  sleep 20 # well inside the deploy
  echo "== second deploy of $lab while pid $pid deploys it" >"$out/second.txt"
  t0=$(date +%s.%N)
  as_holder "$out/env" node -r ts-node/register/transpile-only scripts/lab-run.ts lab -- \
    npx cdktf deploy --auto-approve --skip-provider-lock "$lab" >>"$out/second.txt" 2>&1
  echo "exit $? after $(echo "$(date +%s.%N) - $t0" | bc) s" >>"$out/second.txt"
  wait "$first"
  echo "first (e2e) exit $?" >>"$out/first.txt"
  ;;
interrupt)
  "${slot[@]}" env SWARM_LAB_E2E_SUFFIX="$suffix" npm run e2e -- --flavour "$flavour" --keep-on-failure \
    >"$out/interrupted.txt" 2>&1 &
  first=$!
  pid=$(wait_lock) || { echo "lifecycle: the deploy never took $lock"; exit 1; }
  cp "/proc/$pid/environ" "$out/env"
  pgid=$(ps -o pgid= -p "$pid" | tr -d ' ')
  # Mid-way: once tofu has created some resources (the state file has a domain), or after 150 s.
  for _ in $(seq 1 150); do
    grep -q '"libvirt_domain"' ".lab/$lab/terraform.tfstate" 2>/dev/null && break
    sleep 1
  done
  echo "== killing the deploy's process group $pgid (gate pid $pid) at $(date -u +%T)" >>"$out/interrupted.txt"
  kill -KILL -- "-$pgid"
  sleep 2
  echo "== processes of $lab left after the kill (tofu, cdktf, provider):" >>"$out/interrupted.txt"
  pgrep -a -f 'tofu|cdktf|terraform-provider' >>"$out/interrupted.txt"
  wait "$first"
  echo "interrupted e2e exit $?" >>"$out/interrupted.txt"
  "${slot[@]}" bash -c "
    echo '== deploy after the interruption'
    $(declare -f as_holder)
    as_holder '$out/env' node -r ts-node/register/transpile-only scripts/lab-run.ts lab -- npx cdktf deploy --auto-approve --skip-provider-lock $lab
    echo \"deploy exit \$?\"
    as_holder '$out/env' node -r ts-node/register/transpile-only -e 'const {resolveLab}=require(\"./stacks/lab\");const s=require(\"./stacks/lab-state\").labStatus(resolveLab());console.log(\"state:\",s.state,\"(\"+s.detail+\")\")'
    echo '== destroy'
    as_holder '$out/env' node -r ts-node/register/transpile-only scripts/lab-run.ts destroy -- npx cdktf destroy --auto-approve --skip-provider-lock $lab
    echo \"destroy exit \$?\"
    as_holder '$out/env' node -r ts-node/register/transpile-only -e 'const {resolveLab}=require(\"./stacks/lab\");const s=require(\"./stacks/lab-state\").labStatus(resolveLab());console.log(\"state:\",s.state,\"(\"+s.detail+\")\")'
    as_holder '$out/env' virsh list --all --name
    as_holder '$out/env' virsh vol-list --pool \$(tr '\0' '\n' <'$out/env' | sed -n 's/^SWARM_LAB_POOL=//p')
    as_holder '$out/env' virsh net-list --all --name
    SWARM_LAB_E2E_SUFFIX=$suffix npm run e2e:clean -- --flavour $flavour
    echo \"clean exit \$?\"
  " >"$out/converge.txt" 2>&1
  ;;
*) usage ;;
esac
