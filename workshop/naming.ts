/**
 * Workshop names and addresses, all derived from the workshop name and a lab index (netlab's
 * multilab idea), so N labs never collide on one libvirt host: lab `<ws>-<i>`, libvirt network
 * `<ws>-<i>`, bridge `swl-<8 hex>` (stacks/names.ts, 12 chars: under Linux's 15-character
 * interface limit), subnet 10.211.<54+i>.0/24 (lab 1 keeps the seed's 10.211.55.0/24), domains
 * `<ws>-<i>-node-<n>`, keys and state under `.lab/<ws>-<i>/`. A simulated host `<h>` of workshop
 * `<ws>` is a private libvirtd in netns `swl-<ws>-<h>` (e2e/host), shared by the labs placed there.
 */
import * as path from 'path';
import { EXIT, SwarmLabError } from '../lib/exit';
import { DEFAULT_LAB, resolveLab, type Lab } from '../stacks/lab';
import { bridgeName } from '../stacks/names';

/** Linux IFNAMSIZ - 1. */
export const IFNAME_MAX = 15;
/** 10.211.55..94: lab i gets the third octet 54 + i. */
export const MAX_LABS = 40;
const WS_RE = /^[a-z][a-z0-9]{0,7}$/;
const HOST_RE = /^[a-z][a-z0-9]{0,5}$/;

export function checkWorkshopName(ws: string): string {
  if (!WS_RE.test(ws))
    throw new SwarmLabError(
      EXIT.usage,
      `--name ${JSON.stringify(ws)}: use 1-8 characters a-z0-9 starting with a letter`,
      {
        subject: '--name',
        fix: 'e.g. --name ws',
      },
    );
  return ws;
}

export function checkHostName(h: string): string {
  if (h.includes('://'))
    throw new SwarmLabError(
      EXIT.usage,
      `--hosts ${h}: remote libvirt URIs are not driven yet; name simulated hosts (a-z0-9)`,
      {
        subject: '--hosts',
        fix: 'e.g. --hosts h1,h2 (private libvirtds in their own namespaces on this machine)',
      },
    );
  if (!HOST_RE.test(h))
    throw new SwarmLabError(
      EXIT.usage,
      `--hosts ${JSON.stringify(h)}: a host name is 1-6 characters a-z0-9 starting with a letter`,
      {
        subject: '--hosts',
        fix: 'e.g. --hosts h1,h2',
      },
    );
  return h;
}

export const labName = (ws: string, index: number): string => `${ws}-${index}`;
/** The e2e host name of a simulated host: its netns is `swl-<this>`, its dir `.cache/host/<this>`. */
export const hostKey = (ws: string, host: string): string => `${ws}-${host}`;
export const hostNetns = (ws: string, host: string): string => `swl-${hostKey(ws, host)}`;

export interface LabAddresses {
  readonly cidr: string;
  readonly gateway: string;
  readonly clientIp: string;
  readonly nodes: ReadonlyArray<{ readonly name: string; readonly ip: string; readonly role: 'manager' | 'worker' }>;
}

/** Lab i's subnet: the seed's plan (.1 gateway, .2 client, .10/.18/.22 nodes) in 10.211.<54+i>.0/24. */
export function labAddresses(index: number): LabAddresses {
  if (!Number.isInteger(index) || index < 1 || index > MAX_LABS)
    throw new SwarmLabError(EXIT.usage, `lab index ${index} is outside 1-${MAX_LABS}`, { fix: `--labs 1-${MAX_LABS}` });
  const net = `10.211.${54 + index}`;
  return {
    cidr: `${net}.0/24`,
    gateway: `${net}.1`,
    clientIp: `${net}.2`,
    nodes: DEFAULT_LAB.nodes.map((n) => {
      const last = n.ip.split('.')[3];
      return { name: `node-${last}`, ip: `${net}.${last}`, role: n.role };
    }),
  };
}

export interface LabFileProps {
  readonly ws: string;
  readonly index: number;
  readonly flavour: string;
  readonly libvirtUri: string;
  readonly pool: string;
  readonly memoryMiB: number;
  readonly diskGiB: number;
  readonly vcpu: number;
}

/** The lab file of workshop lab i (the e2e lab's service and image, this lab's own addresses). */
export function labFile(p: LabFileProps): Record<string, unknown> {
  const a = labAddresses(p.index);
  const name = labName(p.ws, p.index);
  return {
    name,
    image: p.flavour,
    domainType: 'auto',
    libvirtUri: p.libvirtUri,
    pool: p.pool,
    labDir: path.join('.lab', name),
    network: { cidr: a.cidr, gateway: a.gateway, clientIp: a.clientIp },
    nodes: a.nodes,
    vcpu: p.vcpu,
    memoryMiB: p.memoryMiB,
    diskGiB: p.diskGiB,
    service: { image: 'local:swarm-lab-web:1' },
  };
}

/** Resolve a workshop lab file through the lab model (every field checked), with no env overrides. */
export function resolveLabFile(file: Record<string, unknown>): Lab {
  return resolveLab({ env: {}, context: file });
}

/**
 * The names that must differ between labs sharing a host: lab/network name, bridge (hashed, so checked),
 * subnet. Throws naming both labs; also checks every interface name fits IFNAMSIZ.
 */
export function checkNoCollision(labs: readonly Lab[]): void {
  const seen = new Map<string, string>();
  for (const lab of labs) {
    const br = bridgeName(lab);
    if (br.length > IFNAME_MAX)
      throw new SwarmLabError(EXIT.usage, `lab ${lab.name}: bridge ${br} is longer than ${IFNAME_MAX} characters`);
    for (const key of [
      `name ${lab.name}`,
      `network ${lab.network.name}`,
      `bridge ${br}`,
      `subnet ${lab.network.cidr}`,
    ]) {
      const other = seen.get(key);
      if (other)
        throw new SwarmLabError(EXIT.usage, `labs ${other} and ${lab.name} share the ${key}`, {
          fix: 'use another workshop name',
        });
      seen.set(key, lab.name);
    }
  }
}
