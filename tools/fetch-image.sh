#!/usr/bin/env bash
# Download a VM image once into the cache and check its pinned sha256.
#   tools/fetch-image.sh <url> <sha256> <dest>
# Idempotent: an existing <dest> whose sha256 matches is kept (no network). A mismatch is an
# error that names both hashes; the download goes to <dest>.part and is renamed only after the
# check passes, so an interrupted or corrupted download never poses as the cached image.
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: $0 <url> <sha256> <dest>" >&2; exit 2; }
url="$1" want="$2" dest="$3"
mkdir -p "$(dirname "$dest")"

check() { sha256sum "$1" | cut -d' ' -f1; }

if [ -f "$dest" ]; then
  have="$(check "$dest")"
  if [ "$have" = "$want" ]; then echo "fetch-image: $dest cached, sha256 ok" >&2; exit 0; fi
  echo "fetch-image: $dest has sha256 $have, want $want; downloading again" >&2
fi

exec 9>"$dest.lock"
flock 9
echo "fetch-image: downloading $url" >&2
curl -fL --retry 3 --connect-timeout 20 -o "$dest.part" "$url" || {
  echo "fetch-image: download of $url failed; fetch it by other means and put it at $dest (sha256 $want), or set the lab image to a local path" >&2
  exit 1
}
have="$(check "$dest.part")"
if [ "$have" != "$want" ]; then
  rm -f "$dest.part"
  echo "fetch-image: $url has sha256 $have, pinned $want; refusing it (update the pin in stacks/lab.ts only after checking the vendor's sha256sum.txt)" >&2
  exit 1
fi
mv -f "$dest.part" "$dest"
echo "fetch-image: $dest ready" >&2
