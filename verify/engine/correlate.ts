/**
 * Following one request across capture points. The client's initial sequence number and TCP
 * timestamp (TSval) survive every NAT on the path and ride inside VXLAN, so they identify the
 * SYN everywhere; the SYN-ACK is the segment acking ISN + 1. Matching never uses wall-clock time,
 * so clocks that differ between nodes do not matter; retransmitted SYNs (same ISN, new TSval)
 * are counted, unrelated traffic never matches.
 */
import type { LoadedCapture } from './captures';
import { obsTime } from './captures';
import type { PacketExpect } from '../paths/types';
import type { Observation } from './types';

export interface FlowKey {
  readonly isn: number;
  readonly tsval?: number;
  /** The server's ISN (from the SYN-ACK), to follow the answer's data. */
  readonly serverIsn?: number;
}

export function isClientSyn(o: Observation): boolean {
  return o.syn && !o.ackFlag && !o.rst;
}

/**
 * Segments at a point that are this request's SYN, SYN-ACK, first request data or first answer
 * data, in capture order. Sequence numbers survive every NAT on the path (DNAT, IPVS Masq, SNAT,
 * REDIRECT), so they identify the segment at every point.
 */
export function matching(obs: readonly Observation[], key: FlowKey, match: PacketExpect['match']): Observation[] {
  const next = (key.isn + 1) >>> 0;
  const srvNext = key.serverIsn !== undefined ? (key.serverIsn + 1) >>> 0 : undefined;
  const hits =
    match === 'syn'
      ? obs.filter((o) => isClientSyn(o) && o.seq === key.isn)
      : match === 'synack'
        ? obs.filter((o) => o.syn && o.ackFlag && o.ack === next)
        : match === 'request'
          ? obs.filter((o) => !o.syn && o.payloadLength > 0 && o.seq === next)
          : obs.filter((o) => srvNext !== undefined && !o.syn && o.payloadLength > 0 && o.seq === srvNext);
  if (match === 'syn' && key.tsval !== undefined && hits.length > 1) {
    // Two different flows with one ISN (port reuse across rounds): keep the one with our TSval
    // first; retransmissions of it (later TSvals) stay in the list.
    const first = hits.findIndex((o) => o.tsval === key.tsval);
    if (first > 0) return hits.slice(first);
  }
  return hits;
}

/** Every segment of the flow a matched SYN belongs to, at that point, both directions. */
export function flowAt(obs: readonly Observation[], anchor: Observation, windowSec = 120): Observation[] {
  const t0 = obsTime(anchor);
  const same = (o: Observation) =>
    ((o.src === anchor.src && o.sport === anchor.sport && o.dst === anchor.dst && o.dport === anchor.dport) ||
      (o.src === anchor.dst && o.sport === anchor.dport && o.dst === anchor.src && o.dport === anchor.sport)) &&
    !!o.vxlan === !!anchor.vxlan;
  return obs.filter((o) => same(o) && obsTime(o) >= t0 - 1 && obsTime(o) <= t0 + windowSec);
}

/** Client SYNs to the published port of an entry node, first transmission of each ISN, in order. */
export function clientSyns(
  entry: LoadedCapture | undefined,
  client: string,
  entryIp: string,
  port: number,
): Observation[] {
  if (!entry) return [];
  const seen = new Set<number>();
  return entry.observations.filter((o) => {
    if (!isClientSyn(o) || o.vxlan || o.src !== client || o.dst !== entryIp || o.dport !== port || seen.has(o.seq))
      return false;
    seen.add(o.seq);
    return true;
  });
}

/**
 * Offset of each node's clock against the entry node's, in ms: the same SYN's time on the
 * node minus its time on the entry node, smallest over all requests (the path delay is tiny
 * and always positive, so the minimum is the best estimate).
 */
export function clockSkew(samples: ReadonlyArray<{ node: string; deltaMs: number }>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) {
    if (out[s.node] === undefined || Math.abs(s.deltaMs) < Math.abs(out[s.node]))
      out[s.node] = Math.round(s.deltaMs * 1000) / 1000;
  }
  return out;
}
