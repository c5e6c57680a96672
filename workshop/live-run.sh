#!/usr/bin/env bash
# The real-lab workshop runs recorded in README "Workshops". A workshop of <labs> labs on <hosts> comes
# up (parallel up to [parallel]) and is verified; with LIVE_EXERCISES=1 every exercise runs on
# $EX_LAB (default <ws>-2; test/exercise/live.test.ts, one run each) while <ws>-1 is reset (skipped with
# NO_RESET=1; the other labs' QEMU PIDs must not change) -- on <ws>-1 itself after the tour; LIVE_TOUR=1
# tours <ws>-1 live (text, HTML, screenshot); every lab is verified again, and down must leave nothing.
# STOP_AT=<epoch s> skips exercises that would not end 5 min before it. Where one real lab at a time is
# enforced by a slot wrapper, run it through that (e.g. `lab-slot workshop/live-run.sh wb 1 h1`):
#   workshop/live-run.sh <ws> <labs> <hosts> [parallel]
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
ws=$1 labs=$2 hosts=$3 parallel=${4:-$2}
ex_lab=${EX_LAB:-$ws-2}
out=.workshop-runs
mkdir -p "$out"
w() { npm run -s workshop -- "$@" --name "$ws"; echo "== exit $? (workshop $*)"; }
qpids() { for p in $(pgrep -f "guest=$ws-"); do echo "$p $(tr '\0' ' ' </proc/"$p"/cmdline | grep -o "guest=[^,]*")"; done | sort -k2; }
rss() { # every 60 s: each QEMU of the workshop, its RSS; the machine's memory
  while sleep 60; do
    for p in $(pgrep -f "guest=$ws-"); do
      printf '%s %s %s\n' "$(date -u +%T)" "$(tr '\0' ' ' </proc/"$p"/cmdline | grep -o "guest=[^,]*")" "$(awk '/VmRSS/{print $2 " kB"}' /proc/"$p"/status)"
    done
    free -m | awk -v t="$(date -u +%T)" '/^Mem:/{print t, "machine used", $3, "MiB available", $7, "MiB"}'
  done
}
rss >"$out/$ws-rss.txt" 2>&1 &
sampler=$!
trap 'kill $sampler 2>/dev/null' EXIT
echo "== $(date -u +%T) up"
w up --labs "$labs" --hosts "$hosts" --parallel "$parallel"
w status
# Exercises one jest run each, so a run that must end by STOP_AT (epoch s) stops between two of them.
exercises() {
  local e
  for e in forward-drop ingress-dnat-flushed ipvs-weight-zero vxlan-blocked ip-forward-off task-frozen; do
    if (($(date +%s) + 300 > ${STOP_AT:-9999999999})); then echo "== no time left for $e (STOP_AT)"; continue; fi
    echo "== $(date -u +%T) exercise $e on $ex_lab"
    SWARM_LAB_LIVE=$ex_lab SWARM_LAB_LIVE_ONLY=$e SWARM_LAB_LIVE_OUT="$out/$ws-exercise-$e.json" \
      npx jest test/exercise/live.test.ts >"$out/$ws-exercise-$e.txt" 2>&1
    echo "== exit $? ($e, $(date -u +%T)); $(grep -E '^Tests:' "$out/$ws-exercise-$e.txt")"
  done
}
if [[ -n ${LIVE_EXERCISES:-} && $ex_lab != "$ws-1" ]]; then
  exercises >"$out/$ws-exercises.txt" 2>&1 &
  ex=$!
fi
wait_ex() {
  [[ -n ${ex:-} ]] || return 0
  wait "$ex"
  cat "$out/$ws-exercises.txt"
  ex=
}
if [[ -z ${NO_RESET:-} ]]; then
  others=$(qpids | grep -v "guest=$ws-1-" || true)
  echo "== QEMU of the other labs before the reset:"
  echo "$others"
  echo "== $(date -u +%T) reset $ws-1"
  w reset "$ws-1"
  echo "== QEMU of the other labs after the reset:"
  qpids | grep -v "guest=$ws-1-"
  if [[ "$(qpids | grep -v "guest=$ws-1-")" == "$others" ]]; then echo "== the other labs' QEMU processes are unchanged"; else echo "== OTHER LABS CHANGED"; fi
fi
if [[ -n ${LIVE_TOUR:-} ]]; then
  echo "== $(date -u +%T) tour of $ws-1 (live)"
  npm run -s tour -- --lab "$ws-1" --all --html "$out/$ws-tour.html" >"$out/$ws-tour.txt" 2>&1
  echo "== exit $? (tour)"
  if command -v chromium >/dev/null; then
    timeout 120 chromium --headless --no-sandbox --disable-gpu --window-size=1280,2400 \
      --screenshot="$out/$ws-tour.png" "file://$PWD/$out/$ws-tour.html" >/dev/null 2>&1
    echo "== exit $? (screenshot $out/$ws-tour.png)"
  fi
fi
wait_ex
[[ -z ${LIVE_EXERCISES:-} || $ex_lab != "$ws-1" ]] || exercises
if (($(date +%s) < ${STOP_AT:-9999999999})); then
  echo "== $(date -u +%T) verify all"
  w verify
fi
w status
cp -r ".workshop/$ws" "$out/$ws-workshop" 2>/dev/null
echo "== $(date -u +%T) down"
w down
echo "== leftovers: netns $(ip netns list | grep -c "swl-$ws-") qemu $(pgrep -fc "guest=$ws-") libvirtd $(pgrep -fc "\.cache/host/$ws-")"
