#!/usr/bin/env bash
# Build the lab's offline web service image from Debian's busybox-static and
# write it as a `docker load`-able archive (Docker image archive format, manifest.json, and an
# OCI image layout, index.json, in one tar as `docker save` writes them), without any Docker engine.
#
#   web-image.sh <out dir> <work dir>
#
# Writes <out>/web.tar holding swarm-lab-web:1: busybox httpd serving
# /usr/share/nginx/html on port 80 (Ansible bind-mounts each node's page
# there), and <out>/image-id (sha256 of the config, what `docker images` shows).
# The archive is byte-for-byte reproducible for a given busybox-static .deb.
set -euo pipefail

OUT=$1 WORK=$2
CACHE=$(dirname "$OUT")
MIRROR=${SWARM_LAB_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
IMAGE_REF=swarm-lab-web:1
EPOCH=1970-01-01T00:00:00Z
R=$WORK/rootfs

log() { printf '[images] web: %s\n' "$*" >&2; }
die() { printf '[images] web: error: %s\n' "$*" >&2; exit 1; }

# A private apt configuration: Debian's mirror only, state under the cache;
# the host's /etc/apt sources are neither read nor changed.
fetch_busybox() {
  local apt=$CACHE/.apt
  mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/sources.list.d"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR $SUITE main" >"$apt/sources.list"
  local opts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o "Dir::Etc::SourceParts=$apt/sources.list.d"
    -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache" -o Debug::NoLocking=1 -q)
  apt-get "${opts[@]}" update >"$WORK/apt.log" 2>&1 ||
    { tail -n 20 "$WORK/apt.log" >&2; die "apt-get update from $MIRROR ($SUITE) failed"; }
  (cd "$WORK" && apt-get "${opts[@]}" download busybox-static >>"$WORK/apt.log" 2>&1) ||
    { tail -n 20 "$WORK/apt.log" >&2; die "apt-get download busybox-static failed"; }
}

make_rootfs() {
  local deb
  deb=$(ls "$WORK"/busybox-static_*.deb)
  mkdir -p "$WORK/deb" "$R"/{bin,etc,tmp,root,usr/share/nginx/html}
  dpkg-deb -x "$deb" "$WORK/deb"
  install -m 0755 "$WORK/deb/bin/busybox" "$R/bin/busybox"
  # Every applet as a link, so `docker exec ... sh/wget/ip` works when debugging.
  local a
  for a in $("$R/bin/busybox" --list); do [[ $a == busybox ]] || ln -sf busybox "$R/bin/$a"; done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$R/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$R/etc/group"
  echo 'swarm-lab-web: no page mounted' >"$R/usr/share/nginx/html/index.html"
  chmod 1777 "$R/tmp"
  echo "$(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version)" >"$WORK/source-package"
}

# Deterministic tar: sorted names, numeric root ownership, fixed mtime.
det_tar() { tar --sort=name --numeric-owner --owner=0 --group=0 --mtime=@0 --format=gnu -cf "$@"; }

make_archive() {
  local A=$WORK/archive diff cfg cfgid man manid
  rm -rf "$A"
  mkdir -p "$A/blobs/sha256"
  det_tar "$WORK/layer.tar" -C "$R" .
  diff=$(sha256sum "$WORK/layer.tar" | cut -d' ' -f1)
  mv "$WORK/layer.tar" "$A/blobs/sha256/$diff"
  # Image config (Docker image spec v1.2 / OCI config).
  cfg=$(printf '{"architecture":"amd64","os":"linux","created":"%s","config":{"Env":["PATH=/bin"],"Cmd":["/bin/busybox","httpd","-f","-v","-p","80","-h","/usr/share/nginx/html"],"ExposedPorts":{"80/tcp":{}},"WorkingDir":"/","StopSignal":"SIGKILL","Labels":{"org.opencontainers.image.title":"swarm-lab-web","org.opencontainers.image.source":"e2e/images/web-image.sh","org.opencontainers.image.description":"%s"}},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created":"%s","created_by":"e2e/images/web-image.sh (%s)"}]}' \
    "$EPOCH" "$(cat "$WORK/source-package")" "$diff" "$EPOCH" "$(cat "$WORK/source-package")")
  printf '%s' "$cfg" >"$A/config.json"
  cfgid=$(sha256sum "$A/config.json" | cut -d' ' -f1)
  mv "$A/config.json" "$A/blobs/sha256/$cfgid"
  # Both layouts in one archive, as `docker save` writes since 25.0: manifest.json for the classic
  # image store (image ID = config digest) and an OCI index for the containerd image store, the
  # default in Docker 29 (image ID = this manifest's digest).
  man=$(printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%d},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%d}]}' \
    "$cfgid" "$(stat -c %s "$A/blobs/sha256/$cfgid")" "$diff" "$(stat -c %s "$A/blobs/sha256/$diff")")
  printf '%s' "$man" >"$A/manifest.oci"
  manid=$(sha256sum "$A/manifest.oci" | cut -d' ' -f1)
  mv "$A/manifest.oci" "$A/blobs/sha256/$manid"
  printf '{"imageLayoutVersion":"1.0.0"}' >"$A/oci-layout"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%d,"annotations":{"io.containerd.image.name":"docker.io/library/%s","org.opencontainers.image.ref.name":"%s"}}]}' \
    "$manid" "${#man}" "$IMAGE_REF" "${IMAGE_REF#*:}" >"$A/index.json"
  printf '[{"Config":"blobs/sha256/%s","RepoTags":["%s"],"Layers":["blobs/sha256/%s"]}]' "$cfgid" "$IMAGE_REF" "$diff" >"$A/manifest.json"
  printf '{"%s":{"%s":"%s"}}' "${IMAGE_REF%%:*}" "${IMAGE_REF#*:}" "$diff" >"$A/repositories"
  det_tar "$WORK/web.tar" -C "$A" .
  echo "sha256:$cfgid" >"$WORK/image-id"
  log "$IMAGE_REF from $(cat "$WORK/source-package"): image id sha256:${cfgid:0:12} (containerd store: sha256:${manid:0:12}), layer $(du -h --apparent-size "$A/blobs/sha256/$diff" | cut -f1)"
}

rm -rf "$WORK"
mkdir -p "$WORK" "$OUT"
t0=$EPOCHREALTIME
fetch_busybox
make_rootfs
make_archive
mv -f "$WORK/web.tar" "$WORK/image-id" "$OUT/"
chmod 0644 "$OUT/web.tar" "$OUT/image-id"
rm -rf "$WORK"
log "phase build $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')s"
