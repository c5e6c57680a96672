/** Likely causes of a broken hop, for the report: what usually breaks there and how to check. */
import type { Topology } from '../model';
import type { Cause, HopStatus, HopVerdict, StateCheck } from './types';

const CAUSES: ReadonlyArray<{
  readonly hop: RegExp;
  readonly status?: HopStatus;
  readonly diff?: RegExp;
  readonly causes: readonly string[];
}> = [
  {
    hop: /^1-/,
    causes: [
      'the client SYN never reached the entry node: wrong node address or published port in the request',
      'a firewall in front of the node dropped it',
      'tcpdump on the entry NIC started after the request',
    ],
  },
  {
    hop: /^2-/,
    causes: [
      'DNAT missing: a firewalld reload (or iptables -F) wiped DOCKER-INGRESS; restart docker to recreate it',
      'the service is not published in ingress mode (mode=host publishes without the mesh)',
      'FORWARD does not accept the published port: a rule ahead of DOCKER-INGRESS or in DOCKER-USER drops it',
    ],
  },
  {
    hop: /^3-/,
    causes: [
      'the host did not DNAT to ingress_sbox: DOCKER-INGRESS missing (firewalld reload)',
      'net.ipv4.ip_forward=0 on the entry node',
      'docker_gwbridge or the sbox veth is down',
    ],
  },
  {
    hop: /^4-/,
    causes: [
      'no mangle MARK in ingress_sbox: the service endpoint was not programmed (docker service update --force, or restart docker on the node)',
    ],
  },
  {
    hop: /^5-/,
    causes: [
      'IPVS FWM differs from the mangle MARK, or its real servers differ from the running tasks (stale tasks)',
      'ip_vs / ip_vs_rr modules missing in the node kernel',
    ],
  },
  {
    hop: /^6-/,
    causes: [
      'SNAT --ipvs to the sbox ingress IP missing: the task would answer the client directly and the reply is dropped',
    ],
  },
  {
    hop: /^7-/,
    causes: [
      'IPVS did not forward: the fwmark does not match the IPVS FWM, no real servers, or ip_vs not loaded',
      'the ingress network endpoint of ingress_sbox is missing',
    ],
  },
  {
    hop: /^8-entry-overlay-vxlan0/,
    status: 'missing',
    causes: [
      'the sbox -> task frame stayed on br0: no fdb entry for the task MAC on vxlan0',
      'the neighbour entry for the task IP is missing in ingress_sbox',
    ],
  },
  {
    hop: /^8-entry-overlay-vxlan0/,
    status: 'wrong',
    causes: ['stale neighbour/fdb entry: the task MAC changed (task restarted) but the entry did not'],
  },
  {
    hop: /^8-entry-overlay-fdb/,
    causes: [
      'vxlan0 fdb lacks the task MAC or points at the wrong node: the gossip (TCP/UDP 7946) between nodes is blocked',
      'vxlan0 created with another VNI or UDP port than the ingress network expects',
    ],
  },
  {
    hop: /^9-entry-host-vxlan-out/,
    status: 'missing',
    causes: ['vxlan0 did not encapsulate: no fdb entry for the task MAC', 'no underlay route to the serving node'],
  },
  {
    hop: /^9-/,
    diff: /VNI/,
    causes: [
      'VNI mismatch: the ingress network was recreated on one node only (docker network rm/create ingress); the peer drops foreign VNIs',
    ],
  },
  {
    hop: /^9-/,
    diff: /dport|port/,
    causes: [
      'data-path-port differs between nodes (set with --data-path-port at swarm init); every node must use the same',
    ],
  },
  {
    hop: /^9-serving-host-vxlan-in/,
    status: 'missing',
    causes: [
      'nothing on the data path port at the peer: a firewall drops UDP 4789 between nodes (firewalld: open 4789/udp)',
      'data-path-port mismatch',
      'checksum offload corrupts the outer UDP checksum (ethtool -K <nic> tx-checksum-ip-generic off)',
    ],
  },
  {
    hop: /^9-serving-overlay-link/,
    causes: [
      "the serving node's vxlan0 uses another VNI/port or lacks the fdb entry back to the entry node's sbox MAC",
    ],
  },
  {
    hop: /^10-/,
    causes: [
      'the peer kernel dropped the VXLAN datagram: VNI unknown there, bad UDP checksum (offload), or the overlay namespace vxlan0 is down',
    ],
  },
  {
    hop: /^11-/,
    causes: [
      'br0 on the serving node has no port for the task MAC (task gone or restarted with a new address)',
      'the task container is not attached to the ingress network',
    ],
  },
  {
    hop: /^12-/,
    causes: [
      'REDIRECT published -> target port missing in the task namespace: the task was not programmed (docker service update --force)',
    ],
  },
  {
    hop: /^R11-/,
    causes: [
      'the task got the SYN but did not answer: nothing listens on the target port, or the REDIRECT is missing',
      'the task filter INPUT drops the target port',
    ],
  },
  {
    hop: /^R10-|^R9-|^R8-/,
    causes: [
      "the reply did not make it back through the overlay: the serving node's fdb lacks the entry node's sbox MAC, or UDP 4789 is blocked towards the entry node",
    ],
  },
  {
    hop: /^R7-|^R3-/,
    causes: [
      'the reply was not un-NATed in ingress_sbox: conntrack entry lost (IPVS connection expired), or SNAT --ipvs missing',
    ],
  },
  {
    hop: /^R1-/,
    causes: [
      'the reply did not leave the entry node to the client: conntrack lost the DNAT, or rp_filter/asymmetric routing on the entry node',
    ],
  },
];

export function likelyCauses(hopId: string, status: HopStatus, diffs: readonly string[]): string[] {
  const out: string[] = [];
  for (const c of CAUSES) {
    if (!c.hop.test(hopId)) continue;
    if (c.status && c.status !== status) continue;
    if (c.diff && !diffs.some((d) => c.diff?.test(d))) continue;
    for (const x of c.causes) if (!out.includes(x)) out.push(x);
  }
  return out;
}

/**
 * Causes for a broken hop: failed state checks on the hop's node first (confirmed, quoting what the
 * snapshot holds), then what usually breaks there.
 */
export function causesFor(
  h: HopVerdict,
  _hops: readonly HopVerdict[],
  state: readonly StateCheck[],
  _t: Topology,
): Cause[] {
  const node = h.point?.node;
  const stateBad = state.filter((c) => (c.status === 'missing' || c.status === 'wrong') && (!node || c.node === node));
  return [
    ...stateBad.map((c): Cause => ({ text: `${c.node} ${c.title}`, status: 'confirmed', evidence: c.seen })),
    ...likelyCauses(h.id, h.status, h.diffs).map((text): Cause => ({ text, status: 'unchecked' })),
  ];
}
