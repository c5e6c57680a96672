/**
 * BaseImage: the read-only base volume every node's copy-on-write disk is backed by, plus the
 * kernel/initrd volumes for images that boot by direct kernel boot (the Debian lab images).
 *
 * A URL image (CentOS 7.9 GenericCloud) is downloaded once into `.cache/images/<name>/` by
 * tools/fetch-image.sh (sha256 pinned in stacks/lab.ts) in a terraform_data step the volume
 * depends on; a local image path is uploaded as it is.
 */
import * as path from 'path';
import { Construct, LibvirtVolume, TerraformData, type ITerraformDependable } from './cdk';
import { q } from './shell';
import type { ImageSpec } from './lab';

export interface ImageSource {
  /** Absolute path of the qcow2 the base volume is uploaded from. */
  readonly path: string;
  /** Download URL when the image is fetched into the cache; undefined for local images. */
  readonly url?: string;
  readonly sha256?: string;
}

export function isUrl(s: string): boolean {
  return /^https?:\/\//.test(s);
}

/** Where an image's qcow2 lives on the controller (cache path for URLs), resolved against `root`. */
export function imageSource(image: ImageSpec, root: string): ImageSource {
  if (isUrl(image.source)) {
    const file = path.basename(new URL(image.source).pathname);
    return { path: path.resolve(root, '.cache', 'images', image.name, file), url: image.source, sha256: image.sha256 };
  }
  return { path: path.resolve(root, image.source) };
}

export interface BaseImageProps {
  /** Lab name; prefixes the volume names so labs sharing a pool do not collide. */
  readonly labName: string;
  readonly image: ImageSpec;
  /** libvirt storage pool (default `default`). */
  readonly pool?: string;
  /** Repository root: `tools/fetch-image.sh` and relative image paths resolve against it (default cwd). */
  readonly root?: string;
}

export class BaseImage extends Construct {
  /** The base qcow2 volume; node disks use `volume.id` as `base_volume_id`. */
  readonly volume: LibvirtVolume;
  /** Kernel/initrd volumes for direct kernel boot; undefined for images that boot from disk. */
  readonly kernel?: LibvirtVolume;
  readonly initrd?: LibvirtVolume;
  /** Where the qcow2 comes from on the controller. */
  readonly source: ImageSource;
  /** The fetch step (URL images only); the base volume depends on it. */
  readonly fetch?: TerraformData;

  constructor(scope: Construct, id: string, props: BaseImageProps) {
    super(scope, id);
    const root = props.root ?? process.cwd();
    const pool = props.pool ?? 'default';
    const img = props.image;
    this.source = imageSource(img, root);
    const dependsOn: ITerraformDependable[] = [];
    if (this.source.url) {
      if (!/^[0-9a-f]{64}$/.test(this.source.sha256 ?? '')) {
        throw new Error(`image ${img.name}: a URL image needs a pinned sha256 (64 hex chars) in stacks/lab.ts IMAGES`);
      }
      const script = path.join(root, 'tools', 'fetch-image.sh');
      this.fetch = new TerraformData(this, 'fetch', {
        triggersReplace: { url: this.source.url, sha256: this.source.sha256, path: this.source.path },
        provisioners: [
          {
            type: 'local-exec',
            command: `${q(script)} ${q(this.source.url)} ${this.source.sha256} ${q(this.source.path)}`,
          },
        ],
      });
      dependsOn.push(this.fetch);
    }
    this.volume = new LibvirtVolume(this, 'base', {
      name: `${props.labName}-base-${img.name}.qcow2`,
      pool,
      format: 'qcow2',
      source: this.source.path,
      dependsOn,
    });
    if (img.kernel) {
      this.kernel = new LibvirtVolume(this, 'kernel', {
        name: `${props.labName}-${img.name}-vmlinuz`,
        pool,
        format: 'raw',
        source: path.resolve(root, img.kernel),
      });
    }
    if (img.initrd) {
      this.initrd = new LibvirtVolume(this, 'initrd', {
        name: `${props.labName}-${img.name}-initrd.img`,
        pool,
        format: 'raw',
        source: path.resolve(root, img.initrd),
      });
    }
  }
}
