/**
 * Pure parsers for iproute2 output (`ip addr`, `ip -d link show type vxlan`, `ip netns`/`ls`
 * of Docker's netns dir). Tested on real output in test/fixtures/discovery.
 */
import { inCidr, parseCidr } from '../../stacks/lab';

export interface IfAddr {
  readonly index: number;
  /** Interface name without the `@ifN` peer suffix. */
  readonly ifname: string;
  readonly family: 'inet' | 'inet6';
  readonly address: string;
  readonly prefix: number;
}

/**
 * Parse `ip -o addr show` (one line per address) or the multi-line `ip addr` form.
 * Unknown lines are ignored.
 */
export function parseIpAddr(text: string): IfAddr[] {
  const out: IfAddr[] = [];
  let cur: { index: number; ifname: string } | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\\\s+/g, ' ');
    // `-o` form: "2: eth0    inet 10.0.0.2/24 scope global eth0 ..."
    const one = /^(\d+):\s+([^\s:@]+)(?:@\S+)?\s+(inet6?)\s+([0-9a-fA-F.:]+)\/(\d+)/.exec(line);
    if (one) {
      out.push({
        index: Number(one[1]),
        ifname: one[2],
        family: one[3] as IfAddr['family'],
        address: one[4],
        prefix: Number(one[5]),
      });
      continue;
    }
    // Multi-line form: a header "6: eth0@if7: <...>" then indented "inet 10.0.0.2/24 ...".
    const head = /^(\d+):\s+([^\s:@]+)(?:@[^\s:]+)?:\s+</.exec(line);
    if (head) {
      cur = { index: Number(head[1]), ifname: head[2] };
      continue;
    }
    const addr = /^\s+(inet6?)\s+([0-9a-fA-F.:]+)\/(\d+)/.exec(line);
    if (addr && cur)
      out.push({ ...cur, family: addr[1] as IfAddr['family'], address: addr[2], prefix: Number(addr[3]) });
  }
  return out;
}

/** The interface holding an IPv4 address inside `cidr` (the subnet's network prefix, /32 VIPs excluded). */
export function ifaceInSubnet(addrs: readonly IfAddr[], cidr: string): IfAddr | undefined {
  const c = parseCidr(cidr);
  if (!c) return undefined;
  return addrs.find((a) => a.family === 'inet' && a.prefix === c.bits && inCidr(a.address, cidr));
}

/** The interface holding exactly `ip` (any prefix). */
export function ifaceWithAddress(addrs: readonly IfAddr[], ip: string): IfAddr | undefined {
  return addrs.find((a) => a.family === 'inet' && a.address === ip);
}

export interface VxlanLink {
  readonly ifname: string;
  readonly vni: number;
  readonly dstport: number;
  readonly mac?: string;
}

/** Parse `ip -d [-o] link show type vxlan` (every vxlan device listed). */
export function parseVxlanLinks(text: string): VxlanLink[] {
  const out: VxlanLink[] = [];
  // Join `-o` continuation markers and split per device header.
  const flat = text.replace(/\\\s+/g, ' ');
  const blocks = flat.split(/\n(?=\d+:\s)/);
  for (const b of blocks) {
    const head = /^(\d+):\s+([^\s:@]+)(?:@[^\s:]+)?:/.exec(b.trim());
    const vx = /vxlan id (\d+)/.exec(b);
    if (!head || !vx) continue;
    const port = /dstport (\d+)/.exec(b);
    const mac = /link\/ether ([0-9a-f:]{17})/.exec(b);
    out.push({
      ifname: head[2],
      vni: Number(vx[1]),
      dstport: port ? Number(port[1]) : 8472,
      ...(mac ? { mac: mac[1] } : {}),
    });
  }
  return out;
}

export interface DockerNetns {
  /** Full paths under the netns dir. */
  readonly sbox?: string;
  readonly overlay?: string;
  readonly all: readonly string[];
}

/**
 * Pick Docker's namespaces from a listing of `/var/run/docker/netns` (`ls -1`, or `ip netns show`
 * with `(id: N)` suffixes). The ingress overlay namespace is `<n>-<first 10 chars of the ingress
 * network id>`; found by suffix since the leading number varies.
 */
export function pickDockerNetns(listing: string, ingressId: string, dir = '/var/run/docker/netns'): DockerNetns {
  const names = listing
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0])
    .filter((n) => n && /^[\w.-]+$/.test(n));
  const suffix = `-${ingressId.slice(0, 10)}`;
  const overlay = names.find((n) => /^\d+-/.test(n) && n.endsWith(suffix));
  const sbox = names.find((n) => n === 'ingress_sbox');
  return {
    ...(sbox ? { sbox: `${dir}/${sbox}` } : {}),
    ...(overlay ? { overlay: `${dir}/${overlay}` } : {}),
    all: names.map((n) => `${dir}/${n}`),
  };
}
