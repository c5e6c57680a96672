/**
 * Where `npm run lab` deploys: the user's libvirt (today's path), or the embedded default, a private
 * libvirtd in the lab's own network namespace (e2e/host) with the offline Debian image, when the
 * default lab cannot run here: no libvirtd socket, or the CentOS image can neither be found in the
 * cache nor downloaded. A lab the user chose (lab file, libvirt URI, image) is never swapped for another.
 * `decideHost` is pure (tests feed it facts); `hostFacts` reads them from this machine.
 */
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { EXIT, SwarmLabError } from '../lib/exit';
import { imageSource } from './base-image';
import { imageOf, type Lab } from './lab';

/** `SWARM_LAB_HOST`: `auto` (default) decides; `system` and `embedded` force one. */
export type HostChoice = 'auto' | 'system' | 'embedded';

export type Availability = { readonly ok: true } | { readonly ok: false; readonly why: string };

export interface HostFacts {
  readonly choice: HostChoice;
  /** The env variable by which the user chose the lab or its libvirt/image, if any. */
  readonly explicit?: string;
  /** The embedded lab of this checkout that is deployed now (its name), if any. */
  readonly activeEmbedded?: string;
  /** The lab's local libvirtd socket and whether it exists; undefined for remote URIs. */
  readonly socket?: { readonly path: string; readonly exists: boolean };
  /** The lab's image on this machine (asked only when libvirt is there: it may download). */
  readonly image: () => Availability;
  /** Whether the embedded host can start here (root, libvirtd/qemu binaries). */
  readonly embedded: Availability;
}

export interface HostDecision {
  readonly host: 'system' | 'embedded';
  /** Why, one clause (the fallback line prints it). */
  readonly why: string;
}

/** The rules, in order; see the file comment. Throws (exit 5) when neither host can run the lab. */
export function decideHost(f: HostFacts): HostDecision {
  const embedded = (why: string): HostDecision => {
    if (f.embedded.ok) return { host: 'embedded', why };
    throw new SwarmLabError(EXIT.env, `${why}, and the embedded lab cannot start here: ${f.embedded.why}`, {
      fix: 'start libvirtd (systemctl start libvirtd) and rerun, or install what the embedded lab needs',
    });
  };
  if (f.choice === 'system') return { host: 'system', why: 'SWARM_LAB_HOST=system' };
  if (f.choice === 'embedded') return embedded('SWARM_LAB_HOST=embedded');
  if (f.activeEmbedded) return embedded(`the embedded lab ${f.activeEmbedded} is deployed (npm run destroy ends it)`);
  if (f.explicit) return { host: 'system', why: `the lab is chosen by ${f.explicit}` };
  if (f.socket && !f.socket.exists) return embedded(`no system libvirtd (no socket at ${f.socket.path})`);
  const img = f.image();
  if (!img.ok) return embedded(img.why);
  return { host: 'system', why: 'libvirtd and the image are here' };
}

/** Files of this checkout's embedded lab: its lab file and the shell exports every later command sources. */
export function embeddedFiles(root: string): { readonly labFile: string; readonly env: string } {
  return { labFile: path.join(root, '.lab', 'embedded-lab.json'), env: path.join(root, '.lab', 'embedded.env') };
}

/** Variables by which a user picks the lab, its libvirt or its image: with one set, no fallback. */
export const EXPLICIT_VARS = ['SWARM_LAB_FILE', 'SWARM_LAB_LIBVIRT_URI', 'SWARM_LAB_IMAGE'] as const;

/** The local socket a `qemu:///system|session` URI talks to (as preflight's checkLibvirtSocket). */
export function localSocket(uri: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const m = /^qemu(?:\+unix)?:\/\/\/(system|session)(?:\?(.*))?$/.exec(uri);
  if (!m) return undefined;
  return (
    new URLSearchParams(m[2] ?? '').get('socket') ??
    (m[1] === 'system'
      ? '/var/run/libvirt/libvirt-sock'
      : path.join(env.XDG_RUNTIME_DIR ?? '/run/user/0', 'libvirt', 'libvirt-sock'))
  );
}

const onPath = (bin: string, env: NodeJS.ProcessEnv): boolean =>
  (env.PATH ?? '').split(path.delimiter).some((d) => d && fs.existsSync(path.join(d, bin)));

/** What the embedded host needs (e2e/host/up.sh checks the same, later and at length). */
export function embeddedAvailability(
  env: NodeJS.ProcessEnv = process.env,
  uid = process.getuid?.() ?? 0,
): Availability {
  if (uid !== 0) return { ok: false, why: 'it needs root (a network namespace and a private libvirtd)' };
  const missing = ['ip', 'libvirtd', 'virtlogd', 'virsh', 'qemu-system-x86_64', 'dnsmasq'].filter(
    (b) => !onPath(b, env),
  );
  if (missing.length)
    return {
      ok: false,
      why: `${missing.join(', ')} not found (Debian: libvirt-daemon-system libvirt-clients qemu-system-x86 dnsmasq-base)`,
    };
  return { ok: true };
}

/**
 * The lab's image: a local file must exist; a URL image must be in the cache or download now with
 * tools/fetch-image.sh (the download deploy would start anyway; sha256 pinned).
 */
export function imageAvailability(lab: Lab, root: string, run = spawnSync): Availability {
  const img = imageOf(lab);
  const src = imageSource(img, root);
  if (fs.existsSync(src.path)) return { ok: true };
  if (!src.url) return { ok: false, why: `image ${img.name} not at ${src.path}` };
  process.stderr.write(`swarm-lab lab: image ${img.name} not cached; downloading ${src.url}\n`);
  const r = run('bash', [path.join(root, 'tools', 'fetch-image.sh'), src.url, src.sha256 ?? '', src.path], {
    stdio: ['ignore', 'inherit', 'pipe'],
    encoding: 'utf8',
    timeout: 3600_000,
  });
  if (r.status === 0) return { ok: true };
  const tail = String(r.stderr ?? '')
    .trim()
    .split('\n')
    .pop();
  return { ok: false, why: `image ${img.name} cannot be downloaded (${tail || `exit ${r.status}`})` };
}

/** The facts of this machine for the default `npm run lab`. */
export function hostFacts(lab: Lab, root: string, env: NodeJS.ProcessEnv = process.env): HostFacts {
  const choice = (env.SWARM_LAB_HOST || 'auto') as HostChoice;
  if (!['auto', 'system', 'embedded'].includes(choice))
    throw new SwarmLabError(EXIT.usage, `SWARM_LAB_HOST=${choice}: use auto, system or embedded`);
  const explicit =
    EXPLICIT_VARS.find((v) => env[v]) ??
    (/"lab"/.test(env.CDKTF_CONTEXT_JSON ?? '') ? 'CDKTF_CONTEXT_JSON' : undefined);
  const active = readEmbeddedEnv(embeddedFiles(root).env);
  const sock = localSocket(lab.libvirtUri, env);
  return {
    choice,
    ...(explicit ? { explicit } : {}),
    ...(active?.SWARM_LAB_EMBEDDED ? { activeEmbedded: active.SWARM_LAB_EMBEDDED } : {}),
    ...(sock ? { socket: { path: sock, exists: fs.existsSync(sock) } } : {}),
    image: () => imageAvailability(lab, root),
    embedded: embeddedAvailability(env),
  };
}

/** `export NAME='value'` lines (the embedded lab's env file) as a map; undefined when there is none. */
export function readEmbeddedEnv(file: string): Record<string, string> | undefined {
  try {
    return parseExports(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Shell `export NAME='value'` lines (what e2e/host/up.sh prints) as a map. */
export function parseExports(text: string): Record<string, string> {
  const v: Record<string, string> = {};
  for (const m of text.matchAll(/^export (\w+)='([^']*)'$/gm)) v[m[1]] = m[2];
  return v;
}
