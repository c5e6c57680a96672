#!/usr/bin/env python3
"""Print the image ID a `docker save`/`docker load` tarball carries, for one repo:tag in it.

Usage: image_tar_id.py TARBALL REPO:TAG

Docker's image ID is the sha256 of the image config JSON, so it can be read from the tarball on
the controller and compared with `docker image inspect` on each node: a node that already has
that exact image skips the copy and the load. Exit 2 with a message naming the fix when the
tarball cannot be used.
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
    print('sha256:' + hashlib.sha256(config).hexdigest())


if __name__ == '__main__':
    main(sys.argv)
