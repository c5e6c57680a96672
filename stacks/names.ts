/**
 * Deterministic names and addresses derived from the lab model, so several labs coexist on one
 * libvirt host and a re-run yields the same objects (no random MACs, no timestamp names).
 */
import * as crypto from 'crypto';
import type { Lab, LabNode } from './lab';

function digest(...parts: string[]): Buffer {
  return crypto.createHash('sha256').update(parts.join('\0')).digest();
}

/**
 * Locally administered MAC in QEMU's 52:54:00 range, derived from lab name + node name.
 * cloud-init matches the NIC by this MAC and renames it to the lab NIC (enp0s5).
 */
export function macFor(lab: Lab, node: LabNode | string): string {
  const name = typeof node === 'string' ? node : node.name;
  const d = digest('mac', lab.name, name);
  return ['52', '54', '00', ...[d[0], d[1], d[2]].map((b) => b.toString(16).padStart(2, '0'))].join(':');
}

/** MACs of all nodes; throws on the (2^-24) chance that two collide, naming the nodes. */
export function macsOf(lab: Lab): Map<string, string> {
  const out = new Map<string, string>();
  const seen = new Map<string, string>();
  for (const n of lab.nodes) {
    const mac = macFor(lab, n);
    const other = seen.get(mac);
    if (other)
      throw new Error(`lab ${lab.name}: nodes ${other} and ${n.name} derive the same MAC ${mac}; rename one node`);
    seen.set(mac, n.name);
    out.set(n.name, mac);
  }
  return out;
}

/** Linux bridge name for the lab network (max 15 chars): `swl-` + 8 hex of the lab name. */
export function bridgeName(lab: Lab): string {
  return `swl-${digest('bridge', lab.name).toString('hex').slice(0, 8)}`;
}

/** libvirt domain name of a node: `<lab>-<node>`. */
export function domainName(lab: Lab, node: LabNode): string {
  return `${lab.name}-${node.name}`;
}

/** Short content hash used in file and volume names so a content change replaces the volume. */
export function shortHash(...parts: Array<string | Buffer>): string {
  const h = crypto.createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex').slice(0, 12);
}
