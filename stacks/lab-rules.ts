/**
 * Rules that relate several lab fields, checked after the schema's per-field types and ranges:
 * addresses inside the lab network and unique, roles, ports that do not collide with the swarm's own,
 * subnets that do not overlap, and the Docker versions the chosen image really has. Each rule yields
 * at most one (field, detail); the first one found is the error.
 */
import * as net from 'net';
import { NFTABLES_SWARM_SINCE, nftablesFlavours, supportsNftablesSwarm } from './docker-daemon';
import { IMAGES, nearestVersion, noOfflineImage, OFFLINE_IMAGE, offlineImageFor } from './lab-images';
import type { Lab } from './lab-schema';

export interface LabIssue {
  readonly field: string;
  readonly detail: string;
}

export function ipToInt(ip: string): number {
  return ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

export function parseCidr(cidr: string): { base: number; bits: number } | undefined {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d{1,2})$/.exec(cidr);
  if (!m || net.isIPv4(m[1]) === false) return undefined;
  const bits = Number(m[2]);
  if (bits < 8 || bits > 30) return undefined;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return { base: (ipToInt(m[1]) & mask) >>> 0, bits };
}

export function inCidr(ip: string, cidr: string): boolean {
  const c = parseCidr(cidr);
  if (!c || !net.isIPv4(ip)) return false;
  const mask = (0xffffffff << (32 - c.bits)) >>> 0;
  const v = ipToInt(ip);
  // Network and broadcast addresses are not usable host addresses.
  return (v & mask) >>> 0 === c.base && v !== c.base && v !== (c.base | (~mask >>> 0)) >>> 0;
}

/** Two CIDRs share an address. */
export function cidrsOverlap(a: string, b: string): boolean {
  const x = parseCidr(a);
  const y = parseCidr(b);
  if (!x || !y) return false;
  const bits = Math.min(x.bits, y.bits);
  const mask = (0xffffffff << (32 - bits)) >>> 0;
  return (x.base & mask) >>> 0 === (y.base & mask) >>> 0;
}

/** Ports the swarm itself listens on, on every node (and SSH, which verify and Ansible need). */
export const RESERVED_PORTS: ReadonlyArray<{ port: number; what: string }> = [
  { port: 22, what: "the nodes' SSH port (verify and Ansible use it)" },
  { port: 2377, what: "the swarm's control port (2377/tcp)" },
  { port: 7946, what: "the swarm's gossip port (7946/tcp+udp)" },
];

/** Docker's default ingress overlay: a user overlay overlapping it fails `docker network create`. */
export const INGRESS_SUBNET = '10.0.0.0/24';

type Rule = (lab: Lab) => LabIssue | undefined;
const issue = (field: string, detail: string): LabIssue => ({ field, detail });
const firstOf = <T>(items: readonly T[], f: (x: T, i: number) => LabIssue | undefined): LabIssue | undefined => {
  for (let i = 0; i < items.length; i++) {
    const r = f(items[i], i);
    if (r) return r;
  }
  return undefined;
};

const reserved = (field: string, port: number) => {
  const r = RESERVED_PORTS.find((x) => x.port === port);
  return r ? issue(field, `${port} is ${r.what}; pick another port`) : undefined;
};

export const LAB_RULES: readonly Rule[] = [
  ({ network: n }) =>
    inCidr(n.gateway, n.cidr) ? undefined : issue('network.gateway', `${n.gateway} is not a host address in ${n.cidr}`),
  ({ network: n }) =>
    inCidr(n.clientIp, n.cidr)
      ? undefined
      : issue('network.clientIp', `${n.clientIp} is not a host address in ${n.cidr}`),
  ({ network: n }) =>
    n.clientIp === n.gateway
      ? issue('network.clientIp', `${n.clientIp} is also network.gateway; pick another host address`)
      : undefined,
  (lab) => {
    const seenName = new Set<string>();
    const seenIp = new Map<string, string>();
    return firstOf(lab.nodes, (node, i) => {
      const f = `nodes[${i}]`;
      if (seenName.has(node.name)) return issue(`${f}.name`, `"${node.name}" is used twice`);
      seenName.add(node.name);
      if (!inCidr(node.ip, lab.network.cidr))
        return issue(`${f}.ip`, `${node.ip} (${node.name}) is not a host address in ${lab.network.cidr}`);
      const dup = seenIp.get(node.ip);
      if (dup) return issue(`${f}.ip`, `${node.ip} is already used by ${dup}`);
      if (node.ip === lab.network.gateway || node.ip === lab.network.clientIp)
        return issue(`${f}.ip`, `${node.ip} collides with the network gateway or client address`);
      seenIp.set(node.ip, node.name);
      return undefined;
    });
  },
  (lab) =>
    lab.nodes.some((x) => x.role === 'manager')
      ? undefined
      : issue('nodes', 'no node has role manager; need at least one'),
  (lab) => reserved('dataPathPort', lab.dataPathPort),
  (lab) => reserved('service.publishedPort', lab.service.publishedPort),
  (lab) =>
    lab.service.publishedPort === lab.dataPathPort
      ? issue(
          'service.publishedPort',
          `${lab.dataPathPort} is also dataPathPort (VXLAN); pick another port for one of them`,
        )
      : undefined,
  ({ service: s, network: n }) =>
    cidrsOverlap(s.overlaySubnet, n.cidr)
      ? issue('service.overlaySubnet', `${s.overlaySubnet} overlaps network.cidr ${n.cidr}; pick a disjoint subnet`)
      : undefined,
  ({ service: s }) =>
    cidrsOverlap(s.overlaySubnet, INGRESS_SUBNET)
      ? issue(
          'service.overlaySubnet',
          `${s.overlaySubnet} overlaps Docker's ingress network ${INGRESS_SUBNET}; pick a disjoint subnet`,
        )
      : undefined,
  ({ service: s }) =>
    s.imageTarball !== undefined && !s.image.startsWith('local:')
      ? issue(
          'service.imageTarball',
          `set, but service.image "${s.image}" is not local:<name>; remove imageTarball or use a local: image`,
        )
      : undefined,
  (lab) => {
    const img = IMAGES[lab.image];
    if (!img || img.dockerVersions.includes(lab.dockerVersion)) return undefined;
    if (img.dockerVersions.length === 1) {
      // An offline image: name the flavour that has the version, or list the versions that have one.
      const other = offlineImageFor(lab.dockerVersion);
      return issue(
        'dockerVersion',
        other
          ? `${lab.dockerVersion} is not available on image ${img.name}: ${img.versionSource}; use image ${other} (or "${OFFLINE_IMAGE}")`
          : `${lab.dockerVersion} is not available on image ${img.name}: ${noOfflineImage(lab.dockerVersion)}`,
      );
    }
    return issue(
      'dockerVersion',
      `${lab.dockerVersion} is not available on image ${img.name}: ${img.versionSource}; nearest: ${nearestVersion(img, lab.dockerVersion)}`,
    );
  },
  // After the version rule: the version is one the image really has, so the fix names the backend or a flavour.
  (lab) =>
    lab.dockerFirewallBackend === 'nftables' && !supportsNftablesSwarm(lab.dockerVersion)
      ? issue(
          'dockerFirewallBackend',
          `nftables needs Docker ${NFTABLES_SWARM_SINCE} or later for a Swarm (features.swarm-nftables), dockerVersion is ${lab.dockerVersion}; use dockerFirewallBackend iptables, or image ${nftablesFlavours().join(', ') || '(none yet: add a 29.x flavour)'}`,
        )
      : undefined,
];

/** The first cross-field problem of a lab whose fields are each valid, or undefined. */
export function firstRuleIssue(lab: Lab): LabIssue | undefined {
  for (const rule of LAB_RULES) {
    const r = rule(lab);
    if (r) return r;
  }
  return undefined;
}
