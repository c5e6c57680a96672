/**
 * Typed entry points to the lab host scripts (up.sh, down.sh, client-addr.sh) for the e2e
 * runner: a lab's private libvirtd in its own network namespace.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { retry, RetryError } from '../../lib/retry';
import { parseExports } from '../../stacks/lab-host';

export interface HostProps {
  /** Lab name (2-40 chars a-z0-9-); names the netns `swl-<lab>` and `.cache/host/<lab>/`. */
  readonly lab: string;
  /** Repository root; default: two levels above this file. */
  readonly root?: string;
  /** Seconds before a script is killed; default 180. */
  readonly timeoutS?: number;
}

/** What up.sh exports: where the lab's libvirt lives. */
export interface HostEnv {
  /** Network namespace; run ssh/curl/tcpdump/cdktf with `ip netns exec <netns>`. */
  readonly netns: string;
  /** `qemu:///system?socket=<abs>`: the lab's libvirtd (usable from any namespace). */
  readonly libvirtUri: string;
  /** Dir storage pool created for the lab (`swl-<lab>`). */
  readonly pool: string;
  /** `.cache/host/<lab>` (absolute): logs under `log/` (libvirtd.log, qemu/<domain>.log). */
  readonly hostDir: string;
}

/** A host script failed: names the script, lab, exit code and its stderr tail. */
export class HostError extends Error {
  constructor(
    readonly script: string,
    readonly lab: string,
    readonly code: number | null,
    readonly stderr: string,
  ) {
    super(
      `e2e/host/${script} ${lab} failed (exit ${code ?? 'killed'}): ${stderr.trim().split('\n').slice(-8).join('\n')}`,
    );
    this.name = 'HostError';
  }
}

const defaultRoot = path.resolve(__dirname, '..', '..');

function script(name: string, args: string[], p: HostProps): string {
  const root = p.root ?? defaultRoot;
  const r = spawnSync('bash', [path.join(root, 'e2e/host', name), ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: (p.timeoutS ?? 180) * 1000,
  });
  if (r.status !== 0)
    throw new HostError(name, p.lab, r.status, `${r.stderr ?? ''}${r.error ? `\n${r.error.message}` : ''}`);
  return r.stdout;
}

/** Parse up.sh's `export NAME='value'` lines. */
export function parseHostEnv(text: string): HostEnv {
  const v = parseExports(text);
  const need = ['SWARM_LAB_NETNS', 'SWARM_LAB_LIBVIRT_URI', 'SWARM_LAB_POOL', 'SWARM_LAB_HOST_DIR'];
  const missing = need.filter((k) => !v[k]);
  if (missing.length) throw new Error(`host env lacks ${missing.join(', ')}; got: ${text.trim().slice(0, 300)}`);
  return {
    netns: v.SWARM_LAB_NETNS,
    libvirtUri: v.SWARM_LAB_LIBVIRT_URI,
    pool: v.SWARM_LAB_POOL,
    hostDir: v.SWARM_LAB_HOST_DIR,
  };
}

/** Environment for child processes (cdktf, virsh) that should use the lab's libvirtd. */
export function hostProcessEnv(h: HostEnv): Record<string, string> {
  return {
    SWARM_LAB_NETNS: h.netns,
    SWARM_LAB_LIBVIRT_URI: h.libvirtUri,
    LIBVIRT_DEFAULT_URI: h.libvirtUri,
    SWARM_LAB_POOL: h.pool,
    SWARM_LAB_HOST_DIR: h.hostDir,
  };
}

/**
 * Failures worth one more run of the script: a daemon slow to answer on a loaded machine, or another
 * up/down of the same lab holding the lock. up.sh then tears the half-started host down and starts
 * again; a missing tool, no root or a bad name fail the same way every time and are not retried.
 */
export function transientHostError(e: unknown): boolean {
  return (
    e instanceof HostError &&
    /does not answer on|holds .*\.lock|starting virtlogd\/libvirtd in \S+ failed|killed/.test(
      `${e.stderr} ${e.code === null ? 'killed' : ''}`,
    )
  );
}

/** Run a host script through lib/retry: `attempts` runs at most (default 2), 2 s apart, transient failures only. */
async function scriptWithRetry(name: string, args: string[], p: HostProps & { readonly attempts?: number }) {
  try {
    return await retry(() => Promise.resolve().then(() => script(name, args, p)), {
      attempts: p.attempts ?? 2,
      delayMs: 2000,
      retryable: transientHostError,
    });
  } catch (e) {
    throw e instanceof RetryError ? e.lastError : e;
  }
}

/** Bring the lab host up (idempotent; repairs a crashed one). */
export async function hostUp(p: HostProps & { readonly attempts?: number }): Promise<HostEnv> {
  return parseHostEnv(await scriptWithRetry('up.sh', [p.lab], p));
}

/** Tear the lab host down (idempotent): domains, networks, pools, daemons, netns; `purge` also
 * removes its logs and QEMU capability cache. */
export async function hostDown(p: HostProps & { readonly purge?: boolean; readonly attempts?: number }): Promise<void> {
  await scriptWithRetry('down.sh', [p.lab, ...(p.purge ? ['--purge'] : [])], p);
}

/** Put the client address (default 10.211.55.2/24) on the bridge of libvirt network `network`. */
export function addClientAddress(p: HostProps & { readonly network: string; readonly address?: string }): void {
  script('client-addr.sh', [p.lab, p.network, ...(p.address ? [p.address] : [])], p);
}
