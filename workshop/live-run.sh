#!/usr/bin/env bash
# The real-lab workshop run recorded in README "Workshops": a workshop of N labs on the given simulated
# hosts comes up (parallel), is verified, lab <ws>-1 is reset while the others keep running (their QEMU
# PIDs must not change) and, with LIVE_EXERCISES=1, every exercise runs on <ws>-2 meanwhile
# (test/exercise/live.test.ts); LIVE_TOUR=1 then tours <ws>-1 live; every lab is verified again, and down
# must leave nothing. Run it through the machine-wide slots, one per lab:
#   /work/bin/lab-slot /work/bin/lab-slot workshop/live-run.sh wa 2 h1
#   workshop/live-run.sh <ws> <labs> <hosts> [parallel]
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
ws=$1 labs=$2 hosts=$3 parallel=${4:-$2}
w() { npm run -s workshop -- "$@" --name "$ws"; echo "== exit $? (workshop $*)"; }
qpids() { for p in $(pgrep -f "guest=$ws-"); do echo "$p $(tr '\0' ' ' </proc/"$p"/cmdline | grep -o "guest=[^,]*")"; done | sort -k2; }
rss() { # every 60 s: each QEMU of the workshop, its RSS
  while sleep 60; do
    for p in $(pgrep -f "guest=$ws-"); do
      printf '%s %s %s\n' "$(date -u +%T)" "$(tr '\0' ' ' </proc/"$p"/cmdline | grep -o "guest=[^,]*")" "$(awk '/VmRSS/{print $2 " kB"}' /proc/"$p"/status)"
    done
    free -m | awk -v t="$(date -u +%T)" '/^Mem:/{print t, "machine used", $3, "MiB available", $7, "MiB"}'
  done
}
rss >".workshop-runs/$ws-rss.txt" 2>&1 &
sampler=$!
trap 'kill $sampler 2>/dev/null' EXIT
echo "== $(date -u +%T) up"
w up --labs "$labs" --hosts "$hosts" --parallel "$parallel"
w status
others=$(qpids | grep -v "guest=$ws-1-" || true)
echo "== QEMU of the other labs before the reset:"; echo "$others"
if [[ -n ${LIVE_EXERCISES:-} ]]; then
  echo "== $(date -u +%T) exercises on $ws-2 (while $ws-1 is reset)"
  SWARM_LAB_LIVE="$ws-2" SWARM_LAB_LIVE_OUT=".workshop-runs/$ws-exercises.json" npx jest test/exercise/live.test.ts \
    >".workshop-runs/$ws-exercises.txt" 2>&1 &
  ex=$!
fi
echo "== $(date -u +%T) reset $ws-1"
w reset "$ws-1"
echo "== QEMU of the other labs after the reset:"; qpids | grep -v "guest=$ws-1-"
[[ "$(qpids | grep -v "guest=$ws-1-")" == "$others" ]] && echo "== the other labs' QEMU processes are unchanged" || echo "== OTHER LABS CHANGED"
if [[ -n ${LIVE_TOUR:-} ]]; then
  echo "== $(date -u +%T) tour of $ws-1 (live)"
  npm run -s tour -- --lab "$ws-1" --all --html ".workshop-runs/$ws-tour.html" >".workshop-runs/$ws-tour.txt" 2>&1
  echo "== exit $? (tour)"
  if command -v chromium >/dev/null; then
    timeout 120 chromium --headless --no-sandbox --disable-gpu --window-size=1280,2400 \
      --screenshot=".workshop-runs/$ws-tour.png" "file://$PWD/.workshop-runs/$ws-tour.html" >/dev/null 2>&1
    echo "== exit $? (screenshot .workshop-runs/$ws-tour.png)"
  fi
fi
if [[ -n ${ex:-} ]]; then
  wait "$ex"
  echo "== exit $? (exercises at $(date -u +%T)); $(grep -E '^Tests:' ".workshop-runs/$ws-exercises.txt")"
fi
echo "== $(date -u +%T) verify all"
w verify
w status
if [[ -n ${LIVE_HOLD:-} ]]; then echo "== holding until $LIVE_HOLD exists (max 20 min)"; for _ in $(seq 1 120); do [[ -e $LIVE_HOLD ]] && break; sleep 10; done; fi
echo "== $(date -u +%T) down"
w down
echo "== leftovers: netns $(ip netns list | grep -c "swl-$ws-") qemu $(pgrep -fc "guest=$ws-") libvirtd $(pgrep -fc "\.cache/host/$ws-")"
