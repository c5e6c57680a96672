/**
 * `task-to-task`: a task reaches another task's overlay address directly (what `tasks.<service>`
 * answers), no NAT (seed 002): the container's overlay interface, the user overlay namespace
 * `1-<id>` (PERMANENT neigh and fdb entries for the remote task), VXLAN between the node
 * addresses with the overlay's VNI, decapsulated on the peer, into the target task.
 */
import { userOverlayChecks } from '../engine/state-client';
import type { StateCheck } from '../engine/types';
import { clientFlow, involvedNodes, OVERLAY_VARIANTS, overlayConnectionHops, overlayVariantOf } from './client-hops';
import type { PathSpec } from './types';

export const taskToTask: PathSpec = {
  id: 'task-to-task',
  title: 'Task to task by overlay address (no NAT)',
  description:
    "A task connects to another task's address on the user overlay. No NAT: the overlay namespace's neighbour and " +
    "fdb entries name the peer node, and VXLAN with the overlay's VNI carries the frame there.",
  variants: OVERLAY_VARIANTS,
  balanced: false,
  targets: (t) => t.service.tasks,
  variantOf: overlayVariantOf,
  resolve: (ctx) => {
    const f = clientFlow(ctx);
    return f ? overlayConnectionHops(f, []) : [];
  },
  stateChecks: (p) => {
    const u = p.topology.userOverlay;
    if (!u) return [];
    const involved = involvedNodes(u, p.entryNodes);
    const out: StateCheck[] = [];
    for (const node of p.topology.nodes)
      if (involved.has(node.name))
        out.push(
          ...userOverlayChecks(
            node,
            p.topology,
            p.snapshots.find((s) => s.node === node.name),
          ),
        );
    return out;
  },
};
