/**
 * `service-vip`: a client task on the user overlay calls the service by name (seed 004). The
 * embedded DNS answers the service's VIP; inside the client container's own namespace a mangle
 * OUTPUT rule marks the packet for the VIP, IPVS (FWM, rr, one Masq real per task) replaces the
 * VIP by a task address and `-m ipvs` SNAT keeps the container's own address as source; the VIP
 * never reaches the wire. The packet then takes the user overlay (VXLAN with that overlay's VNI
 * when the task runs on another node) to the serving task's overlay interface.
 */
import { clientCheckId, userOverlayChecks, vipChecks } from '../engine/state-client';
import type { StateCheck } from '../engine/types';
import {
  clientFlow,
  hop,
  involvedNodes,
  OVERLAY_VARIANTS,
  overlayConnectionHops,
  overlayVariantOf,
} from './client-hops';
import type { HopSpec, PathContext, PathSpec } from './types';

export const serviceVip: PathSpec = {
  id: 'service-vip',
  title: 'Task to service by name, through the VIP (IPVS in the client)',
  description:
    'A task on the user overlay calls the service by name. The embedded DNS answers the VIP; the client ' +
    "container's own namespace marks packets for the VIP, IPVS picks a task round robin and the SNAT rule keeps " +
    "the container's own address. The user overlay carries the packet to the task, in VXLAN with that overlay's " +
    'VNI when the task runs on another node.',
  variants: OVERLAY_VARIANTS,
  balanced: true,
  targets: (t) => t.service.tasks,
  variantOf: overlayVariantOf,
  resolve: resolveVip,
  stateChecks: (p) => {
    const u = p.topology.userOverlay;
    if (!u) return [];
    const out: StateCheck[] = [];
    const involved = involvedNodes(u, p.entryNodes);
    for (const node of p.topology.nodes) {
      const snap = p.snapshots.find((s) => s.node === node.name);
      if (p.entryNodes.has(node.name)) out.push(...vipChecks(node, u, snap));
      if (involved.has(node.name)) out.push(...userOverlayChecks(node, p.topology, snap));
    }
    return out;
  },
};

function resolveVip(ctx: PathContext): HopSpec[] {
  const f = clientFlow(ctx);
  if (!f) return [];
  const { u, C, c } = f;
  const vip = u.service.vip;
  const state = (id: string, step: string, title: string, explanation: string, checks: string[]): HopSpec =>
    hop({ id, step, kind: 'state', direction: 'request', role: 'entry', ns: 'client', title, explanation, checks });
  return overlayConnectionHops(f, [
    state(
      '2-client-mark',
      '2',
      `${C.name} client mangle OUTPUT -d ${vip}/32 MARK`,
      `wget connects to the VIP ${vip} that DNS answered; the client's mangle OUTPUT chain marks the packet for it.`,
      [clientCheckId.mark(C.name), clientCheckId.vipAddr(C.name)],
    ),
    state(
      '3-client-ipvs',
      '3',
      `${C.name} client IPVS FWM = MARK, real servers = tasks`,
      'IPVS in the client container matches the mark and replaces the VIP by the next task, round robin.',
      [clientCheckId.ipvsFwm(C.name), clientCheckId.ipvsReals(C.name)],
    ),
    state(
      '4-client-snat',
      '4',
      `${C.name} client SNAT --ipvs to ${c.ip}`,
      `nat POSTROUTING keeps the container's own overlay address ${c.ip} as the source of IPVS connections.`,
      [clientCheckId.snat(C.name)],
    ),
  ]);
}
