/**
 * Labs deployed on this machine, so two labs that would clash on one libvirt host (same name, same
 * libvirt network or bridge, overlapping addresses) are refused before anything is created, naming the
 * other lab. One small JSON file per deployed lab under `$SWARM_LAB_REGISTRY` (default
 * `~/.local/state/swarm-lab/labs`), written when a deploy starts and removed when a destroy succeeds;
 * an entry whose lab has nothing deployed any more is ignored.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EXIT, SwarmLabError } from '../lib/exit';
import { cidrsOverlap, labPaths, type Lab } from './lab';
import { stateResources } from './lab-state';
import { bridgeName } from './names';

export interface RegistryEntry {
  readonly name: string;
  readonly labDir: string;
  readonly libvirtUri: string;
  readonly network: string;
  readonly cidr: string;
  readonly bridge: string;
}

export function registryDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.SWARM_LAB_REGISTRY || path.join(os.homedir(), '.local', 'state', 'swarm-lab', 'labs');
}

function entryOf(lab: Lab, root: string): RegistryEntry {
  return {
    name: lab.name,
    labDir: labPaths(lab, root).dir,
    libvirtUri: lab.libvirtUri,
    network: lab.network.name,
    cidr: lab.network.cidr,
    bridge: bridgeName(lab),
  };
}

const fileOf = (dir: string, e: RegistryEntry) =>
  path.join(dir, `${crypto.createHash('sha256').update(e.labDir).digest('hex').slice(0, 16)}.json`);

export function registeredLabs(dir = registryDir()): RegistryEntry[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  return names.flatMap((f) => {
    try {
      return [JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as RegistryEntry];
    } catch {
      return [];
    }
  });
}

/** The first registered, still deployed lab on the same libvirt host that this lab would clash with. */
export function checkClash(lab: Lab, root = process.cwd(), dir = registryDir()): void {
  const me = entryOf(lab, root);
  for (const o of registeredLabs(dir)) {
    if (o.labDir === me.labDir || o.libvirtUri !== me.libvirtUri) continue;
    if (!stateResources(path.join(o.labDir, 'terraform.tfstate')).length) continue;
    const why =
      o.name === me.name
        ? `the same name ${me.name} (its libvirt objects ${me.name}-*)`
        : o.network === me.network
          ? `the same libvirt network ${me.network}`
          : o.bridge === me.bridge
            ? `the same bridge ${me.bridge}`
            : cidrsOverlap(o.cidr, me.cidr)
              ? `overlapping addresses (${me.cidr} and its ${o.cidr})`
              : undefined;
    if (why) {
      throw new SwarmLabError(
        EXIT.usage,
        `lab ${me.name} (${me.labDir}) clashes with deployed lab ${o.name} (${o.labDir}) on ${o.libvirtUri}: ${why}`,
        { subject: me.name, fix: `change name/network in the lab file, or destroy ${o.name} first` },
      );
    }
  }
}

export function register(lab: Lab, root = process.cwd(), dir = registryDir()): void {
  const e = entryOf(lab, root);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(fileOf(dir, e), JSON.stringify(e) + '\n');
}

export function unregister(lab: Lab, root = process.cwd(), dir = registryDir()): void {
  fs.rmSync(fileOf(dir, entryOf(lab, root)), { force: true });
}
