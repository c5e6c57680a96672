#!/usr/bin/env python3
"""Print the image IDs a `docker save`/`docker load` tarball carries, for one repo:tag in it.

Usage: image_tar_id.py TARBALL REPO:TAG

`docker image inspect`'s ID depends on the daemon's image store: the classic store reports the
sha256 of the image config JSON; the containerd image store (Docker 29's default) reports the
digest of the image's OCI manifest, which the tarball names only in its OCI index (`index.json`,
written by `docker save` since 25.0 and by e2e/images/web-image.sh). Both are content digests of
the same image, so the script prints the config digest and, when the index names the tag, the
manifest digest, space-separated; a node whose image ID is either already has that exact image and
skips the copy and the load. Exit 2 with a message naming the fix when the tarball cannot be used.
"""
import hashlib
import json
import sys
import tarfile


def fail(msg):
    sys.stderr.write('image_tar_id: %s\n' % msg)
    sys.exit(2)


def main(argv):
    if len(argv) != 3:
        fail('usage: image_tar_id.py TARBALL REPO:TAG')
    path, ref = argv[1], argv[2]
    try:
        tar = tarfile.open(path)
    except (OSError, tarfile.TarError) as e:
        fail('cannot read %s (%s); build the web image first (e2e/images) or fix service_image_tarball' % (path, e))
    with tar:
        # tar writers differ: `docker save` stores `manifest.json`, others `./manifest.json`.
        names = {(m.name[2:] if m.name.startswith('./') else m.name): m for m in tar.getmembers()}
        try:
            manifest = json.load(tar.extractfile(names['manifest.json']))
        except (KeyError, ValueError, AttributeError) as e:
            fail('%s has no readable manifest.json (%s); it must be a `docker save`-format tarball' % (path, e))
        # A bare name means tag latest, as docker does.
        want = ref if ':' in ref.rsplit('/', 1)[-1] else ref + ':latest'
        entries = [m for m in manifest if want in (m.get('RepoTags') or [])]
        if not entries:
            tags = sorted(t for m in manifest for t in (m.get('RepoTags') or []))
            fail('%s does not carry %s (it has: %s); set service_image to local:<one of those>'
                 % (path, want, ', '.join(tags) or 'no tags'))
        config_name = entries[0]['Config']
        try:
            config = tar.extractfile(names[config_name]).read()
        except (KeyError, AttributeError):
            fail('%s names config %s but does not contain it' % (path, config_name))
        ids = ['sha256:' + hashlib.sha256(config).hexdigest()]
        manifest_digest = oci_manifest_digest(tar, names, want)
        if manifest_digest:
            ids.append(manifest_digest)
    print(' '.join(ids))


def oci_manifest_digest(tar, names, want):
    """The digest of the OCI manifest that index.json names `want` by, or None."""
    if 'index.json' not in names:
        return None
    try:
        index = json.load(tar.extractfile(names['index.json']))
    except (ValueError, AttributeError):
        return None
    repo, tag = want.rsplit(':', 1)
    full = repo if '/' in repo else 'docker.io/library/' + repo
    for m in index.get('manifests') or []:
        ann = m.get('annotations') or {}
        if ann.get('io.containerd.image.name') in (want, full + ':' + tag):
            return m.get('digest')
    return None


if __name__ == '__main__':
    main(sys.argv)
