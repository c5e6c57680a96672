#!/usr/bin/env bash
# Record a real verify round as the replay fixture of a flavour: round.json, transcript.json and
# the pcaps round.json names, from a verify report dir (e2e: .cache/e2e/<run>/verify) into
# test/fixtures/lab/<flavour>/, replacing what was there. The tests under test/verify/lab/ replay it.
#
#   e2e/record-fixture.sh <verify report dir> <flavour>
set -euo pipefail
[[ $# == 2 ]] || { echo "usage: e2e/record-fixture.sh <verify report dir> <flavour>" >&2; exit 3; }
SRC=$(cd "$1" && pwd)
FLAVOUR=$2
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DST=$ROOT/test/fixtures/lab/$FLAVOUR
for f in round.json transcript.json; do
  [[ -f $SRC/$f ]] || { echo "record-fixture: $SRC has no $f (a verify --out dir of a finished round?)" >&2; exit 3; }
done
[[ -f $ROOT/e2e/images/flavours/$FLAVOUR.conf ]] || { echo "record-fixture: unknown flavour $FLAVOUR (e2e/images/flavours/)" >&2; exit 3; }
rm -rf "$DST"
mkdir -p "$DST/pcaps"
cp "$SRC/round.json" "$SRC/transcript.json" "$DST/"
# Only the captures the round refers to (relative paths, see verify/cli.ts writeRoundFiles).
n=0
while IFS= read -r rel; do
  cp "$SRC/$rel" "$DST/pcaps/"
  n=$((n + 1))
done < <(node -e 'for (const c of JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).captures) console.log(c.file)' "$SRC/round.json")
echo "record-fixture: $FLAVOUR <- $SRC: $n pcaps, $(du -sh "$DST" | cut -f1)"
