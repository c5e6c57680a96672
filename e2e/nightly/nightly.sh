#!/usr/bin/env bash
# The nightly regression without CI (systemd timer or cron; the CI version is .github/workflows/nightly.yml):
# optionally fast-forward the checkout, run the e2e matrix (every Docker flavour: deploy -> second
# playbook run -> verify -> destroy, then summary.{txt,md,xml,json} with the regressions since the
# previous night's run in the same directory), tear down every flavour's lab
# whatever happened, keep the newest SWARM_LAB_NIGHTLY_KEEP result directories. Exit status: the matrix's.
#   e2e/nightly/nightly.sh [--pull] [--flavours a,b,c]
# Env: SWARM_LAB_NIGHTLY_DIR (results, default <repo>/.cache/nightly), SWARM_LAB_NIGHTLY_KEEP (14).
set -euo pipefail
cd "$(dirname "$0")/../.."
export CHECKPOINT_DISABLE=1 FORCE_COLOR=0

pull=0
# Every flavour the image builder knows (e2e/images/flavours/*.conf), every path.
flavours=$(find e2e/images/flavours -name '*.conf' -printf '%f\n' | sed 's/\.conf$//' | sort | paste -sd,)
export SWARM_LAB_E2E_PATHS=${SWARM_LAB_E2E_PATHS:-ingress,service-vip,task-to-task,dns,egress}
while [ $# -gt 0 ]; do
  case $1 in
    --pull) pull=1 ;;
    --flavours)
      flavours=${2:?--flavours needs a value}
      shift
      ;;
    -h | --help)
      sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "nightly: unknown option $1 (see --help)" >&2
      exit 3
      ;;
  esac
  shift
done

dir=${SWARM_LAB_NIGHTLY_DIR:-$PWD/.cache/nightly}
keep=${SWARM_LAB_NIGHTLY_KEEP:-14}
out="$dir/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
IFS=, read -ra list <<<"$flavours"

# shellcheck disable=SC2317 # run by the EXIT trap
teardown() {
  local f
  for f in "${list[@]}"; do npm run --silent e2e:clean -- --flavour "$f" || echo "nightly: teardown of $f failed" >&2; done
}
trap teardown EXIT

if [ "$pull" = 1 ]; then git pull --ff-only; fi
bash scripts/deps-debian.sh
rc=0
npm run --silent e2e:matrix -- --out "$out" --flavours "$flavours" 2>&1 | tee "$out/nightly.log" || rc=$?
ln -sfn "$out" "$dir/latest"
# Oldest first; keep the newest $keep runs.
mapfile -t runs < <(find "$dir" -mindepth 1 -maxdepth 1 -type d -name '20*' | sort)
if [ "${#runs[@]}" -gt "$keep" ]; then rm -rf -- "${runs[@]:0:${#runs[@]}-keep}"; fi
echo "nightly: exit $rc; results in $out (summary.txt, <flavour>/verify/report.html, pcaps)"
exit "$rc"
