/**
 * Typed entry points to the offline image builder (e2e/images/build.sh) for the e2e runner.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { FLAVOURS } from './flavours';

export interface ImagesProps {
  /** Repository root; default: two levels above this file. */
  readonly root?: string;
  /** Image cache; default `<root>/.cache/images` (env SWARM_LAB_IMAGE_CACHE). */
  readonly cacheDir?: string;
  /** Stream the builder's progress (phase times) to this process's stderr; default true. */
  readonly progress?: boolean;
}

/** Names the builder knows: the VM flavours (flavours/*.conf) plus `web` (the service image tarball). */
export const IMAGE_NAMES: readonly string[] = [...FLAVOURS.map((f) => f.name), 'web'];
export type ImageName = string;

const defaultRoot = path.resolve(__dirname, '..', '..');

function builder(
  args: string[],
  p: ImagesProps,
  stdio: 'pipe' | 'inherit',
): { code: number | null; out: string; err: string } {
  const root = p.root ?? defaultRoot;
  const env = { ...process.env, ...(p.cacheDir ? { SWARM_LAB_IMAGE_CACHE: p.cacheDir } : {}) };
  const r = spawnSync('bash', [path.join(root, 'e2e/images/build.sh'), ...args], {
    cwd: root,
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', stdio],
    // A cold sid build on a busy 2-core host stays well below this.
    timeout: 60 * 60 * 1000,
  });
  return { code: r.status, out: r.stdout ?? '', err: r.stderr ?? '' };
}

/** Build the images that are missing or whose inputs changed; reuse the rest. */
export function ensureImages(names: readonly ImageName[], p: ImagesProps = {}): void {
  const r = builder([...names], p, p.progress === false ? 'pipe' : 'inherit');
  if (r.code !== 0) {
    throw new Error(
      `e2e/images/build.sh ${names.join(' ')} failed (exit ${r.code})${r.err ? `: ${r.err.trim().split('\n').slice(-8).join('\n')}` : '; see its output above'}`,
    );
  }
}

/** True when the image is complete and built from the current inputs (no build needed). */
export function imageUpToDate(name: ImageName, p: ImagesProps = {}): boolean {
  return builder(['--check', name], p, 'pipe').code === 0;
}

/** Directory of a built image: disk.qcow2, vmlinuz, initrd.img (VMs) or web.tar (web). */
export function imageDir(name: ImageName, p: ImagesProps = {}): string {
  const cache = p.cacheDir ?? process.env.SWARM_LAB_IMAGE_CACHE ?? path.join(p.root ?? defaultRoot, '.cache/images');
  return path.join(cache, name);
}
