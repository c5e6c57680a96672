/** Shared bits of the report renderers. */
import { SEVERITY } from '../engine/types';
import type { Cause, HopStatus, HopVerdict, PathVerdict, RequestVerdict, RoundVerdict } from '../engine/types';

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

/** Classes of one path's requests (or of every request of the round). */
export function requestClasses(v: RoundVerdict | PathVerdict): RequestClass[] {
  const map = new Map<string, RequestVerdict[]>();
  const multi = 'paths' in v && v.paths.length > 1;
  for (const r of v.requests) {
    const name = `${multi ? `${r.path}: ` : ''}entry ${r.entryNode} -> task on ${r.servedNode ?? 'unknown node'} (${r.variant ?? 'unknown'})`;
    map.set(name, [...(map.get(name) ?? []), r]);
  }
  return [...map.entries()].map(([name, requests]) => ({ name, requests }));
}

/** Worst verdict of one hop over the requests of a class. */
export function worstHop(reqs: readonly RequestVerdict[], hopId: string): HopVerdict | undefined {
  let worst: HopVerdict | undefined;
  for (const r of reqs) {
    const h = r.hops.find((x) => x.id === hopId);
    if (h && (!worst || SEVERITY[h.status] > SEVERITY[worst.status])) worst = h;
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

/** `confirmed: <text> — <evidence>` / `not found: <text>` / `<text>` (unchecked). */
export function causeLine(c: Cause): string {
  return c.status === 'unchecked'
    ? `likely: ${c.text}`
    : `${c.status}: ${c.text}${c.evidence ? ` — ${c.evidence}` : ''}`;
}

/** `ingress 12.3 ms` */
export function pathTime(p: PathVerdict): string {
  return `${p.timeMs.toFixed(1)} ms`;
}

export function pathWord(p: PathVerdict): string {
  return p.ok ? 'PASS' : p.exitCode === 2 ? 'INCONCLUSIVE' : 'FAIL';
}
