/**
 * The offline VM flavours as data: one `e2e/images/flavours/<name>.conf` per flavour (the image
 * builder sources the same files). Read here so the lab model, the e2e runner and the matrix
 * share one list: adding a flavour is adding a .conf file.
 */
import * as fs from 'fs';
import * as path from 'path';

export interface Flavour {
  /** Image and flavour name, e.g. `debian12-docker25`. */
  readonly name: string;
  /** Debian suite of the rootfs. */
  readonly suite: string;
  /** Docker Engine version the image carries (server and CLI). */
  readonly dockerVersion: string;
  /** `debian`: Debian's docker.io; `source`: built from the Go module proxy by e2e/engine. */
  readonly engine: 'debian' | 'source';
  /** First comment line of the .conf: what the flavour is. */
  readonly description: string;
}

export const FLAVOUR_DIR = path.resolve(__dirname, 'flavours');

/** Parse one flavour file: `KEY=value` lines (optionally quoted), `#` comments. */
export function parseFlavour(name: string, text: string): Flavour {
  const kv: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(?:"([^"]*)"|(\S*))\s*$/.exec(line.trim());
    if (m) kv[m[1]] = m[2] ?? m[3];
  }
  const need = (k: string): string => {
    if (!kv[k]) throw new Error(`e2e/images/flavours/${name}.conf sets no ${k}`);
    return kv[k];
  };
  const dockerVersion = need('DOCKER_VERSION');
  if (kv.ENGINE && kv.ENGINE !== dockerVersion) {
    throw new Error(
      `e2e/images/flavours/${name}.conf: ENGINE=${kv.ENGINE} differs from DOCKER_VERSION=${dockerVersion}`,
    );
  }
  const comment = /^#\s*(.*)$/m.exec(text)?.[1] ?? '';
  return { name, suite: need('SUITE'), dockerVersion, engine: kv.ENGINE ? 'source' : 'debian', description: comment };
}

/** Every flavour, sorted by Docker version (then name) so lists and the matrix read oldest first. */
export function readFlavours(dir: string = FLAVOUR_DIR): Flavour[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.conf'))
    .map((f) => parseFlavour(f.slice(0, -5), fs.readFileSync(path.join(dir, f), 'utf8')))
    .sort((a, b) => compareVersions(a.dockerVersion, b.dockerVersion) || a.name.localeCompare(b.name));
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return d;
  }
  return 0;
}

export const FLAVOURS: readonly Flavour[] = readFlavours();
