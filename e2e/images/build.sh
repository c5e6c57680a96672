#!/usr/bin/env bash
# Offline lab images, cached by content.
#
#   e2e/images/build.sh [--force] [<name>...]  build (or reuse) images; names:
#                                              debian12-docker20 debian13-docker26
#                                              debiansid-docker28 web all
#                                              (none: debian12-docker20 web)
#   e2e/images/build.sh --check <name>         exit 0 when up to date, 1 when a build is due
#   e2e/images/build.sh --stamp <name>         print the input hash, build nothing
#   e2e/images/build.sh --inputs <name>        list the input files of an image
#   e2e/images/build.sh --list                 list image names
#
# Outputs go to $SWARM_LAB_IMAGE_CACHE (default <repo>/.cache/images)/<name>/;
# `stamp` there holds the hash of the inputs the image was built from and is
# written last, so an image is reused only when it is complete and its inputs
# (the image's builder script, package list, suite, rootfs overlay) are
# unchanged. This dispatcher is not an input: editing it rebuilds nothing,
# except a bump of STAMP_VERSION (do that when a change here alters images).
# Env: SWARM_LAB_DEBIAN_MIRROR (default http://deb.debian.org/debian).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CACHE=${SWARM_LAB_IMAGE_CACHE:-$ROOT/.cache/images}
export SWARM_LAB_DEBIAN_MIRROR=${SWARM_LAB_DEBIAN_MIRROR:-http://deb.debian.org/debian}

STAMP_VERSION=1

log() { printf '[images] %s\n' "$*" >&2; }
die() { printf '[images] error: %s\n' "$*" >&2; exit 1; }

vm_names() { local f; for f in "$HERE"/flavours/*.conf; do f=${f##*/}; echo "${f%.conf}"; done; }
all_names() { vm_names; echo web; }

is_vm() { [[ -f "$HERE/flavours/$1.conf" ]]; }

# The Docker version a flavour builds from source (its ENGINE=), empty for docker.io flavours.
engine_of() { sed -n 's/^ENGINE=\(.*\)$/\1/p' "$HERE/flavours/$1.conf"; }

# Input files of an image, relative to $HERE, one per line, sorted.
inputs_of() {
  local name=$1
  (
    cd "$HERE"
    if [[ $name == web ]]; then
      find web-image.sh -type f
    elif is_vm "$name"; then
      find vm-image.sh packages.txt "flavours/$name.conf" rootfs -type f
      # A source-built engine: its pins and builder decide the binaries (e2e/engine caches them).
      local engine
      engine=$(engine_of "$name")
      [[ -z $engine ]] || find engine-rootfs ../engine/build.sh "../engine/releases/$engine.json" -type f
    else
      die "unknown image '$name'; known: $(all_names | tr '\n' ' ')"
    fi
  ) | LC_ALL=C sort
}

# Hash over the names and contents of the inputs (a rename counts as a change).
stamp_of() {
  local name=$1 files
  files=$(inputs_of "$name")
  (cd "$HERE" && { echo "stamp v$STAMP_VERSION image $name"; while IFS= read -r f; do sha256sum -- "$f"; done <<<"$files"; }) |
    sha256sum | cut -d' ' -f1
}

outputs_of() {
  if [[ $1 == web ]]; then echo web.tar; else printf '%s\n' disk.qcow2 vmlinuz initrd.img; fi
}

up_to_date() {
  local name=$1 dir=$CACHE/$1 f
  [[ -f $dir/stamp && $(cat "$dir/stamp") == "$(stamp_of "$name")" ]] || return 1
  for f in $(outputs_of "$name"); do [[ -s $dir/$f ]] || return 1; done
}

build_one() {
  local name=$1 force=$2 dir=$CACHE/$1 t0 stamp
  mkdir -p "$CACHE"
  # One builder per image at a time; a second caller waits, then reuses.
  exec 9>"$CACHE/.$name.lock"
  flock -w 3600 9 || die "$name: another build holds $CACHE/.$name.lock for over an hour"
  if [[ $force == 0 ]] && up_to_date "$name"; then
    log "$name: up to date ($dir, stamp $(cut -c1-12 "$dir/stamp"))"
    exec 9>&-
    return 0
  fi
  stamp=$(stamp_of "$name")
  t0=$(date +%s)
  log "$name: building (stamp ${stamp:0:12})"
  rm -f "$dir/stamp"
  mkdir -p "$dir"
  if [[ $name == web ]]; then
    "$HERE/web-image.sh" "$dir" "$CACHE/.work/web"
  else
    [[ $(id -u) == 0 ]] || die "$name: building a VM image needs root (debootstrap, chroot, mounts)"
    local engine engine_bin=""
    engine=$(engine_of "$name")
    if [[ -n $engine ]]; then
      # --check takes no lock: a current engine is not held up by another engine's build.
      "$HERE/../engine/build.sh" "$engine" --check 2>/dev/null || "$HERE/../engine/build.sh" "$engine" || die "$name: building the Docker $engine engine failed (e2e/engine/build.sh $engine)"
      engine_bin=${SWARM_LAB_ENGINE_CACHE:-$ROOT/.cache/engines}/$engine/bin
    fi
    # Private mount namespace: the chroot's /proc, /sys, /dev and cache binds
    # vanish with the builder, even when it is killed.
    ENGINE_BIN=$engine_bin unshare --mount --propagation private -- \
      "$HERE/vm-image.sh" "$HERE/flavours/$name.conf" "$dir" "$CACHE/.work/$name" "$CACHE/debs"
  fi
  echo "$stamp" >"$dir/stamp"
  log "$name: done in $(($(date +%s) - t0))s -> $dir ($(du -sh --apparent-size "$dir" | cut -f1) apparent, $(du -sh "$dir" | cut -f1) on disk)"
  exec 9>&-
}

main() {
  local force=0 names=()
  [[ $# -gt 0 ]] || set -- debian12-docker20 web
  case $1 in
    -h | --help) sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; return ;;
    --check)
      [[ $# == 2 ]] || die "usage: build.sh --check <name>"
      inputs_of "$2" >/dev/null
      if up_to_date "$2"; then log "$2: up to date"; return 0; fi
      log "$2: build due (stamp $(stamp_of "$2" | cut -c1-12), cache $CACHE/$2)"
      return 1
      ;;
    --stamp) [[ $# == 2 ]] || die "usage: build.sh --stamp <name>"; stamp_of "$2"; return ;;
    --inputs) [[ $# == 2 ]] || die "usage: build.sh --inputs <name>"; inputs_of "$2"; return ;;
    --list) all_names; return ;;
  esac
  while [[ $# -gt 0 ]]; do
    case $1 in
      --force) force=1 ;;
      all) mapfile -t -O "${#names[@]}" names < <(all_names) ;;
      -*) die "unknown option $1" ;;
      *) inputs_of "$1" >/dev/null; names+=("$1") ;;
    esac
    shift
  done
  for n in "${names[@]}"; do build_one "$n" "$force"; done
}

main "$@"
