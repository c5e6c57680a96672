/**
 * `service-vip`: a client task on the user overlay calls the service by name (seed 004). The
 * embedded DNS answers the service's VIP. Where the VIP is balanced is discovered (`vipAt`):
 * - `lb` (Docker 20.10 and later, measured here): the SYN leaves the client to the VIP; the
 *   overlay bridge hands it to the network's load-balancer namespace on the same node, which
 *   holds the VIP as a /32, marks it in mangle INPUT, lets IPVS (FWM, rr, one Masq real per task)
 *   pick a task and SNATs it (`-m ipvs`) to the lb endpoint's own address;
 * - `client` (seed 004, older engines): the same MARK (mangle OUTPUT), IPVS and SNAT inside the
 *   client container, to its own address; the VIP never reaches the wire.
 * The packet then takes the user overlay (VXLAN with that overlay's VNI when the task runs on
 * another node) to the serving task's overlay interface.
 */
import { clientCheckId, userOverlayChecks, vipChecks, vipSite } from '../engine/state-client';
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
  title: 'Task to service by name, through the VIP (IPVS on the client node)',
  description:
    'A task on the user overlay calls the service by name. The embedded DNS answers the VIP; on the client ' +
    "node the network's load-balancer namespace (Docker 20.10 and later; the client container itself on older " +
    'engines) marks packets for the VIP, IPVS picks a task round robin and the SNAT rule makes the balancer the ' +
    "source. The user overlay carries the packet to the task, in VXLAN with that overlay's VNI when the task " +
    'runs on another node.',
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
  const { u, C } = f;
  const vip = u.service.vip;
  // Docker 20.10 and later: the network's lb namespace balances the VIP; seed 004 (older): the client itself.
  // A node the lb mode lists without an lb endpoint is followed as the client mode (its VIP checks then fail).
  const site = vipSite(u, C.name, undefined) ?? vipSite({ ...u, vipAt: 'client' }, C.name, undefined)!;
  const lb = site.lb;
  const at = {
    ns: site.where,
    label: `${C.name} ${site.label}`,
    chain: site.markChain,
    snatTo: site.snatTo,
    who: lb ? `the lb endpoint ${lb.ip}` : "the container's own address",
  };
  const state = (id: string, step: string, title: string, explanation: string, checks: string[]): HopSpec =>
    hop({ id, step, kind: 'state', direction: 'request', role: 'entry', ns: at.ns, title, explanation, checks });
  return overlayConnectionHops(
    f,
    [
      state(
        '2-vip-mark',
        '2',
        `${at.label} mangle ${at.chain} -d ${vip}/32 MARK`,
        lb
          ? `The lb namespace holds the VIP ${vip} as a /32; its mangle INPUT chain marks packets arriving for it.`
          : `wget connects to the VIP ${vip} that DNS answered; the client's mangle OUTPUT chain marks the packet for it.`,
        [clientCheckId.mark(C.name), clientCheckId.vipAddr(C.name)],
      ),
      state(
        '3-vip-ipvs',
        '3',
        `${at.label} IPVS FWM = MARK, real servers = tasks`,
        `IPVS in the ${lb ? 'lb namespace' : 'client container'} matches the mark and replaces the VIP by the next task, round robin.`,
        [clientCheckId.ipvsFwm(C.name), clientCheckId.ipvsReals(C.name)],
      ),
      state(
        '4-vip-snat',
        '4',
        `${at.label} SNAT --ipvs to ${at.snatTo}`,
        `nat POSTROUTING makes ${at.who} the source of IPVS connections, so the task's answer comes back through IPVS.`,
        [clientCheckId.snat(C.name)],
      ),
    ],
    lb ? { vip, lb } : undefined,
  );
}
