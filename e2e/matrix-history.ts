/**
 * What one matrix run keeps for the next one to compare against, and the comparison: a nightly
 * regression must say what changed since last night. Pure: results and the previous record in,
 * regressions out; e2e/matrix-summary-cli.ts finds the previous run on disk.
 *
 * Per flavour the record holds its status, the worst status of every hop per path and variant
 * (`ingress remote 8-entry-overlay-vxlan0`; node names are left out so a task landing elsewhere
 * is no change) and the path facts of `pathFacts` (chains, marks, VNI, ...).
 */
import type { HopStatus, RoundVerdict } from '../verify/engine/types';
import { SEVERITY } from '../verify/engine/types';
import type { FlavourResult, FlavourStatus } from './matrix-report';
import { pathFacts } from './matrix-report';
import { verdictWord } from '../verify/report/common';

export interface FlavourRecord {
  readonly flavour: string;
  readonly engineVersion: string;
  readonly status: FlavourStatus;
  /** `<path> <variant> <hop id>` -> worst status over that class's requests; empty without a verdict. */
  readonly hops: Readonly<Record<string, HopStatus>>;
  /** `pathFacts` of the verdict; empty without a verdict. */
  readonly facts: Readonly<Record<string, string>>;
}

/**
 * Facts that Docker assigns anew on every deployment (which task got which address, fwmark numbers
 * in service creation order, how many requests each variant got): they differ between two healthy
 * nights of the same flavour (measured: the 2026-12-01 matrix had marks 256 and 257 and every task
 * address on another node), so they are shown in the differences but never called a regression.
 */
export const VOLATILE_FACT = /REDIRECT|MARK|IPVS service|IPVS real servers|task IPs|sbox IP|requests by path variant/i;

export type RegressionKind = 'verdict' | 'hop' | 'path';

export interface Regression {
  readonly flavour: string;
  readonly kind: RegressionKind;
  /** Hop key, fact name, or `verdict`. */
  readonly what: string;
  readonly before: string;
  readonly now: string;
}

/** Where the comparison came from, as the summary shows it. */
export interface Comparison {
  /** Summary file compared against; absent when there was none. */
  readonly previous?: string;
  readonly previousAt?: string;
  /** Why nothing was compared (no previous run, an older summary format). */
  readonly note?: string;
  readonly regressions: readonly Regression[];
  /** Flavours compared (in both runs). */
  readonly compared: readonly string[];
}

function statusOf(r: FlavourResult): FlavourStatus {
  if (r.error || !r.verdict) return 'ERROR';
  return verdictWord(r.verdict) as FlavourStatus;
}

/** Worst status per `<path> <variant> <hop>` over the verdict's requests. */
export function hopStatuses(v: RoundVerdict): Record<string, HopStatus> {
  const out: Record<string, HopStatus> = {};
  for (const q of v.requests)
    for (const h of q.hops) {
      const key = `${q.path} ${q.variant ?? 'unknown'} ${h.id}`;
      if (!out[key] || SEVERITY[h.status] > SEVERITY[out[key]]) out[key] = h.status;
    }
  return out;
}

export function recordOf(results: readonly FlavourResult[]): FlavourRecord[] {
  return results.map((r) => ({
    flavour: r.flavour,
    engineVersion: r.engineVersion,
    status: statusOf(r),
    hops: r.verdict ? hopStatuses(r.verdict) : {},
    facts: r.verdict ? Object.fromEntries(pathFacts(r.verdict)) : {},
  }));
}

/**
 * What got worse or changed for each flavour in both runs: a verdict that passed and does not now,
 * a hop that was ok and is not (or is gone while the flavour has a verdict), and, against a night
 * that passed, a hop that is new or a path fact with another value. A flavour without a verdict now
 * is compared on its status only.
 */
export function regressions(previous: readonly FlavourRecord[], current: readonly FlavourRecord[]): Regression[] {
  const out: Regression[] = [];
  for (const now of current) {
    const was = previous.find((p) => p.flavour === now.flavour);
    if (!was) continue;
    const f = now.flavour;
    if (was.status === 'PASS' && now.status !== 'PASS')
      out.push({ flavour: f, kind: 'verdict', what: 'verdict', before: was.status, now: now.status });
    if (!Object.keys(now.hops).length) continue;
    for (const [key, before] of Object.entries(was.hops)) {
      const after = now.hops[key];
      if (before === 'ok' && after !== 'ok')
        out.push({ flavour: f, kind: after ? 'hop' : 'path', what: key, before, now: after ?? 'not on the path' });
    }
    // A path change counts against a night that passed; after a failing one a change is the repair.
    if (was.status !== 'PASS') continue;
    for (const [key, after] of Object.entries(now.hops))
      if (!(key in was.hops) && Object.keys(was.hops).length)
        out.push({ flavour: f, kind: 'path', what: key, before: 'not on the path', now: after });
    if (!Object.keys(was.facts).length) continue;
    for (const key of new Set([...Object.keys(was.facts), ...Object.keys(now.facts)])) {
      if (VOLATILE_FACT.test(key)) continue;
      const before = was.facts[key] ?? '—';
      const after = now.facts[key] ?? '—';
      if (before !== after) out.push({ flavour: f, kind: 'path', what: key, before, now: after });
    }
  }
  return out;
}

/** The previous summary's record, or why it cannot be compared. */
export function previousRecord(json: unknown): { record: FlavourRecord[] } | { note: string } {
  const o = json as { record?: unknown } | null;
  if (!o || typeof o !== 'object') return { note: 'the previous summary is not a JSON object' };
  if (!Array.isArray(o.record))
    return { note: 'the previous summary has no per-flavour record (written before the comparison existed)' };
  const ok = o.record.every(
    (r: Partial<FlavourRecord> | null) =>
      typeof r?.flavour === 'string' &&
      typeof r.status === 'string' &&
      r.hops !== null &&
      typeof r.hops === 'object' &&
      r.facts !== null &&
      typeof r.facts === 'object',
  );
  return ok ? { record: o.record as FlavourRecord[] } : { note: 'the previous summary record is malformed' };
}

export function regressionLine(r: Regression): string {
  const what = r.kind === 'verdict' ? 'verdict' : r.kind === 'hop' ? `hop ${r.what}` : `path changed: ${r.what}`;
  return `${r.flavour}: ${what}: ${r.before} -> ${r.now}`;
}
