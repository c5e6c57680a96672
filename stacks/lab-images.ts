/**
 * VM images the lab can boot, and the Docker versions each can really run: a pinned list per image,
 * so a version the image's repository does not have is refused at synth, not minutes into a deploy.
 */

import { compareVersions, FLAVOURS } from '../e2e/images/flavours';

/** A VM image the lab can boot. CentOS images boot from disk; Debian lab images by direct kernel boot. */
export interface ImageSpec {
  readonly name: string;
  /** `centos` (Docker from Docker's el7 repo) or `debian` (Docker baked into the offline image). */
  readonly family: 'centos' | 'debian';
  /** Download URL (cached once) or absolute/relative local path to a qcow2. */
  readonly source: string;
  /** Pinned sha256 of the image file; empty for locally built images (their builder pins inputs). */
  readonly sha256: string;
  /** Login user cloud-init creates; verify and Ansible connect as this user. */
  readonly sshUser: string;
  /** Direct kernel boot: kernel/initrd paths next to the image (Debian lab images). */
  readonly kernel?: string;
  readonly initrd?: string;
  readonly cmdline?: string;
  /** Docker version the image carries, when Docker is baked in (Debian images). */
  readonly dockerVersion?: string;
  /** Every Docker version this image can run (`dockerVersion` must be one); one for baked-in images. */
  readonly dockerVersions: readonly string[];
  /** How the README and messages name where `dockerVersions` comes from. */
  readonly versionSource: string;
}

const series = (minor: string, last: number, first = 0): string[] =>
  Array.from({ length: last - first + 1 }, (_, i) => `${minor}.${first + i}`);

/**
 * docker-ce (with a matching docker-ce-cli, which the playbook pins too, so 18.09 is the first) in
 * download.docker.com/linux/centos/7/x86_64/stable; the el7 repository is frozen since el7's end of
 * life (2024-06-30) and stops at 26.1.4.
 */
export const EL7_DOCKER_CE: readonly string[] = [
  ...series('18.09', 9),
  ...series('19.03', 15),
  ...series('20.10', 24),
  ...series('23.0', 6),
  ...series('24.0', 9),
  ...series('25.0', 5),
  ...series('26.0', 2),
  ...series('26.1', 4),
];

function debianImage(name: string, dockerVersion: string): ImageSpec {
  return {
    name,
    family: 'debian',
    source: `.cache/images/${name}/disk.qcow2`,
    sha256: '',
    sshUser: 'root',
    kernel: `.cache/images/${name}/vmlinuz`,
    initrd: `.cache/images/${name}/initrd.img`,
    // TCG: `mitigations=off` spares the emulated CPU page-table isolation (a CR3 switch, and so a QEMU
    // TLB flush, on every syscall) and friends, which a throwaway lab VM does not need; `quiet` keeps the
    // kernel's boot log off the emulated serial console.
    cmdline: 'root=/dev/vda rw console=ttyS0 net.ifnames=1 mitigations=off quiet',
    dockerVersion,
    dockerVersions: [dockerVersion],
    versionSource: `the offline image carries Docker ${dockerVersion} only`,
  };
}

/** Images the lab knows by name. Local Debian images are built by `e2e/images` into `.cache/images`. */
export const IMAGES: Readonly<Record<string, ImageSpec>> = {
  'centos7.9': {
    name: 'centos7.9',
    family: 'centos',
    source: 'https://cloud.centos.org/centos/7/images/CentOS-7-x86_64-GenericCloud-2009.qcow2',
    sha256: 'e38bab0475cc6d004d2e17015969c659e5a308111851b0e2715e84646035bdd3',
    sshUser: 'centos',
    dockerVersions: EL7_DOCKER_CE,
    versionSource: `el7 docker-ce has ${EL7_DOCKER_CE[0]} to ${EL7_DOCKER_CE[EL7_DOCKER_CE.length - 1]}`,
  },
  // One per e2e/images/flavours/*.conf (Debian's docker.io or an engine built from source by e2e/engine).
  ...Object.fromEntries(FLAVOURS.map((f) => [f.name, debianImage(f.name, f.dockerVersion)])),
};

/** Image name that stands for "the offline Debian flavour carrying the lab's dockerVersion". */
export const OFFLINE_IMAGE = 'debian';

/** The offline flavour carrying Docker `version`, if one does. */
export function offlineImageFor(version: string): string | undefined {
  return FLAVOURS.find((f) => f.dockerVersion === version)?.name;
}

/** One line for a version no offline image carries: the versions that have one, and how to add one. */
export function noOfflineImage(version: string): string {
  const have = [...new Set(FLAVOURS.map((f) => f.dockerVersion))].join(', ');
  return (
    `no offline image carries Docker ${version}; flavours exist for ${have}. ` +
    `Add one: e2e/engine/pin.sh ${version} (source build) and e2e/images/flavours/<name>.conf with ` +
    `SUITE, DOCKER_VERSION=${version}, ENGINE=${version}; or use image centos7.9 (docker-ce from Docker's repo)`
  );
}

/** The image's version nearest below `v` (or its first), for a "did you mean". */
export function nearestVersion(img: ImageSpec, v: string): string {
  const below = img.dockerVersions.filter((x) => compareVersions(x, v) <= 0);
  return below.length ? below[below.length - 1] : img.dockerVersions[0];
}
