/**
 * Shared pieces of the paths that start in a client task on the user overlay (service-vip,
 * task-to-task): where the client, the overlay namespaces, the wire and the serving task are
 * captured, and the VXLAN hops between the client's node and the serving node. Each path file
 * says which of these its flow crosses.
 */
import { vxlanTcpFilter } from '../capture-filter';
import type { NodeInfo, Topology } from '../model';
import type { ClientTask, LoadBalancerEndpoint, OverlayEndpoint, UserOverlayTopology } from '../model-paths';
import { clientCheckId } from '../engine/state-client';
import type { HopSpec, PathContext, PathSpec, ResolvedPoint } from './types';

export interface ClientFlow {
  readonly t: Topology;
  readonly u: UserOverlayTopology;
  /** Client's node and the client task there. */
  readonly C: NodeInfo;
  readonly c: ClientTask;
  /** Serving node and the serving task's overlay endpoint. */
  readonly S: NodeInfo;
  readonly T: OverlayEndpoint;
  readonly remote: boolean;
}

/** The flow of one request, or undefined when the topology lacks a part of it (no user overlay, no client). */
export function clientFlow(ctx: PathContext): ClientFlow | undefined {
  const t = ctx.topology;
  const u = t.userOverlay;
  const c = u?.clients.find((x) => x.node === ctx.entry.name);
  const T = u?.tasks.find((x) => x.containerId === ctx.target.containerId);
  const S = t.nodes.find((n) => n.name === ctx.target.node);
  if (!u || !c || !T || !S) return undefined;
  return { t, u, C: ctx.entry, c, S, T, remote: S.name !== ctx.entry.name };
}

/** The two variants of a connection on the user overlay (service-vip, task-to-task). */
export const OVERLAY_VARIANTS: PathSpec['variants'] = [
  { id: 'remote', title: 'task on another node', description: "VXLAN with the user overlay's VNI between the nodes." },
  { id: 'local', title: 'task on the client node', description: 'The overlay bridge delivers it on the same node.' },
];
export const overlayVariantOf: PathSpec['variantOf'] = (entry, task) => (task.node === entry.name ? 'local' : 'remote');

type H = Omit<HopSpec, 'optional' | 'phase'> & { optional?: boolean; phase?: HopSpec['phase'] };
export const hop = (h: H): HopSpec => ({ optional: false, phase: 'connect', ...h });

export const points = {
  host: (n: NodeInfo): ResolvedPoint => ({ node: n.name, ns: 'host', iface: n.nic }),
  client: (c: ClientTask, iface: string): ResolvedPoint => ({
    node: c.node,
    ns: 'client',
    iface,
    nsPath: c.sandboxKey,
    containerId: c.containerId,
  }),
  uoverlay: (u: UserOverlayTopology, node: string): ResolvedPoint => {
    const n = u.nodes.find((x) => x.name === node);
    return { node, ns: 'uoverlay', iface: n?.vxlanIface ?? '?', ...(n ? { nsPath: n.nsPath } : {}) };
  },
  lb: (node: string, lb: LoadBalancerEndpoint): ResolvedPoint => ({
    node,
    ns: 'lb',
    iface: lb.iface,
    nsPath: lb.nsPath,
  }),
  task: (T: OverlayEndpoint): ResolvedPoint => ({
    node: T.node,
    ns: 'task',
    iface: T.iface,
    nsPath: T.sandboxKey,
    containerId: T.containerId,
  }),
};

/** The connection goes to the VIP and is balanced in the network's lb namespace on the client's node. */
export interface ViaLoadBalancer {
  readonly vip: string;
  readonly lb: LoadBalancerEndpoint;
}

/**
 * The hops of a TCP connection from the client task to a task's overlay address: client
 * interface, (VXLAN with the user overlay's VNI when the task is elsewhere), the task's interface,
 * and the SYN-ACK back. `stateAfterClient` are the hops (MARK/IPVS/SNAT) between the client's
 * SYN and the task-addressed SYN. With `via`, the client's SYN goes to the VIP and the network's
 * lb namespace on the client's node rewrites it (seen there before and after), so the task sees
 * the lb endpoint's address as the source; without it, the SYN leaves the client already
 * addressed to the task (task-to-task, or IPVS inside the client as in seed 004).
 */
export function overlayConnectionHops(
  f: ClientFlow,
  stateAfterClient: readonly HopSpec[],
  via?: ViaLoadBalancer,
): HopSpec[] {
  const { t, u, C, c, S, T, remote } = f;
  const port = u.service.port;
  // The address the task sees and answers: the lb endpoint's after its SNAT, else the client's own.
  const src = via ? via.lb.ip : c.ip;
  const F = { ns: `tcp port ${port}`, vxlan: vxlanTcpFilter(t.ingress.dataPathPort, port) };
  const vx = (a: NodeInfo, b: NodeInfo) => ({
    src: a.ip,
    dst: b.ip,
    dport: t.ingress.dataPathPort,
    vni: u.network.vni,
  });
  const fwd = { src, dst: T.ip, dport: port, ethDst: T.mac };
  const back = { src: T.ip, dst: src, sport: port, ...(via ? { ethDst: via.lb.mac } : { ethDst: c.mac }) };
  // What the client itself sends and receives (to/from the VIP with `via`).
  const clientFwd = via ? { src: c.ip, dst: via.vip, dport: port } : fwd;
  const clientBack = via ? { src: via.vip, dst: c.ip, sport: port, ethDst: c.mac } : back;
  const lbPoint = via ? points.lb(C.name, via.lb) : undefined;
  const overlayState = (n: NodeInfo, role: HopSpec['role'], id: string, step: string, checks: string[]): HopSpec =>
    hop({
      id,
      step,
      kind: 'state',
      direction: 'request',
      role,
      ns: 'uoverlay',
      title: `${n.name} ${u.network.name} namespace: ${checks.map((x) => x.split(':')[1].replace('uoverlay-', '')).join(', ')}`,
      explanation:
        role === 'entry'
          ? `In ${u.network.name}'s namespace the remote task's address has a PERMANENT neighbour entry and its MAC an fdb entry naming ${S.name}; the vxlan device uses VNI ${u.network.vni}.`
          : `${S.name}'s vxlan device for ${u.network.name} must use the same VNI ${u.network.vni} and UDP port.`,
      checks,
    });
  const request: HopSpec[] = [
    hop({
      id: '1-client-out',
      step: '1',
      kind: 'packet',
      direction: 'request',
      role: 'entry',
      ns: 'client',
      title: `client task ${c.ip} -> ${clientFwd.dst}:${port} on ${c.iface} (${C.name})`,
      explanation: via
        ? `The SYN leaves the client container on its ${u.network.name} interface, addressed to the VIP ${via.vip} that DNS answered.`
        : `The SYN leaves the client container on its ${u.network.name} interface, already addressed to a task.`,
      point: points.client(c, c.iface),
      filter: F.ns,
      identifies: true,
      expect: { match: 'syn', ...clientFwd },
    }),
  ];
  if (via && lbPoint)
    request.push(
      hop({
        id: '2-lb-in',
        step: '2',
        kind: 'packet',
        direction: 'request',
        role: 'entry',
        ns: 'lb',
        title: `SYN to the VIP ${via.vip} reaches ${C.name}'s lb namespace ${via.lb.iface}`,
        explanation: `The overlay bridge delivers frames for the VIP to the network's load-balancer endpoint ${via.lb.ip} on the same node (it holds the VIP as a /32).`,
        point: lbPoint,
        filter: F.ns,
        expect: { match: 'syn', ...clientFwd },
      }),
    );
  request.push(...stateAfterClient);
  if (via && lbPoint)
    request.push(
      hop({
        id: '4-lb-out',
        step: '4',
        kind: 'packet',
        direction: 'request',
        role: 'entry',
        ns: 'lb',
        title: `IPVS -> task ${T.ip}, from ${via.lb.ip}, leaves the lb namespace ${via.lb.iface}`,
        explanation: `IPVS replaced the VIP by the task's address and the --ipvs SNAT rule the client's by the lb endpoint's ${via.lb.ip}; the same SYN goes back onto the overlay bridge.`,
        point: lbPoint,
        filter: F.ns,
        expect: { match: 'syn', ...fwd },
      }),
    );
  if (remote)
    request.push(
      overlayState(C, 'entry', '5-client-overlay-state', '5', [
        clientCheckId.neigh(C.name),
        clientCheckId.fdb(C.name),
        clientCheckId.vxlan(C.name),
      ]),
      hop({
        id: '6-client-uoverlay-vxlan0',
        step: '6',
        kind: 'packet',
        direction: 'request',
        role: 'entry',
        ns: 'uoverlay',
        title: `${C.name} ${u.network.name} namespace ${points.uoverlay(u, C.name).iface}`,
        explanation: `The overlay bridge hands the frame for the remote task's MAC to the VXLAN device.`,
        point: points.uoverlay(u, C.name),
        filter: F.ns,
        expect: { match: 'syn', ...fwd },
      }),
      hop({
        id: '7-client-host-vxlan-out',
        step: '7',
        kind: 'packet',
        direction: 'request',
        role: 'entry',
        ns: 'host',
        title: `VXLAN ${C.ip} -> ${S.ip}:${t.ingress.dataPathPort} VNI ${u.network.vni} leaves ${C.name} ${C.nic}`,
        explanation: `The frame leaves ${C.name} in a UDP datagram to ${S.name}, with ${u.network.name}'s VNI (not the ingress one).`,
        point: points.host(C),
        filter: F.vxlan,
        expect: { match: 'syn', ...fwd, vxlan: vx(C, S) },
      }),
      hop({
        id: '7-serving-host-vxlan-in',
        step: '7',
        kind: 'packet',
        direction: 'request',
        role: 'serving',
        ns: 'host',
        title: `VXLAN arrives at ${S.name} ${S.nic}`,
        explanation: `The datagram arrives on ${S.name}'s network card.`,
        point: points.host(S),
        filter: F.vxlan,
        expect: { match: 'syn', ...fwd, vxlan: vx(C, S) },
      }),
      overlayState(S, 'serving', '8-serving-overlay-vxlan', '8', [clientCheckId.vxlan(S.name)]),
      hop({
        id: '8-serving-uoverlay-vxlan0',
        step: '8',
        kind: 'packet',
        direction: 'request',
        role: 'serving',
        ns: 'uoverlay',
        title: `${S.name} ${u.network.name} namespace ${points.uoverlay(u, S.name).iface}, decapsulated`,
        explanation: `${S.name} unwraps the datagram onto its ${u.network.name} bridge.`,
        point: points.uoverlay(u, S.name),
        filter: F.ns,
        expect: { match: 'syn', ...fwd },
      }),
    );
  request.push(
    hop({
      id: '9-serving-task-overlay',
      step: '9',
      kind: 'packet',
      direction: 'request',
      role: 'serving',
      ns: 'task',
      title: `task ${T.ip} ${T.iface} on ${S.name}`,
      explanation: `The SYN reaches the serving task's ${u.network.name} interface.`,
      point: points.task(T),
      filter: F.ns,
      expect: { match: 'syn', ...fwd },
    }),
  );
  const reply: HopSpec[] = [
    hop({
      id: 'R9-serving-task-overlay',
      step: 'R9',
      kind: 'packet',
      direction: 'reply',
      role: 'serving',
      ns: 'task',
      title: `SYN-ACK leaves task ${T.ip} ${T.iface}`,
      explanation: via
        ? `The task accepts: its SYN-ACK goes back to the lb endpoint ${via.lb.ip} on ${C.name}.`
        : `The task accepts: its SYN-ACK goes straight back to the client's own address.`,
      point: points.task(T),
      filter: F.ns,
      expect: { match: 'synack', ...back },
    }),
  ];
  if (remote)
    reply.push(
      hop({
        id: 'R7-serving-host-vxlan-out',
        step: 'R7',
        kind: 'packet',
        direction: 'reply',
        role: 'serving',
        ns: 'host',
        title: `VXLAN ${S.ip} -> ${C.ip} leaves ${S.name} ${S.nic}`,
        explanation: `The answer leaves ${S.name} in VXLAN towards ${C.name}.`,
        point: points.host(S),
        filter: F.vxlan,
        expect: { match: 'synack', ...back, vxlan: vx(S, C) },
      }),
      hop({
        id: 'R7-client-host-vxlan-in',
        step: 'R7',
        kind: 'packet',
        direction: 'reply',
        role: 'entry',
        ns: 'host',
        title: `VXLAN reply arrives at ${C.name} ${C.nic}`,
        explanation: `The answer arrives on ${C.name}'s network card.`,
        point: points.host(C),
        filter: F.vxlan,
        expect: { match: 'synack', ...back, vxlan: vx(S, C) },
      }),
      hop({
        id: 'R6-client-uoverlay-vxlan0',
        step: 'R6',
        kind: 'packet',
        direction: 'reply',
        role: 'entry',
        ns: 'uoverlay',
        title: `reply on ${C.name} ${u.network.name} namespace`,
        explanation: `${C.name} unwraps it onto its ${u.network.name} bridge.`,
        point: points.uoverlay(u, C.name),
        filter: F.ns,
        expect: { match: 'synack', ...back },
      }),
    );
  if (via && lbPoint)
    reply.push(
      hop({
        id: 'R4-lb-in',
        step: 'R4',
        kind: 'packet',
        direction: 'reply',
        role: 'entry',
        ns: 'lb',
        title: `SYN-ACK from ${T.ip} reaches the lb namespace ${via.lb.iface}`,
        explanation: `The answer comes back to the lb endpoint, which holds the IPVS connection.`,
        point: lbPoint,
        filter: F.ns,
        expect: { match: 'synack', ...back },
      }),
      hop({
        id: 'R2-lb-out',
        step: 'R2',
        kind: 'packet',
        direction: 'reply',
        role: 'entry',
        ns: 'lb',
        title: `SYN-ACK from the VIP ${via.vip} leaves the lb namespace to ${c.ip}`,
        explanation: `IPVS undoes both rewrites: the answer leaves as the VIP, to the client's own address.`,
        point: lbPoint,
        filter: F.ns,
        expect: { match: 'synack', ...clientBack },
      }),
    );
  reply.push(
    hop({
      id: 'R1-client-in',
      step: 'R1',
      kind: 'packet',
      direction: 'reply',
      role: 'entry',
      ns: 'client',
      title: `SYN-ACK reaches the client ${c.ip} on ${c.iface}`,
      explanation: `The answer reaches the client container; the handshake is done.`,
      point: points.client(c, c.iface),
      filter: F.ns,
      expect: { match: 'synack', ...clientBack },
    }),
    hop({
      id: 'H-client-body',
      step: 'H',
      kind: 'client',
      phase: 'response',
      direction: 'reply',
      role: 'entry',
      ns: 'client',
      title: `wget in the client reads the page of ${S.name}`,
      explanation: `The client read the page of the task that the packets reached.`,
      client: { status: 200, bodyIncludes: `Host IP is ${S.ip}` },
    }),
  );
  return [...request, ...reply];
}

/** Nodes whose user overlay state a set of requests depends on: the clients' and the tasks'. */
export function involvedNodes(u: UserOverlayTopology, entryNodes: ReadonlySet<string>): Set<string> {
  return new Set([...entryNodes, ...u.tasks.map((x) => x.node)]);
}
