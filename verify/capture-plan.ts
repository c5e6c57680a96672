/**
 * Where to capture for one verify round, derived from the selected paths' hops: every packet hop
 * of every (entry node, candidate task) pair names its resolved point and a pcap-filter; points
 * are merged and their filters ORed. There is no second list of capture points: what the engine
 * judges is exactly what was captured.
 */
import type { NsKind, Topology } from './model';
import { PATHS } from './paths';
import type { PathSpec, ResolvedPoint } from './paths/types';

export { vxlanTcpFilter } from './capture-filter';

export interface CapturePoint extends ResolvedPoint {
  /** pcap-filter expression. */
  readonly filter: string;
  /** Ids of the hops judged from this point (for the progress line and the report). */
  readonly hops?: readonly string[];
}

export interface PlanProps {
  /** Paths to capture for; default every registered path. */
  readonly paths?: readonly PathSpec[];
  /** Nodes that will receive requests; default every node. */
  readonly entryNodes?: readonly string[];
  /** Per path, when its requests start elsewhere (a client task's node); overrides `entryNodes`. */
  readonly entryNodesOf?: (spec: PathSpec) => readonly string[] | undefined;
  /** Also capture in ingress_sbox (optional points). Default true. */
  readonly sbox?: boolean;
}

/** The local file name of a capture: `<node>__<ns>__<iface>[__<container12>].pcap`. */
export function captureFileName(p: Pick<CapturePoint, 'node' | 'ns' | 'iface' | 'containerId'>): string {
  const safe = (s: string): string => s.replace(/[^A-Za-z0-9_.-]/g, '_');
  return [p.node, p.ns, p.iface, ...(p.containerId ? [p.containerId.slice(0, 12)] : [])].map(safe).join('__') + '.pcap';
}

const NS_ORDER: readonly NsKind[] = ['host', 'sbox', 'overlay', 'uoverlay', 'lb', 'client', 'task'];

export function planCaptures(topo: Topology, props: PlanProps = {}): CapturePoint[] {
  const paths = props.paths ?? PATHS;
  const entriesOf = (spec: PathSpec) => {
    const names = props.entryNodesOf?.(spec) ?? props.entryNodes;
    return topo.nodes.filter((n) => !names || names.includes(n.name));
  };
  const byKey = new Map<string, { point: ResolvedPoint; filters: Set<string>; hops: Set<string>; seq: number }>();
  for (const spec of paths)
    for (const entry of entriesOf(spec))
      for (const target of spec.targets(topo, entry))
        for (const h of spec.resolve({ topology: topo, entry, target })) {
          if (h.kind !== 'packet' || !h.point || !h.filter) continue;
          if (h.point.iface === '?') continue; // interface not discovered: the engine reports it not captured
          if (props.sbox === false && h.point.ns === 'sbox') continue;
          const k = `${h.point.node}/${h.point.ns}/${h.point.iface}/${h.point.containerId ?? ''}`;
          const cur = byKey.get(k) ?? { point: h.point, filters: new Set(), hops: new Set(), seq: byKey.size };
          cur.filters.add(h.filter);
          cur.hops.add(h.id);
          byKey.set(k, cur);
        }
  const nodeOrder = (n: string) => topo.nodes.findIndex((x) => x.name === n);
  return [...byKey.values()]
    .sort(
      (a, b) =>
        nodeOrder(a.point.node) - nodeOrder(b.point.node) ||
        NS_ORDER.indexOf(a.point.ns) - NS_ORDER.indexOf(b.point.ns) ||
        a.seq - b.seq,
    )
    .map(({ point, filters, hops }) => {
      const fs = [...filters].sort();
      return { ...point, filter: fs.length === 1 ? fs[0] : fs.map((f) => `(${f})`).join(' or '), hops: [...hops] };
    });
}
