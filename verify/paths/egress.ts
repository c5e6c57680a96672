/**
 * `egress`: a task reaches an address outside the swarm (seed 002) through its second interface
 * on docker_gwbridge; the host routes it, filter FORWARD lets it out and nat POSTROUTING
 * MASQUERADEs it to the node's address on the host NIC. On this machine the outside address is a
 * listener verify runs inside the lab's own namespace, on the client address; it reports the
 * address it saw, which must be the node's.
 */
import type { NodeInfo, TaskInfo, Topology } from '../model';
import { clientCheckId, egressChecks } from '../engine/state-client';
import type { StateCheck } from '../engine/types';
import { hop, points } from './client-hops';
import type { HopSpec, PathContext, PathSpec } from './types';

/** The egress "target" is the listener, reached from the client task on `entry`: the client stands in for it. */
function clientAsTarget(t: Topology, entry: NodeInfo): TaskInfo[] {
  const c = t.userOverlay?.clients.find((x) => x.node === entry.name);
  return c
    ? [
        {
          id: c.taskId,
          slot: 0,
          node: c.node,
          containerId: c.containerId,
          ingressIp: c.gwbridgeIp,
          ingressMac: '',
          sandboxKey: c.sandboxKey,
        },
      ]
    : [];
}

export const egress: PathSpec = {
  id: 'egress',
  title: 'Task to the outside world through docker_gwbridge (MASQUERADE)',
  description:
    "A task's connection to an address outside the swarm leaves by its docker_gwbridge interface; the host " +
    "forwards it and MASQUERADEs it to the node's own address on the host network card.",
  variants: [{ id: 'local', title: 'from a client task', description: 'Out of the node the client task runs on.' }],
  balanced: false,
  targets: clientAsTarget,
  variantOf: () => 'local',
  resolve: resolveEgress,
  stateChecks: (p) => {
    const u = p.topology.userOverlay;
    if (!u) return [];
    const out: StateCheck[] = [];
    for (const node of p.topology.nodes)
      if (p.entryNodes.has(node.name))
        out.push(
          ...egressChecks(
            node,
            u,
            p.snapshots.find((s) => s.node === node.name),
          ),
        );
    return out;
  },
};

function resolveEgress(ctx: PathContext): HopSpec[] {
  const u = ctx.topology.userOverlay;
  const N = ctx.entry;
  const c = u?.clients.find((x) => x.node === N.name);
  const E = u?.egressTarget;
  const gw = u?.nodes.find((x) => x.name === N.name)?.gwbridge;
  if (!u || !c || !E || !gw) return [];
  const F = { ns: `tcp port ${E.port}`, nic: `tcp port ${E.port} and host ${E.ip}` };
  const inside = { src: c.gwbridgeIp, dst: E.ip, dport: E.port };
  const outside = { src: N.ip, dst: E.ip, dport: E.port };
  const gwHost = { node: N.name, ns: 'host' as const, iface: gw.iface };
  return [
    hop({
      id: '1-client-gwbridge-out',
      step: '1',
      kind: 'packet',
      direction: 'request',
      role: 'entry',
      ns: 'client',
      title: `client task ${c.gwbridgeIp} -> ${E.ip}:${E.port} on ${c.gwbridgeIface} (${N.name})`,
      explanation: `The SYN leaves the client container by its docker_gwbridge interface (its default route).`,
      point: points.client(c, c.gwbridgeIface),
      filter: F.ns,
      identifies: true,
      expect: { match: 'syn', ...inside },
    }),
    hop({
      id: '2-host-gwbridge-in',
      step: '2',
      kind: 'packet',
      direction: 'request',
      role: 'entry',
      ns: 'host',
      title: `${N.name} host ${gw.iface}, gateway ${gw.gateway}`,
      explanation: `It arrives on the host's docker_gwbridge bridge, still with the container's address.`,
      point: gwHost,
      filter: F.ns,
      expect: { match: 'syn', ...inside },
    }),
    hop({
      id: '3-host-forward-masquerade',
      step: '3',
      kind: 'state',
      direction: 'request',
      role: 'entry',
      ns: 'host',
      title: `${N.name} host: FORWARD accepts, POSTROUTING MASQUERADE to ${N.ip}`,
      explanation: `The host forwards it to ${N.nic} and rewrites the source to its own address ${N.ip}.`,
      checks: [clientCheckId.egressForward(N.name), clientCheckId.masquerade(N.name)],
    }),
    hop({
      id: '4-host-nic-out',
      step: '4',
      kind: 'packet',
      direction: 'request',
      role: 'entry',
      ns: 'host',
      title: `${N.ip} -> ${E.ip}:${E.port} leaves ${N.name} ${N.nic}`,
      explanation: `The SYN leaves the node MASQUERADE'd: source ${N.ip}, same sequence number.`,
      point: { node: N.name, ns: 'host', iface: N.nic },
      filter: F.nic,
      expect: { match: 'syn', ...outside },
    }),
    hop({
      id: 'R4-host-nic-in',
      step: 'R4',
      kind: 'packet',
      direction: 'reply',
      role: 'entry',
      ns: 'host',
      title: `SYN-ACK ${E.ip}:${E.port} -> ${N.ip} on ${N.nic}`,
      explanation: `The outside answers the node's address.`,
      point: { node: N.name, ns: 'host', iface: N.nic },
      filter: F.nic,
      expect: { match: 'synack', src: E.ip, dst: N.ip, sport: E.port },
    }),
    hop({
      id: 'R2-host-gwbridge-out',
      step: 'R2',
      kind: 'packet',
      direction: 'reply',
      role: 'entry',
      ns: 'host',
      title: `un-MASQUERADE'd onto ${gw.iface} -> ${c.gwbridgeIp}`,
      explanation: `Conntrack undoes the MASQUERADE: the answer goes to the container's docker_gwbridge address.`,
      point: gwHost,
      filter: F.ns,
      expect: { match: 'synack', src: E.ip, dst: c.gwbridgeIp, sport: E.port },
    }),
    hop({
      id: 'R1-client-gwbridge-in',
      step: 'R1',
      kind: 'packet',
      direction: 'reply',
      role: 'entry',
      ns: 'client',
      title: `SYN-ACK reaches the client on ${c.gwbridgeIface}`,
      explanation: `The handshake completes inside the client container.`,
      point: points.client(c, c.gwbridgeIface),
      filter: F.ns,
      expect: { match: 'synack', src: E.ip, dst: c.gwbridgeIp, sport: E.port },
    }),
    hop({
      id: 'H-target-saw-node',
      step: 'H',
      kind: 'client',
      phase: 'response',
      direction: 'reply',
      role: 'entry',
      ns: 'client',
      title: `the outside saw the connection come from ${N.ip}`,
      explanation: `The listener answers with the address it saw: the node's, not the container's.`,
      client: { status: 200, bodyIncludes: `swarm-lab egress ${N.ip}:` },
    }),
  ];
}
