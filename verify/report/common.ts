/** Shared bits of the report renderers. */
import type { HopStatus, HopVerdict, RequestVerdict, RoundVerdict } from '../engine/types';

export const MARK: Record<HopStatus, string> = { ok: '✓', missing: '✗', wrong: '✗', 'not captured': '·' };

export function escapeXml(s: string): string {
  // Control characters other than tab/newline are not allowed in XML 1.0.
  return (
    s
      .replace(
        /[&<>"']/g,
        (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string,
      )
      // eslint-disable-next-line no-control-regex -- matching control characters is the point here
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
  );
}

/** Requests grouped by class: same entry node and same serving node (so the same hops). */
export interface RequestClass {
  readonly name: string;
  readonly requests: readonly RequestVerdict[];
}

export function requestClasses(v: RoundVerdict): RequestClass[] {
  const map = new Map<string, RequestVerdict[]>();
  for (const r of v.requests) {
    const name = `entry ${r.entryNode} -> task on ${r.servedNode ?? 'unknown node'} (${r.variant ?? 'unknown'})`;
    map.set(name, [...(map.get(name) ?? []), r]);
  }
  return [...map.entries()].map(([name, requests]) => ({ name, requests }));
}

/** Worst verdict of one hop over the requests of a class. */
export function worstHop(reqs: readonly RequestVerdict[], hopId: string): HopVerdict | undefined {
  const rank: Record<HopStatus, number> = { ok: 0, 'not captured': 1, missing: 2, wrong: 3 };
  let worst: HopVerdict | undefined;
  for (const r of reqs) {
    const h = r.hops.find((x) => x.id === hopId);
    if (h && (!worst || rank[h.status] > rank[worst.status])) worst = h;
  }
  return worst;
}

export function pointLabel(h: HopVerdict): string {
  if (!h.point) return 'state';
  return `${h.point.node}/${h.point.ns}/${h.point.iface}${h.point.containerId ? `@${h.point.containerId.slice(0, 12)}` : ''}`;
}

export function verdictWord(v: RoundVerdict): string {
  return v.ok ? 'PASS' : v.exitCode === 2 ? 'INCONCLUSIVE' : 'FAIL';
}
