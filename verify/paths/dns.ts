/**
 * `dns`: the embedded DNS (127.0.0.11, DNAT'd in the client's nat OUTPUT to the resolver's own
 * port) answers `<service>` with the service's VIP on the user overlay and `tasks.<service>` with
 * exactly the running tasks' overlay addresses (seed 004). Judged from the client's answers and
 * the client namespace's rules; the queries never leave the container (loopback).
 */
import { clientCheckId, dnsAnswerChecks, dnsDnatCheck } from '../engine/state-client';
import type { StateCheck } from '../engine/types';
import { hop } from './client-hops';
import type { PathSpec } from './types';

export const dns: PathSpec = {
  id: 'dns',
  title: 'Embedded DNS: service name -> VIP, tasks.<service> -> every task',
  description:
    "Inside a task, 127.0.0.11 is Docker's embedded resolver (a DNAT in the container's nat table sends it to the " +
    "daemon's port). The service's name answers its VIP on the overlay; tasks.<service> answers every running task.",
  variants: [{ id: 'local', title: 'from a client task', description: 'Queries stay inside the client container.' }],
  balanced: false,
  targets: (t) => t.service.tasks.slice(0, 1),
  variantOf: () => 'local',
  resolve: (ctx) => {
    const u = ctx.topology.userOverlay;
    if (!u) return [];
    const n = ctx.entry.name;
    const name = ctx.request?.url.replace(/^dns:/, '') ?? u.service.name;
    const tasks = name.startsWith('tasks.');
    return [
      hop({
        id: '1-client-dns-dnat',
        step: '1',
        kind: 'state',
        direction: 'request',
        role: 'entry',
        ns: 'client',
        title: `${n} client nat OUTPUT: 127.0.0.11:53 -> embedded resolver`,
        explanation: "The query to 127.0.0.11:53 is DNAT'd to the port the daemon's resolver listens on.",
        checks: [clientCheckId.dnsDnat(n)],
      }),
      hop({
        id: tasks ? '2-dns-tasks' : '2-dns-vip',
        step: '2',
        kind: 'state',
        direction: 'reply',
        role: 'entry',
        ns: 'client',
        title: tasks ? `${name} -> the ${u.tasks.length} running task(s)` : `${name} -> the VIP ${u.service.vip}`,
        explanation: tasks
          ? 'tasks.<service> must answer exactly the overlay addresses of the running tasks, no more, no fewer.'
          : "The service's name must answer its VIP on this overlay (not a task address).",
        checks: [tasks ? clientCheckId.dnsTasks(n) : clientCheckId.dnsVip(n)],
      }),
    ];
  },
  stateChecks: (p) => {
    const u = p.topology.userOverlay;
    if (!u) return [];
    const out: StateCheck[] = [];
    for (const node of p.topology.nodes) {
      if (!p.entryNodes.has(node.name)) continue;
      out.push(
        dnsDnatCheck(
          node,
          p.snapshots.find((s) => s.node === node.name),
        ),
      );
      out.push(...dnsAnswerChecks(node, u, p.requests ?? []));
    }
    return out;
  },
};
