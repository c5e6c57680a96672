/**
 * Where a lab stands, from what is on disk and in libvirt, in well under a second:
 *   not synthesized  no lab identity (`<labDir>/id_ed25519`) and nothing deployed
 *   synthesized      identity (keys, seed ISOs) but no resources in `<labDir>/terraform.tfstate`
 *   partly deployed  some resources, or libvirt objects of the lab that the state does not know
 *                    (an interrupted deploy), or a lock left by a command that was killed
 *   deployed         every node's domain and the network are in state
 *   running          deployed and libvirt says every domain is running
 * Each command states what it needs (`requireState`); a wrong state is one line with what to run.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import { EXIT, SwarmLabError } from '../lib/exit';
import * as path from 'path';
import { labPaths, type Lab } from './lab';
import { busyError, lockHolder } from './lab-lock';
import { domainName } from './names';

export type LabState = 'not synthesized' | 'synthesized' | 'partly deployed' | 'deployed' | 'running';

export interface LabStatus {
  readonly state: LabState;
  /** Why, in a clause (what is missing or extra). */
  readonly detail: string;
  /** libvirt domains of this lab that exist (in libvirt, or in state when libvirt cannot be asked). */
  readonly domains: readonly string[];
  readonly stateFile: string;
}

/** What libvirt says about the lab's domains; undefined when it cannot be asked (no virsh, no libvirtd). */
export interface LibvirtView {
  readonly all: readonly string[];
  readonly running: readonly string[];
}

export type LibvirtProbe = (lab: Lab) => LibvirtView | undefined;

/** `virsh list` with a 5 s bound; read-only, on the lab's own URI (a local socket or the remote host). */
export const virshProbe: LibvirtProbe = (lab) => {
  const list = (...args: string[]) => {
    const r = spawnSync('virsh', ['-q', '-c', lab.libvirtUri, 'list', '--name', ...args], {
      encoding: 'utf8',
      timeout: 5000,
      env: { ...process.env, LC_ALL: 'C' },
    });
    return r.status === 0 ? r.stdout.split('\n').filter(Boolean) : undefined;
  };
  const all = list('--all');
  const running = all && list('--state-running');
  return all && running ? { all, running } : undefined;
};

interface TfResource {
  readonly type: string;
  readonly name: string;
  readonly instances?: ReadonlyArray<{ attributes?: Record<string, unknown> }>;
}

/** Resources in a local tfstate (empty when the file is absent, or a destroy left it empty). */
export function stateResources(file: string): TfResource[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  try {
    return ((JSON.parse(text) as { resources?: TfResource[] }).resources ?? []).filter(
      (r) => (r.instances ?? []).length > 0,
    );
  } catch {
    throw new SwarmLabError(EXIT.state, `${file} is not a Terraform state (unreadable JSON)`, {
      fix: `move it aside and run npm run destroy, or restore it from ${file}.backup`,
    });
  }
}

/** Names of the libvirt domains a state records. */
export function domainsIn(resources: readonly TfResource[]): string[] {
  return resources
    .filter((r) => r.type === 'libvirt_domain')
    .flatMap((r) => (r.instances ?? []).map((i) => i.attributes?.name))
    .filter((n): n is string => typeof n === 'string');
}

export function labStatus(lab: Lab, root = process.cwd(), probe: LibvirtProbe = virshProbe): LabStatus {
  const p = labPaths(lab, root);
  const stateFile = `${p.dir}/terraform.tfstate`;
  const resources = stateResources(stateFile);
  const wanted = lab.nodes.map((n) => domainName(lab, n));
  const inState = domainsIn(resources);
  const hasNetwork = resources.some((r) => r.type === 'libvirt_network');
  const view = probe(lab);
  const inLibvirt = view ? view.all.filter((d) => wanted.includes(d)) : inState;
  const base = { stateFile, domains: inLibvirt };
  const orphans = inLibvirt.filter((d) => !inState.includes(d));
  if (!resources.length && !inLibvirt.length) {
    return fs.existsSync(p.userKey)
      ? { ...base, state: 'synthesized', detail: `no resources in ${stateFile}` }
      : { ...base, state: 'not synthesized', detail: `no ${p.userKey}` };
  }
  if (orphans.length) {
    return { ...base, state: 'partly deployed', detail: `domain ${orphans.join(', ')} exists but is not in state` };
  }
  const missing = wanted.filter((d) => !inState.includes(d));
  if (missing.length || !hasNetwork) {
    const what = [...missing.map((d) => `domain ${d}`), ...(hasNetwork ? [] : ['the network'])];
    return { ...base, state: 'partly deployed', detail: `${what.join(', ')} not deployed` };
  }
  const gone = view ? wanted.filter((d) => !view.all.includes(d)) : [];
  if (gone.length)
    return { ...base, state: 'partly deployed', detail: `domain ${gone.join(', ')} is in state but not in libvirt` };
  if (!view) return { ...base, state: 'deployed', detail: 'libvirt could not be asked whether the domains run' };
  const down = wanted.filter((d) => !view.running.includes(d));
  if (down.length) return { ...base, state: 'deployed', detail: `domain ${down.join(', ')} is not running` };
  return { ...base, state: 'running', detail: `${wanted.length} domains running` };
}

export type LabCommand = 'verify' | 'provision' | 'destroy' | 'lab' | 'synth';

/**
 * Refuse a command in the wrong state with one line (exit `state`) naming the state and what to run.
 * Returns the status; `destroy` of a lab with nothing deployed returns it with `nothing: true`.
 */
export function requireState(
  command: LabCommand,
  lab: Lab,
  root = process.cwd(),
  probe: LibvirtProbe = virshProbe,
): LabStatus & { nothing?: boolean } {
  // Another command at work on this lab first: its state file may be half written (tofu rewrites it
  // in place), and "unreadable state" would be the wrong news.
  const dir = labPaths(lab, root).dir;
  const holder = lockHolder(dir);
  if (holder && holder.pid !== process.pid) throw busyError(lab.name, path.join(dir, 'lock'), holder);
  const s = labStatus(lab, root, probe);
  const say = (fix: string) =>
    new SwarmLabError(EXIT.state, `lab ${lab.name} is ${s.state} (${s.detail})`, { subject: lab.name, fix });
  if (command === 'verify' || command === 'provision') {
    if (s.state === 'running') return s;
    // libvirt unreachable but state complete: let the command try (it has its own connect timeouts).
    if (s.state === 'deployed' && s.detail.startsWith('libvirt could not')) return s;
    if (s.state === 'not synthesized' || s.state === 'synthesized') throw say('deploy it first: npm run lab');
    if (s.state === 'partly deployed') throw say('npm run lab converges it, or npm run destroy removes it');
    throw say(`start the domains (virsh -c ${lab.libvirtUri} start <domain>) or run npm run lab`);
  }
  if (command === 'destroy' && (s.state === 'not synthesized' || s.state === 'synthesized')) {
    return { ...s, nothing: true };
  }
  return s;
}
