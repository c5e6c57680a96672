/**
 * Intent checks: the lab the user declared (the resolved lab model, the same lab file they
 * deployed) against what the swarm says it is (IntentFacts from verify/discover-intent.ts).
 * Each observable field has its own check id; a mismatch fails the round (EXIT.fail) and is
 * listed first in every report. There is no switch to turn them off: a user who means another
 * lab says so in the lab file.
 */
import { EXIT } from '../lib/exit';
import type { Lab } from '../stacks/lab';
import type { IntentFacts } from './discover-intent';
import type { RoundVerdict } from './engine/types';

export interface IntentCheck {
  /** Stable id, e.g. `intent.service.replicas`, `intent.node.node-18.role`. */
  readonly id: string;
  readonly title: string;
  readonly ok: boolean;
  readonly expected: string;
  readonly seen: string;
}

/** MAJOR.MINOR.PATCH of a daemon's version string (`20.10.24+dfsg1` -> `20.10.24`), or undefined. */
export function semverCore(v: string): string | undefined {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(v.trim());
  return m ? `${Number(m[1])}.${Number(m[2])}.${Number(m[3] ?? 0)}` : undefined;
}

/** The part of the lab model verify can observe, what the intent checks expect. */
export interface LabIntent {
  readonly nodes: ReadonlyArray<{ readonly name: string; readonly ip: string; readonly role: 'manager' | 'worker' }>;
  readonly dockerVersion: string;
  readonly dataPathPort: number;
  readonly service: {
    readonly name: string;
    readonly replicas: number;
    readonly publishedPort: number;
    readonly targetPort: number;
    readonly overlayNetwork: string;
    readonly overlaySubnet: string;
  };
}

export function labIntent(lab: Lab): LabIntent {
  const s = lab.service;
  return {
    nodes: lab.nodes.map((n) => ({ name: n.name, ip: n.ip, role: n.role })),
    dockerVersion: lab.dockerVersion,
    dataPathPort: lab.dataPathPort,
    service: {
      name: s.name,
      replicas: s.replicas,
      publishedPort: s.publishedPort,
      targetPort: s.targetPort,
      overlayNetwork: s.overlayNetwork,
      overlaySubnet: s.overlaySubnet,
    },
  };
}

/** Docker hostnames may carry a domain (`node-10.localdomain`); lab names do not. */
function nodeFor<T extends { readonly hostname: string }>(rows: readonly T[], name: string): T | undefined {
  return rows.find((r) => r.hostname === name) ?? rows.find((r) => r.hostname.split('.')[0] === name);
}

const RUNNING = (t: { desiredState: string; state: string }): boolean =>
  t.desiredState === 'running' && t.state === 'running';

/** Every intent check, in a fixed order (nodes, engine, service, swarm, overlay). */
export function checkIntent(want: LabIntent, f: IntentFacts): IntentCheck[] {
  const out: IntentCheck[] = [];
  const add = (id: string, title: string, expected: string, seen: string, ok = expected === seen): void => {
    out.push({ id, title, ok, expected, seen });
  };

  // Nodes: the swarm's members are the lab's nodes, by name and address.
  const fmtNode = (name: string, ip: string) => `${name}=${ip}`;
  const wantNodes = want.nodes.map((n) => fmtNode(n.name, n.ip)).sort();
  const seenNodes = f.nodes.map((n) => fmtNode(n.hostname.split('.')[0], n.addr)).sort();
  add('intent.nodes', 'swarm nodes (name=address)', wantNodes.join(' '), seenNodes.join(' '));
  for (const n of want.nodes) {
    const row = nodeFor(f.nodes, n.name);
    if (!row) continue; // named once by intent.nodes
    add(`intent.node.${n.name}.role`, `${n.name} swarm role`, n.role, row.role);
    add(
      `intent.node.${n.name}.status`,
      `${n.name} status/availability`,
      'ready/active',
      `${row.state || '?'}/${row.availability || '?'}`,
    );
  }
  const leaders = f.nodes.filter((n) => n.leader);
  if (leaders.length)
    add(
      'intent.swarm.leader',
      'the raft leader is a lab manager',
      `one of ${want.nodes
        .filter((n) => n.role === 'manager')
        .map((n) => n.name)
        .join(', ')}`,
      leaders.map((n) => `${n.hostname} (${n.role})`).join(', '),
      leaders.every((l) => want.nodes.some((n) => n.role === 'manager' && nodeFor([l], n.name))),
    );

  // Engine version per node, MAJOR.MINOR.PATCH (distribution suffixes like +dfsg1 do not count).
  const versions = f.nodes.map((n) => ({ n: n.hostname, v: n.engineVersion, core: semverCore(n.engineVersion) }));
  const wrongVersion = versions.filter((x) => x.core !== semverCore(want.dockerVersion));
  add(
    'intent.engine.version',
    'Docker engine version on every node',
    want.dockerVersion,
    wrongVersion.length
      ? versions.map((x) => `${x.n} ${x.v || '?'}`).join(', ')
      : `${want.dockerVersion} on ${versions.length} node(s)`,
    wrongVersion.length === 0 && versions.length > 0,
  );

  // The service.
  const s = f.service;
  const svcName = want.service.name;
  if (!s) {
    add('intent.service', `service ${svcName}`, 'exists', `not found: ${f.serviceError ?? '?'}`, false);
  } else {
    const running = f.tasks.filter(RUNNING);
    add(
      'intent.service.replicas',
      `${svcName} replicas running`,
      `replicated, ${want.service.replicas} replicas, ${want.service.replicas} running`,
      `${s.mode}${s.replicas !== undefined ? `, ${s.replicas} replicas` : ''}, ${running.length} running`,
    );
    // Spread: the scheduler spreads over Active nodes, so per node counts differ by at most one,
    // and no task runs outside the lab's nodes.
    const perNode = new Map(want.nodes.map((n) => [n.name, 0]));
    const outside: string[] = [];
    for (const t of running) {
      const name = want.nodes.find((n) => nodeFor([{ hostname: t.node }], n.name))?.name;
      if (name) perNode.set(name, (perNode.get(name) ?? 0) + 1);
      else outside.push(t.node || t.nodeId || '?');
    }
    const eligible = want.nodes.filter((n) => {
      const row = nodeFor(f.nodes, n.name);
      return row && row.state === 'ready' && row.availability === 'active';
    });
    const counts = eligible.map((n) => perNode.get(n.name) ?? 0);
    const even = counts.length > 0 && Math.max(...counts) - Math.min(...counts) <= 1;
    const lo = Math.floor(want.service.replicas / Math.max(1, eligible.length));
    const hi = Math.ceil(want.service.replicas / Math.max(1, eligible.length));
    add(
      'intent.service.spread',
      `${svcName} tasks spread over the nodes`,
      `${lo === hi ? lo : `${lo}-${hi}`} per ready node (${eligible.map((n) => n.name).join(', ')})`,
      [...perNode.entries()].map(([n, c]) => `${n} ${c}`).join(', ') +
        (outside.length ? `; outside the lab: ${outside.join(', ')}` : ''),
      even && outside.length === 0,
    );
    const fmtPort = (p: { publishedPort: number; targetPort: number; protocol: string }) =>
      `${p.publishedPort}->${p.targetPort}/${p.protocol}`;
    add(
      'intent.service.ports',
      `${svcName} published -> target port`,
      fmtPort({ ...want.service, protocol: 'tcp' }),
      s.ports.map(fmtPort).join(', ') || 'none published',
    );
    add(
      'intent.service.publishMode',
      `${svcName} publish mode`,
      'ingress',
      [...new Set(s.ports.map((p) => p.publishMode))].join(', ') || 'none published',
    );
    add('intent.service.endpointMode', `${svcName} endpoint mode`, 'vip', s.endpointMode);
  }

  add(
    'intent.swarm.dataPathPort',
    'swarm data path port (VXLAN UDP)',
    String(want.dataPathPort),
    f.swarm.dataPathPort !== undefined ? String(f.swarm.dataPathPort) : 'not reported by the daemon',
  );

  const o = f.overlay;
  const ovName = want.service.overlayNetwork;
  add(
    'intent.overlay.network',
    `user overlay ${ovName}, attached to ${svcName}`,
    `${ovName} (overlay, swarm), attached`,
    o
      ? `${o.name} (${o.driver}, ${o.scope}), ${s?.networks.includes(o.id) ? 'attached' : 'not attached'}`
      : `not found: ${f.overlayError ?? '?'}`,
  );
  if (o) add('intent.overlay.subnet', `${ovName} subnet`, want.service.overlaySubnet, o.subnets.join(', ') || 'none');
  return out;
}

/**
 * The round's verdict with the intent checks in front: a failing one makes the round FAIL
 * (EXIT.fail), also when the path itself could not be judged.
 */
export function withIntent(v: RoundVerdict, checks: readonly IntentCheck[]): RoundVerdict {
  const bad = checks.filter((c) => !c.ok);
  if (!bad.length) return { intent: checks, ...v };
  const ids = bad.map((c) => c.id).join(', ');
  return {
    intent: checks,
    ...v,
    ok: false,
    exitCode: EXIT.fail,
    summary: `the lab is not the one declared (${ids}); ${v.summary}`,
  };
}

/** One line per failing intent check, for reports: `✗ intent.service.replicas: expected ..., seen ...`. */
export function intentLine(c: IntentCheck): string {
  return `${c.ok ? '✓' : '✗'} ${c.id}: ${c.title}: ${c.ok ? c.seen : `expected ${c.expected}, seen ${c.seen}`}`;
}
