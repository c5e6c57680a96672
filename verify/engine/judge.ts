/** Judging one hop: the packet expected at a capture point, the state checks behind a step, or what the client read. */
import type { RequestRecord } from '../model';
import type { HopSpec, PacketExpect } from '../paths/types';
import type { LoadedCapture } from './captures';
import { pointKey } from './captures';
import { FlowKey, flowAt, matching } from './correlate';
import { SEVERITY, type HopStatus, type HopVerdict, type Observation, type StateCheck } from './types';

const MAX_LINES = 24;

const SEGMENT: Record<PacketExpect['match'], string> = {
  syn: 'SYN',
  synack: 'SYN-ACK',
  request: 'request data',
  response: 'answer data',
};

function segmentWords(match: PacketExpect['match'], key?: FlowKey): string {
  if (!key) return SEGMENT[match];
  switch (match) {
    case 'syn':
      return `SYN seq ${key.isn}`;
    case 'synack':
      return `SYN-ACK ack ${(key.isn + 1) >>> 0}`;
    case 'request':
      return `request data seq ${(key.isn + 1) >>> 0}`;
    case 'response':
      return key.serverIsn !== undefined ? `answer data seq ${(key.serverIsn + 1) >>> 0}` : 'answer data';
  }
}

export function describeExpect(e: PacketExpect, key?: FlowKey): string {
  const inner = `${e.src}${e.sport ? `:${e.sport}` : ''} -> ${e.dst}${e.dport ? `:${e.dport}` : ''} ${segmentWords(e.match, key)}${e.ethDst ? ` to MAC ${e.ethDst}` : ''}`;
  return e.vxlan
    ? `VXLAN ${e.vxlan.src} -> ${e.vxlan.dst}:${e.vxlan.dport} VNI ${e.vxlan.vni} carrying ${inner}`
    : inner;
}

export function compare(e: PacketExpect, o: Observation): string[] {
  const d: string[] = [];
  if (o.src !== e.src) d.push(`src ${o.src}, expected ${e.src}`);
  if (o.dst !== e.dst) d.push(`dst ${o.dst}, expected ${e.dst}`);
  if (e.sport !== undefined && o.sport !== e.sport) d.push(`sport ${o.sport}, expected ${e.sport}`);
  if (e.dport !== undefined && o.dport !== e.dport) d.push(`dport ${o.dport}, expected ${e.dport}`);
  if (e.ethDst && o.ethDst && o.ethDst !== e.ethDst.toLowerCase())
    d.push(`MAC dst ${o.ethDst}, expected ${e.ethDst.toLowerCase()}`);
  if (e.vxlan && o.vxlan) {
    if (o.vxlan.vni !== e.vxlan.vni) d.push(`VNI ${o.vxlan.vni}, expected ${e.vxlan.vni}`);
    if (!o.vxlan.vniValid) d.push('VXLAN I flag not set');
    if (o.vxlan.dport !== e.vxlan.dport) d.push(`VXLAN dport ${o.vxlan.dport}, expected ${e.vxlan.dport}`);
    if (o.vxlan.src !== e.vxlan.src) d.push(`outer src ${o.vxlan.src}, expected ${e.vxlan.src}`);
    if (o.vxlan.dst !== e.vxlan.dst) d.push(`outer dst ${o.vxlan.dst}, expected ${e.vxlan.dst}`);
  }
  return d;
}

function base(h: HopSpec): Omit<HopVerdict, 'status' | 'expected' | 'seen' | 'diffs' | 'packets'> {
  return {
    id: h.id,
    step: h.step,
    title: h.title,
    explanation: h.explanation,
    kind: h.kind,
    phase: h.phase,
    direction: h.direction,
    role: h.role,
    ns: h.ns,
    optional: h.optional,
    ...(h.point ? { point: h.point } : {}),
  };
}

/** `otherKindHere`: the path also expects this segment at this point in the other form (plain vs VXLAN). */
export function judgePacketHop(
  h: HopSpec,
  caps: ReadonlyMap<string, LoadedCapture>,
  key: FlowKey | undefined,
  otherKindHere = false,
): HopVerdict {
  const e = h.expect as PacketExpect;
  const expected = describeExpect(e, key);
  const k = pointKey(h.point as NonNullable<HopSpec['point']>);
  const cap = caps.get(k);
  const v = (
    status: HopStatus,
    seen: string,
    diffs: string[] = [],
    packets: string[] = [],
    extra: Partial<HopVerdict> = {},
  ): HopVerdict => ({ ...base(h), status, expected, seen, diffs, packets, ...extra });
  if (h.point?.iface === '?')
    return v('not captured', `the task's interface on this network is unknown (not in the round's topology)`);
  if (!cap) return v('not captured', `no capture at ${k}`);
  if (cap.capture.failed) return v('not captured', `capture at ${k} failed: ${cap.capture.failed}`);
  if (!key) return v('missing', 'cannot follow: the request was not identified at the entry node');
  if (e.match === 'response' && key.serverIsn === undefined)
    return v('missing', 'cannot follow the answer: no SYN-ACK of this connection was captured anywhere');
  const hits = matching(cap.observations, key, e.match);
  const want = !!e.vxlan;
  const good = hits.filter((o) => !!o.vxlan === want);
  if (!good.length) {
    if (hits.length && !otherKindHere) {
      const o = hits[0];
      return v(
        'wrong',
        o.line,
        [want ? 'not VXLAN-encapsulated, expected VXLAN' : 'VXLAN-encapsulated, expected plain'],
        lines(cap, o),
      );
    }
    const only = hits.length ? ` (only its ${want ? 'plain' : 'VXLAN-encapsulated'} copy)` : '';
    return v(
      'missing',
      `no ${segmentWords(e.match, key)}${want ? ' in VXLAN' : ''} among ${cap.observations.length} TCP segments${only}${cap.problem ? ` (${cap.problem})` : ''}`,
    );
  }
  // Prefer a copy that matches (a flooded frame for another task may come first).
  const o = good.find((x) => compare(e, x).length === 0) ?? good[0];
  const diffs = compare(e, o);
  return v(
    diffs.length ? 'wrong' : 'ok',
    o.line,
    diffs,
    lines(cap, o),
    good.length > 1 ? { retransmissions: good.length - 1 } : {},
  );
}

function lines(cap: LoadedCapture, o: Observation): string[] {
  return flowAt(cap.observations, o)
    .slice(0, MAX_LINES)
    .map((x) => x.line);
}

export function judgeStateHop(h: HopSpec, checks: ReadonlyMap<string, StateCheck>): HopVerdict {
  const found = (h.checks ?? []).map(
    (id) =>
      checks.get(id) ?? {
        id,
        node: '?',
        title: id,
        status: 'not captured' as const,
        expected: id,
        seen: 'check not run (node not in the topology or snapshot)',
      },
  );
  const worst = found.reduce<StateCheck | undefined>(
    (w, c) => (!w || SEVERITY[c.status] > SEVERITY[w.status] ? c : w),
    undefined,
  );
  const bad = found.filter((c) => c.status !== 'ok');
  return {
    ...base(h),
    status: worst?.status ?? 'not captured',
    expected: found.map((c) => c.expected).join('; '),
    seen: (bad.length ? bad : found).map((c) => `${c.title}: ${c.seen}`).join('; '),
    diffs: bad.filter((c) => c.status === 'wrong').map((c) => c.seen),
    packets: [],
  };
}

/** What the client read: the status and the body the hop expects. */
export function judgeClientHop(h: HopSpec, r: RequestRecord | undefined): HopVerdict {
  const want = h.client ?? { status: 200 };
  const expected = `HTTP ${want.status}${want.bodyIncludes ? ` with a body containing "${want.bodyIncludes}"` : ''}`;
  const v = (status: HopStatus, seen: string, diffs: string[] = []): HopVerdict => ({
    ...base(h),
    status,
    expected,
    seen,
    diffs,
    packets: [],
  });
  if (!r) return v('not captured', 'no request record');
  if (r.error) return v('missing', `the client read no answer: ${r.error}`);
  if (r.status === undefined) return v('not captured', 'the request record has no HTTP status');
  const body = (r.body ?? '').trim();
  const diffs = [
    r.status !== want.status ? `HTTP ${r.status}, expected ${want.status}` : '',
    want.bodyIncludes && !body.includes(want.bodyIncludes)
      ? `body ${JSON.stringify(body.slice(0, 80))}, expected it to contain "${want.bodyIncludes}"`
      : '',
  ].filter(Boolean);
  return v(diffs.length ? 'wrong' : 'ok', `HTTP ${r.status}, body ${JSON.stringify(body.slice(0, 80))}`, diffs);
}
