/**
 * The documented path (shared/docs/packet-path.md) as data: the hops one request and its reply
 * take, each with its capture point or state checks and the packet expected there, resolved
 * against the discovered topology. Two variants: the task on another node (VXLAN) and the task
 * on the entry node (no VXLAN).
 */
import type { NodeInfo, TaskInfo, Topology } from '../model';
import { checkId } from './state';
import type { Direction, NodeRole, PathVariant, ResolvedPoint } from './types';

/** The segment expected at a packet hop. Ports left out are not checked (IPVS may change the source port). */
export interface PacketExpect {
  /** `syn`: the client's SYN (seq = ISN); `synack`: the task's answer (ack = ISN + 1). */
  readonly match: 'syn' | 'synack';
  readonly src: string;
  readonly dst: string;
  readonly sport?: number;
  readonly dport?: number;
  readonly ethDst?: string;
  /** Outer headers when the segment must travel in VXLAN; absent = must not be encapsulated. */
  readonly vxlan?: { readonly src: string; readonly dst: string; readonly dport: number; readonly vni: number };
}

export interface HopSpec {
  readonly id: string;
  readonly step: string;
  readonly title: string;
  readonly kind: 'packet' | 'state';
  readonly direction: Direction;
  readonly role: NodeRole;
  /** Points the mission does not name (ingress_sbox eth1/eth0) are judged only when captured. */
  readonly optional: boolean;
  readonly point?: ResolvedPoint;
  readonly expect?: PacketExpect;
  /** State hops: ids of the state checks that make up this hop. */
  readonly checks?: readonly string[];
}

export interface PathProps {
  readonly topology: Topology;
  readonly entry: NodeInfo;
  readonly task: TaskInfo;
  /** Client source port when known. */
  readonly clientPort?: number;
}

export function variantOf(entry: NodeInfo, task: TaskInfo): PathVariant {
  return task.node === entry.name ? 'local' : 'remote';
}

export function expectedPath(p: PathProps): HopSpec[] {
  const { topology: t, entry: A, task } = p;
  const B = t.nodes.find((n) => n.name === task.node);
  if (!B) return [];
  const remote = variantOf(A, task) === 'remote';
  const pub = t.service.publishedPort;
  const client = t.client.ip;
  const cport = p.clientPort;
  const sbox = A.sboxIngressIp;
  const vx = (src: NodeInfo, dst: NodeInfo) => ({
    src: src.ip,
    dst: dst.ip,
    dport: t.ingress.dataPathPort,
    vni: t.ingress.vni,
  });
  const at = (n: NodeInfo, ns: ResolvedPoint['ns'], iface: string, containerId?: string): ResolvedPoint => ({
    node: n.name,
    ns,
    iface,
    ...(containerId ? { containerId } : {}),
  });
  const fwd = { match: 'syn' as const, src: sbox, dst: task.ingressIp, dport: pub, ethDst: task.ingressMac };
  const back = { match: 'synack' as const, src: task.ingressIp, dst: sbox, sport: pub, ethDst: A.sboxIngressMac };
  const hop = (h: Omit<HopSpec, 'optional'> & { optional?: boolean }): HopSpec => ({ optional: false, ...h });
  const taskCheck = checkId.redirect(B.name, task.containerId);
  const where = (n: NodeInfo) => `${n.name} (${n === A ? 'entry' : 'serving'})`;

  const request: HopSpec[] = [
    hop({
      id: '1-entry-host-in',
      step: '1',
      kind: 'packet',
      direction: 'request',
      role: 'entry',
      title: `client -> ${A.name}:${pub} on ${A.nic}`,
      point: at(A, 'host', A.nic),
      expect: { match: 'syn', src: client, dst: A.ip, dport: pub, ...(cport ? { sport: cport } : {}) },
    }),
    hop({
      id: '2-entry-host-dnat',
      step: '2',
      kind: 'state',
      direction: 'request',
      role: 'entry',
      title: `${A.name} host iptables: DNAT ${pub} -> ${A.sboxGwbridgeIp}:${pub}, FORWARD accepts`,
      checks: [checkId.hostDnat(A.name), checkId.hostForward(A.name)],
    }),
    hop({
      id: '3-entry-sbox-eth1',
      step: '3',
      kind: 'packet',
      direction: 'request',
      role: 'entry',
      optional: true,
      title: `DNAT'd into ingress_sbox ${A.ifaces.sboxGwbridge}`,
      point: at(A, 'sbox', A.ifaces.sboxGwbridge),
      expect: { match: 'syn', src: client, dst: A.sboxGwbridgeIp, dport: pub, ...(cport ? { sport: cport } : {}) },
    }),
    hop({
      id: '4-entry-sbox-mark',
      step: '4',
      kind: 'state',
      direction: 'request',
      role: 'entry',
      title: `${A.name} ingress_sbox mangle MARK on dpt:${pub}`,
      checks: [checkId.sboxMark(A.name)],
    }),
    hop({
      id: '5-entry-sbox-ipvs',
      step: '5',
      kind: 'state',
      direction: 'request',
      role: 'entry',
      title: `${A.name} IPVS FWM = MARK, real servers = tasks`,
      checks: [checkId.ipvsFwm(A.name), checkId.ipvsReals(A.name)],
    }),
    hop({
      id: '6-entry-sbox-snat',
      step: '6',
      kind: 'state',
      direction: 'request',
      role: 'entry',
      title: `${A.name} ingress_sbox SNAT to ${sbox}`,
      checks: [checkId.sboxSnat(A.name)],
    }),
    hop({
      id: '7-entry-sbox-eth0',
      step: '7',
      kind: 'packet',
      direction: 'request',
      role: 'entry',
      optional: true,
      title: `IPVS -> task ${task.ingressIp} on ingress_sbox ${A.ifaces.sboxIngress}`,
      point: at(A, 'sbox', A.ifaces.sboxIngress),
      expect: fwd,
    }),
  ];
  if (remote) {
    request.push(
      hop({
        id: '8-entry-overlay-vxlan0',
        step: '8',
        kind: 'packet',
        direction: 'request',
        role: 'entry',
        title: `${where(A)} overlay ${A.ifaces.overlayVxlan}`,
        point: at(A, 'overlay', A.ifaces.overlayVxlan),
        expect: fwd,
      }),
      hop({
        id: '8-entry-overlay-fdb',
        step: '8',
        kind: 'state',
        direction: 'request',
        role: 'entry',
        title: `${A.name} vxlan0: fdb ${task.ingressMac} -> ${B.ip}, VNI ${t.ingress.vni} port ${t.ingress.dataPathPort}`,
        checks: [checkId.fdb(A.name), checkId.vxlanLink(A.name)],
      }),
      hop({
        id: '9-entry-host-vxlan-out',
        step: '9',
        kind: 'packet',
        direction: 'request',
        role: 'entry',
        title: `VXLAN ${A.ip} -> ${B.ip}:${t.ingress.dataPathPort} leaves ${A.name} ${A.nic}`,
        point: at(A, 'host', A.nic),
        expect: { ...fwd, vxlan: vx(A, B) },
      }),
      hop({
        id: '9-serving-host-vxlan-in',
        step: '9',
        kind: 'packet',
        direction: 'request',
        role: 'serving',
        title: `VXLAN arrives at ${B.name} ${B.nic}`,
        point: at(B, 'host', B.nic),
        expect: { ...fwd, vxlan: vx(A, B) },
      }),
      hop({
        id: '9-serving-overlay-link',
        step: '9',
        kind: 'state',
        direction: 'request',
        role: 'serving',
        title: `${B.name} vxlan0: VNI ${t.ingress.vni} port ${t.ingress.dataPathPort}, fdb back to ${A.name}`,
        checks: [checkId.vxlanLink(B.name), checkId.fdb(B.name)],
      }),
      hop({
        id: '10-serving-overlay-vxlan0',
        step: '10',
        kind: 'packet',
        direction: 'request',
        role: 'serving',
        title: `${where(B)} overlay ${B.ifaces.overlayVxlan}, decapsulated`,
        point: at(B, 'overlay', B.ifaces.overlayVxlan),
        expect: fwd,
      }),
    );
  }
  request.push(
    hop({
      id: '11-serving-task-eth0',
      step: '11',
      kind: 'packet',
      direction: 'request',
      role: 'serving',
      title: `task ${task.ingressIp} eth0 on ${B.name}`,
      point: at(B, 'task', 'eth0', task.containerId),
      expect: fwd,
    }),
    hop({
      id: '12-serving-task-redirect',
      step: '12',
      kind: 'state',
      direction: 'request',
      role: 'serving',
      title: `task REDIRECT ${pub} -> ${t.service.targetPort}`,
      checks: [taskCheck],
    }),
  );

  const reply: HopSpec[] = [
    hop({
      id: 'R11-serving-task-eth0',
      step: 'R11',
      kind: 'packet',
      direction: 'reply',
      role: 'serving',
      title: `SYN-ACK leaves task ${task.ingressIp} eth0`,
      point: at(B, 'task', 'eth0', task.containerId),
      expect: back,
    }),
  ];
  if (remote) {
    reply.push(
      hop({
        id: 'R10-serving-overlay-vxlan0',
        step: 'R10',
        kind: 'packet',
        direction: 'reply',
        role: 'serving',
        title: `reply on ${B.name} overlay ${B.ifaces.overlayVxlan}`,
        point: at(B, 'overlay', B.ifaces.overlayVxlan),
        expect: back,
      }),
      hop({
        id: 'R9-serving-host-vxlan-out',
        step: 'R9',
        kind: 'packet',
        direction: 'reply',
        role: 'serving',
        title: `VXLAN ${B.ip} -> ${A.ip} leaves ${B.name} ${B.nic}`,
        point: at(B, 'host', B.nic),
        expect: { ...back, vxlan: vx(B, A) },
      }),
      hop({
        id: 'R9-entry-host-vxlan-in',
        step: 'R9',
        kind: 'packet',
        direction: 'reply',
        role: 'entry',
        title: `VXLAN reply arrives at ${A.name} ${A.nic}`,
        point: at(A, 'host', A.nic),
        expect: { ...back, vxlan: vx(B, A) },
      }),
      hop({
        id: 'R8-entry-overlay-vxlan0',
        step: 'R8',
        kind: 'packet',
        direction: 'reply',
        role: 'entry',
        title: `reply on ${A.name} overlay ${A.ifaces.overlayVxlan}`,
        point: at(A, 'overlay', A.ifaces.overlayVxlan),
        expect: back,
      }),
    );
  }
  reply.push(
    hop({
      id: 'R7-entry-sbox-eth0',
      step: 'R7',
      kind: 'packet',
      direction: 'reply',
      role: 'entry',
      optional: true,
      title: `reply into ingress_sbox ${A.ifaces.sboxIngress}`,
      point: at(A, 'sbox', A.ifaces.sboxIngress),
      expect: back,
    }),
    hop({
      id: 'R3-entry-sbox-eth1',
      step: 'R3',
      kind: 'packet',
      direction: 'reply',
      role: 'entry',
      optional: true,
      title: `reply leaves ingress_sbox ${A.ifaces.sboxGwbridge} un-NATed`,
      point: at(A, 'sbox', A.ifaces.sboxGwbridge),
      expect: { match: 'synack', src: A.sboxGwbridgeIp, dst: client, sport: pub, ...(cport ? { dport: cport } : {}) },
    }),
    hop({
      id: 'R1-entry-host-out',
      step: 'R1',
      kind: 'packet',
      direction: 'reply',
      role: 'entry',
      title: `reply ${A.name}:${pub} -> client on ${A.nic}`,
      point: at(A, 'host', A.nic),
      expect: { match: 'synack', src: A.ip, dst: client, sport: pub, ...(cport ? { dport: cport } : {}) },
    }),
  );
  return [...request, ...reply];
}
