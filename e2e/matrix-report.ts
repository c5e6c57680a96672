/**
 * The e2e matrix summary: the results of one e2e run per Docker flavour side by side.
 * Pure: results in, text out (terminal table, Markdown, merged JUnit XML, JSON); no files,
 * no clock. `e2e/matrix-summary-cli.ts` reads the runner's result.json files and writes these.
 *
 * Four views, the same in every format:
 * - flavours: verdict (or the phase that failed), engine version, phase times, slowest node boot;
 * - hops: the status of every hop of the documented path per flavour (worst over its requests);
 * - broken: each ✗ with expected vs seen, and each failed phase with its message;
 * - differences: facts about the path read from each verdict (chains, MARK/FWM, VNI, sbox and
 *   task IPs, ...) listed only where the flavours disagree.
 */
import type { HopStatus, RoundVerdict, StateCheck, StateFacts } from '../verify/engine/types';
import { checkId } from '../verify/engine/state';
import {
  MARK,
  causeLine,
  pathTime,
  pathWord,
  pointLabel,
  requestClasses,
  verdictWord,
  worstHop,
} from '../verify/report/common';
import { renderJunitXml, type JunitCase } from '../verify/report/junit';
import type { Comparison, FlavourRecord } from './matrix-history';
import { regressionLine } from './matrix-history';
import { runFigures, type MatrixRun } from './matrix-jobs';

/** One flavour's e2e run, as the e2e runner writes it to `<dir>/<flavour>/result.json`. */
export interface FlavourResult {
  /** Lab image name, e.g. `debian12-docker20`. */
  readonly flavour: string;
  /** Image the lab booted (path or reference). */
  readonly image: string;
  /** Docker version the image is built with (the lab model's); the verdict has the one discovered. */
  readonly engineVersion: string;
  /** Absent when the run failed before verify produced a verdict. */
  readonly verdict?: RoundVerdict;
  /** The first phase that failed; absent when every phase ran. */
  readonly error?: { readonly phase: string; readonly message: string };
  /** Seconds per phase (`images`, `host`, `deploy`, `verify`, `destroy`, `lab-up`, others). */
  readonly timings: Readonly<Record<string, number>>;
  /** Per node: seconds from domain start to sshd answering, and from sshd to dockerd ready. */
  readonly nodeTimings?: ReadonlyArray<{
    readonly node: string;
    readonly bootToSshdS: number;
    readonly sshdToDockerS: number;
  }>;
}

export type FlavourStatus = 'PASS' | 'FAIL' | 'INCONCLUSIVE' | 'ERROR';

export interface FlavourRow {
  readonly flavour: string;
  readonly image: string;
  readonly status: FlavourStatus;
  /** `PASS`, `FAIL`, `ERROR in deploy`, `ERROR in destroy (verify PASS)`. */
  readonly label: string;
  readonly engineVersion: string;
  /** Engine version(s) the verdict discovered on the nodes, when verify ran. */
  readonly engineFound?: string;
  readonly profile?: string;
  readonly summary?: string;
  readonly error?: FlavourResult['error'];
  /** Hops proven / hops judged, over all requests. */
  readonly hopsOk?: number;
  readonly hopsTotal?: number;
  readonly firstBroken?: string;
  readonly timings: Readonly<Record<string, number>>;
  readonly slowestBoot?: { readonly node: string; readonly bootToSshdS: number; readonly sshdToDockerS: number };
}

/** One hop of the path; `cells[i]` belongs to flavour i: its worst status, `absent` when the hop is not on its path, `no verdict` when verify did not run. */
export interface HopRow {
  /** Path id (`ingress`, `service-vip`, ...): hop ids repeat across paths. */
  readonly path: string;
  readonly id: string;
  readonly step: string;
  readonly cells: ReadonlyArray<HopStatus | 'absent' | 'no verdict'>;
}

export interface BrokenItem {
  readonly flavour: string;
  /** Hop id, state check id, `distribution`, or `phase:<name>` for a failed phase. */
  readonly what: string;
  readonly status: HopStatus | 'error';
  readonly text: string;
  /** Causes on the flavour's first broken hop (`confirmed: ...`, `not found: ...`, `likely: ...`). */
  readonly causes?: readonly string[];
}

export interface FactRow {
  readonly fact: string;
  /** One value per compared flavour (`FactTable.flavours`); `—` when the verdict lacks the fact. */
  readonly values: readonly string[];
}

export interface FactTable {
  /** Flavours that have a verdict (the others cannot be compared). */
  readonly flavours: readonly string[];
  readonly differing: readonly FactRow[];
  /** Names of the facts every compared flavour agrees on. */
  readonly identical: readonly string[];
}

export interface MatrixSummary {
  readonly ok: boolean;
  readonly flavours: readonly FlavourRow[];
  /** Phase columns: the usual ones first, then any other the runner timed. */
  readonly phases: readonly string[];
  readonly hops: readonly HopRow[];
  readonly extraRows: ReadonlyArray<{ readonly name: string; readonly cells: readonly string[] }>;
  readonly broken: readonly BrokenItem[];
  readonly differences: FactTable;
  /** Per flavour, what the next run compares against (matrix-history.ts). */
  readonly record?: readonly FlavourRecord[];
  /** Against the previous run: regressions come first in every view and fail the matrix. */
  readonly comparison?: Comparison;
  /** Wall time of the matrix and of its single runs. */
  readonly run?: MatrixRun;
}

/** What the CLI adds around the results: the record, the comparison and the run's wall times. */
export interface SummaryExtras {
  readonly record?: readonly FlavourRecord[];
  readonly comparison?: Comparison;
  readonly run?: MatrixRun;
}

/** Phase columns in run order; `lab-up` is the part of deploy from domain start to the last dockerd ready. */
export const PHASES = ['images', 'host', 'deploy', 'verify', 'destroy', 'lab-up'] as const;

const NONE = '—';
const isBad = (s: string): boolean => s === 'missing' || s === 'wrong';

export function summarize(results: readonly FlavourResult[], extras: SummaryExtras = {}): MatrixSummary {
  const flavours = results.map(flavourRow);
  const extra = [...new Set(results.flatMap((r) => Object.keys(r.timings)))].filter(
    (k) => !(PHASES as readonly string[]).includes(k),
  );
  const hops = hopRows(results);
  const cellsFor = (fn: (v: RoundVerdict) => string) => results.map((r) => (r.verdict ? fn(r.verdict) : NONE));
  const extraRows = [
    {
      name: 'requests ok',
      cells: cellsFor(
        (v) =>
          `${v.requests.every((q) => q.ok) ? MARK.ok : MARK.wrong} ${v.requests.filter((q) => q.ok).length}/${v.requests.length}`,
      ),
    },
    {
      name: 'state checks ok',
      cells: cellsFor((v) => {
        const good = v.state.filter((c) => c.status === 'ok').length;
        return `${good === v.state.length ? MARK.ok : MARK.wrong} ${good}/${v.state.length}`;
      }),
    },
    { name: 'round robin', cells: cellsFor((v) => (v.distribution.roundRobin ? MARK.ok : `${MARK.wrong} no`)) },
    // One row per path any flavour judged: its verdict and the engine's time on it.
    ...[...new Set(results.flatMap((r) => (r.verdict?.paths ?? []).map((p) => p.id)))].map((id) => ({
      name: `path ${id}`,
      cells: cellsFor((v) => {
        const p = v.paths?.find((x) => x.id === id);
        return p ? `${p.ok ? MARK.ok : MARK.wrong} ${pathWord(p)} ${pathTime(p)}` : '-';
      }),
    })),
  ];
  return {
    ok: results.length > 0 && flavours.every((f) => f.status === 'PASS') && !extras.comparison?.regressions.length,
    flavours,
    phases: [...PHASES, ...extra],
    hops,
    extraRows,
    broken: results.flatMap(brokenItems),
    differences: pathDifferences(results),
    ...(extras.record ? { record: extras.record } : {}),
    ...(extras.comparison ? { comparison: extras.comparison } : {}),
    ...(extras.run ? { run: extras.run } : {}),
  };
}

/** The head lines every view starts with: the matrix's wall time, then what changed since the previous run. */
export function headLines(s: MatrixSummary): string[] {
  const out: string[] = [];
  if (s.run) {
    const { sumS, ratio } = runFigures(s.run);
    out.push(
      `wall ${formatSeconds(s.run.wallS)} for ${s.run.runs.length} run(s); the single runs sum to ${formatSeconds(sumS)} (wall/sum ${ratio.toFixed(2)}); ${s.run.jobsReason}`,
    );
  }
  const c = s.comparison;
  if (c) {
    if (!c.previous) out.push(`regressions: not compared (${c.note ?? 'no previous run'})`);
    else if (c.note) out.push(`regressions: not compared with ${c.previous} (${c.note})`);
    else if (!c.regressions.length)
      out.push(
        `regressions: none since ${c.previous}${c.previousAt ? ` (${c.previousAt})` : ''}, ${c.compared.length} flavour(s) compared`,
      );
    else {
      out.push(`REGRESSIONS: ${c.regressions.length} since ${c.previous}${c.previousAt ? ` (${c.previousAt})` : ''}:`);
      for (const r of c.regressions) out.push(`  ✗ ${regressionLine(r)}`);
    }
  }
  return out;
}

function flavourRow(r: FlavourResult): FlavourRow {
  const v = r.verdict;
  const word = v ? (verdictWord(v) as FlavourStatus) : undefined;
  const status: FlavourStatus = r.error || !word ? 'ERROR' : word;
  const label = r.error
    ? `ERROR in ${r.error.phase}${word ? ` (verify ${word})` : ''}`
    : (word ?? 'ERROR (no verdict)');
  const judged = v ? v.requests.flatMap((q) => q.hops).filter((h) => !(h.optional && h.status === 'not captured')) : [];
  const slowest = [...(r.nodeTimings ?? [])].sort((a, b) => b.bootToSshdS - a.bootToSshdS)[0];
  return {
    flavour: r.flavour,
    image: r.image,
    status,
    label,
    engineVersion: r.engineVersion,
    ...(v
      ? {
          engineFound: v.engineVersion,
          profile: v.profile,
          summary: v.summary,
          hopsOk: judged.filter((h) => h.status === 'ok').length,
          hopsTotal: judged.length,
        }
      : {}),
    ...(v?.firstBroken ? { firstBroken: v.firstBroken.hop } : {}),
    ...(r.error ? { error: r.error } : {}),
    timings: r.timings,
    ...(slowest ? { slowestBoot: slowest } : {}),
  };
}

/** Hop ids of all flavours, per path, in path order (a path's remote variant holds every hop of its local one). */
function hopRows(results: readonly FlavourResult[]): HopRow[] {
  const paths: string[] = [];
  const order = new Map<string, string[]>();
  const step = new Map<string, string>();
  for (const r of results) {
    for (const q of r.verdict?.requests ?? []) {
      if (!order.has(q.path)) {
        paths.push(q.path);
        order.set(q.path, []);
      }
      const ids = order.get(q.path)!;
      let at = -1;
      for (const h of q.hops) {
        step.set(`${q.path} ${h.id}`, h.step);
        const i = ids.indexOf(h.id);
        if (i >= 0) {
          at = i;
          continue;
        }
        ids.splice(at + 1, 0, h.id);
        at += 1;
      }
    }
  }
  return paths.flatMap((p) =>
    order.get(p)!.map((id) => ({
      path: p,
      id,
      step: step.get(`${p} ${id}`) ?? '',
      cells: results.map((r) =>
        r.verdict
          ? (worstHop(
              r.verdict.requests.filter((q) => q.path === p),
              id,
            )?.status ?? 'absent')
          : 'no verdict',
      ),
    })),
  );
}

function brokenItems(r: FlavourResult): BrokenItem[] {
  const out: BrokenItem[] = [];
  if (r.error)
    out.push({
      flavour: r.flavour,
      what: `phase:${r.error.phase}`,
      status: 'error',
      text: `failed in ${r.error.phase}: ${r.error.message}`,
    });
  const v = r.verdict;
  if (!v) return out;
  const shown = new Set<string>();
  for (const cls of requestClasses(v)) {
    const ids = [...new Set(cls.requests.flatMap((q) => q.hops.map((h) => h.id)))];
    for (const id of ids) {
      const h = worstHop(cls.requests, id);
      if (!h || !isBad(h.status)) continue;
      const reqs = cls.requests.filter((q) => q.hops.some((y) => y.id === id && isBad(y.status))).map((q) => q.index);
      const seen = `${h.diffs.length ? `${h.diffs.join('; ')} — ` : ''}${h.seen}`;
      const first = v.firstBroken?.hop === id && !out.some((b) => b.causes);
      out.push({
        flavour: r.flavour,
        what: id,
        status: h.status,
        text: `${h.step} ${id} ${h.status} (request ${reqs.join(', ')}; ${cls.name}; at ${pointLabel(h)}): expected ${h.expected}; seen ${seen}`,
        ...(first && v.firstBroken?.causes.length ? { causes: v.firstBroken.causes.map(causeLine) } : {}),
      });
      // A state hop's seen text names its failed checks: do not list those again below.
      if (h.kind === 'state')
        for (const c of v.state) if (isBad(c.status) && h.seen.includes(`${c.title}: ${c.seen}`)) shown.add(c.id);
    }
  }
  // Failed state checks no hop refers to (e.g. the REDIRECT of a task no request reached).
  for (const c of v.state) {
    if (!isBad(c.status) || shown.has(c.id)) continue;
    out.push({
      flavour: r.flavour,
      what: c.id,
      status: c.status,
      text: `state ${c.node} ${c.title} ${c.status}: expected ${c.expected}; seen ${c.seen}`,
    });
  }
  if (!v.distribution.roundRobin && v.requests.length)
    out.push({
      flavour: r.flavour,
      what: 'distribution',
      status: 'wrong',
      text: `distribution: ${v.distribution.detail}`,
    });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Path facts: what each verdict says about how the path is built, as comparable strings.

/** Facts about the path read from a verdict, in a stable order: `[name, value]`. */
export function pathFacts(v: RoundVerdict): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const add = (k: string, val: string) => out.push([k, val]);
  add('engine version (discovered)', v.engineVersion || '?');
  add('engine profile', v.profile);
  const factOf = <K extends StateFacts['kind']>(c: StateCheck | undefined, kind: K) =>
    c?.facts?.kind === kind ? (c.facts as Extract<StateFacts, { kind: K }>) : undefined;
  const link = v.state.map((c) => (c.id === checkId.vxlanLink(c.node) ? factOf(c, 'vxlan') : undefined)).find(Boolean);
  if (link) {
    add('ingress VNI', String(link.vni ?? NONE));
    add('VXLAN UDP port', String(link.dstport ?? NONE));
  }
  // Which address lands on which node is decided per run (task creation order), not by the
  // version: compare the set of task addresses only.
  add(
    'task IPs',
    Object.keys(v.distribution.counts)
      .map((k) => k.split(' ')[0])
      .sort()
      .join(', ') || NONE,
  );
  // Counts, not the order: where IPVS's round robin starts differs from run to run.
  const variants = new Map<string, number>();
  for (const q of v.requests) variants.set(q.variant ?? 'unknown', (variants.get(q.variant ?? 'unknown') ?? 0) + 1);
  add(
    'requests by path variant',
    [...variants]
      .sort()
      .map(([k, n]) => `${n} ${k}`)
      .join(', ') || NONE,
  );
  const bad = (c: StateCheck) => `${c.status}: ${c.seen}`;
  const nodes = [...new Set(v.state.map((c) => c.node))];
  for (const n of nodes) {
    const get = (id: string) => v.state.find((c) => c.id === id);
    const dnat = get(checkId.hostDnat(n));
    const dnatF = factOf(dnat, 'dnat');
    if (dnat) {
      add(
        `${n} nat ${dnatF?.chain ?? 'ingress'} chain`,
        dnat.status === 'not captured' ? 'not captured' : (dnatF?.chainState ?? NONE),
      );
      add(`${n} host DNAT`, dnat.status === 'ok' ? `to ${dnatF?.target ?? NONE}` : bad(dnat));
    }
    const fwd = get(checkId.hostForward(n));
    const fwdF = factOf(fwd, 'forward');
    if (fwd) add(`${n} filter FORWARD path`, fwd.status === 'ok' ? (fwdF?.chainPath.join(' -> ') ?? NONE) : bad(fwd));
    const mark = get(checkId.sboxMark(n));
    const markF = factOf(mark, 'mark');
    if (mark)
      add(
        `${n} ingress_sbox MARK`,
        mark.status === 'ok' && markF?.mark !== undefined
          ? `MARK set 0x${markF.mark.toString(16)} (${markF.mark})`
          : bad(mark),
      );
    const fwm = get(checkId.ipvsFwm(n));
    const fwmF = factOf(fwm, 'ipvs-fwm');
    if (fwm) add(`${n} IPVS service`, fwm.status === 'ok' ? `FWM ${fwmF?.fwmark} ${fwmF?.scheduler}` : bad(fwm));
    const reals = get(checkId.ipvsReals(n));
    const realsF = factOf(reals, 'ipvs-reals');
    if (reals)
      add(
        `${n} IPVS real servers`,
        reals.status === 'ok'
          ? (realsF?.reals
              .map((r) => `${r.ip}${r.weight !== undefined ? ` w${r.weight}` : ''}`)
              .sort()
              .join(', ') ?? NONE)
          : bad(reals),
      );
    const snat = get(checkId.sboxSnat(n));
    const snatF = factOf(snat, 'snat');
    if (snat)
      add(`${n} ingress_sbox SNAT (sbox IP)`, snat.status === 'ok' ? `to ${snatF?.toSource ?? NONE}` : bad(snat));
    const vx = get(checkId.vxlanLink(n));
    const vxF = factOf(vx, 'vxlan');
    if (vx) add(`${n} vxlan0`, vx.status === 'ok' ? `vxlan id ${vxF?.vni} dstport ${vxF?.dstport}` : bad(vx));
    const fdb = get(checkId.fdb(n));
    const fdbF = factOf(fdb, 'fdb');
    // The MAC -> node pairs are per run too; what a version could change is whether the fdb maps them.
    if (fdb)
      add(
        `${n} vxlan0 fdb`,
        fdb.status === 'ok' ? `${fdbF?.entries.length ?? 0} remote task MAC(s) -> their node IPs` : bad(fdb),
      );
    // Container ids change every run: the REDIRECT is keyed by the task address instead.
    const redirects = v.state.filter((c) => c.node === n && c.id.startsWith(`${n}:task-redirect:`));
    if (redirects.length) {
      add(
        `${n} task REDIRECT`,
        redirects
          .map((c) => {
            const f = factOf(c, 'redirect');
            const what = f?.dst ? `${f.dst}:${f.dport} -> ${f.toPort ?? '?'}` : `dpt:${f?.dport ?? '?'}`;
            return c.status === 'ok' ? what : `${what} ${bad(c)}`;
          })
          .sort()
          .join(', '),
      );
    }
  }
  return out;
}

/** Facts of the flavours that have a verdict, kept only where they differ. */
export function pathDifferences(results: readonly FlavourResult[]): FactTable {
  const withVerdict = results.filter((r) => r.verdict);
  const facts = withVerdict.map((r) => new Map(pathFacts(r.verdict as RoundVerdict)));
  const names: string[] = [];
  for (const f of facts) for (const k of f.keys()) if (!names.includes(k)) names.push(k);
  const differing: FactRow[] = [];
  const identical: string[] = [];
  for (const k of names) {
    const values = facts.map((f) => f.get(k) ?? NONE);
    if (withVerdict.length > 1 && new Set(values).size > 1) differing.push({ fact: k, values });
    else identical.push(k);
  }
  return {
    flavours: withVerdict.map((r) => r.flavour),
    differing: withVerdict.length > 1 ? differing : [],
    identical: withVerdict.length > 1 ? identical : [],
  };
}

// ---------------------------------------------------------------------------------------------
// Formatting helpers.

/** Seconds as `42.1s` or `7m05s`; `—` when not timed. */
export function formatSeconds(s: number | undefined): string {
  if (s === undefined || !Number.isFinite(s)) return NONE;
  if (s < 59.95) return `${s.toFixed(1)}s`;
  const r = Math.round(s);
  return `${Math.floor(r / 60)}m${String(r % 60).padStart(2, '0')}s`;
}

const cellText = (c: HopRow['cells'][number]): string =>
  c === 'absent' ? '-' : c === 'no verdict' ? NONE : c === 'ok' ? MARK.ok : `${MARK[c]} ${c}`;

const engineText = (f: FlavourRow): string =>
  f.engineFound && f.engineFound !== f.engineVersion ? `${f.engineVersion} (found ${f.engineFound})` : f.engineVersion;

const bootText = (f: FlavourRow): string =>
  f.slowestBoot ? `${formatSeconds(f.slowestBoot.bootToSshdS)} (${f.slowestBoot.node})` : NONE;

const hopsText = (f: FlavourRow): string =>
  f.hopsTotal === undefined ? NONE : `${f.hopsOk}/${f.hopsTotal}${f.firstBroken ? ` ✗ ${f.firstBroken}` : ''}`;

function flavourTable(s: MatrixSummary): { head: string[]; rows: string[][] } {
  return {
    head: ['flavour', 'engine', 'verdict', 'hops ok', ...s.phases, 'slowest boot->sshd'],
    rows: s.flavours.map((f) => [
      f.flavour,
      engineText(f),
      f.label,
      hopsText(f),
      ...s.phases.map((p) => formatSeconds(f.timings[p])),
      bootText(f),
    ]),
  };
}

/** Word-wrap to `width`, breaking long words. */
function wrap(s: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of s.split(' ')) {
    let w = word;
    while (w.length > width) {
      if (line) {
        out.push(line);
        line = '';
      }
      out.push(w.slice(0, width));
      w = w.slice(width);
    }
    if (!line) line = w;
    else if (line.length + 1 + w.length <= width) line += ` ${w}`;
    else {
      out.push(line);
      line = w;
    }
  }
  out.push(line);
  return out;
}

/** Plain text table with a rule under the header; cells wider than `maxWidth` wrap. */
export function textTable(head: readonly string[], rows: readonly (readonly string[])[], maxWidth = 44): string {
  const widths = head.map((h, i) => Math.min(maxWidth, Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length))));
  const line = (cells: readonly string[]): string[] => {
    const wrapped = cells.map((c, i) => wrap(c ?? '', widths[i]));
    const n = Math.max(...wrapped.map((w) => w.length));
    return Array.from({ length: n }, (_, k) =>
      wrapped
        .map((w, i) => (w[k] ?? '').padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    );
  };
  return [...line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.flatMap(line)].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Renderers.

export function renderMatrixTerminal(s: MatrixSummary): string {
  const out: string[] = [];
  const bad = s.flavours.filter((f) => f.status !== 'PASS').map((f) => f.flavour);
  const regressed = s.comparison?.regressions.length ?? 0;
  out.push(
    `swarm-lab e2e matrix: ${s.ok ? 'PASS' : 'FAIL'} — ${s.flavours.length - bad.length}/${s.flavours.length} flavour(s) pass${bad.length ? `; not passing: ${bad.join(', ')}` : ''}${regressed ? `; ${regressed} regression(s)` : ''}`,
  );
  out.push(...headLines(s));
  out.push('');
  const ft = flavourTable(s);
  out.push(textTable(ft.head, ft.rows));
  out.push('', 'verdict per hop (worst over the requests; - not on this path, — no verdict):', '');
  out.push(
    textTable(
      ['path', 'step', 'hop', ...s.flavours.map((f) => f.flavour)],
      [
        ...s.hops.map((h) => [h.path, h.step, h.id, ...h.cells.map(cellText)]),
        ...s.extraRows.map((r) => ['', '', r.name, ...r.cells]),
      ],
    ),
  );
  if (s.broken.length) {
    out.push('', 'broken:');
    for (const b of s.broken) {
      out.push(`  ${b.status === 'error' ? '✗' : MARK[b.status]} ${b.flavour}: ${b.text}`);
      for (const c of b.causes ?? []) out.push(`      ${c}`);
    }
  }
  out.push('', ...differencesText(s.differences));
  return out.join('\n');
}

function differencesText(d: FactTable): string[] {
  if (d.flavours.length < 2)
    return [
      `path differences: need two flavours with a verdict (have ${d.flavours.length ? d.flavours.join(', ') : 'none'})`,
    ];
  const out = [`path differences between ${d.flavours.join(', ')} (only facts that differ):`, ''];
  if (!d.differing.length) out.push('  none: every fact read from the verdicts is the same');
  else
    out.push(
      textTable(
        ['fact', ...d.flavours],
        d.differing.map((r) => [r.fact, ...r.values]),
      ),
    );
  if (d.identical.length) out.push('', `same on all: ${d.identical.join('; ')}`);
  return out;
}

const md = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderMatrixMarkdown(s: MatrixSummary): string {
  const table = (head: readonly string[], rows: readonly (readonly string[])[]): string[] => [
    `| ${head.map(md).join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(md).join(' | ')} |`),
  ];
  const out = [`# swarm-lab e2e matrix: ${s.ok ? 'PASS' : 'FAIL'}`, ''];
  const head = headLines(s);
  if (head.length) out.push(...head.map((l) => (l.startsWith('  ') ? `- ${md(l.trim())}` : md(l) + '\n')), '');
  const ft = flavourTable(s);
  out.push(...table(ft.head, ft.rows));
  const notes = s.flavours.filter((f) => f.summary || f.error);
  if (notes.length) out.push('');
  for (const f of notes)
    out.push(
      `- **${md(f.flavour)}** (${md(f.image)}): ${md([f.summary, f.error ? `${f.error.phase} failed: ${f.error.message}` : ''].filter(Boolean).join('; '))}`,
    );
  out.push(
    '',
    '## Verdict per hop',
    '',
    "Worst status over the requests; `-` the hop is not on this flavour's path, `—` no verdict.",
    '',
  );
  out.push(
    ...table(
      ['path', 'step', 'hop', ...s.flavours.map((f) => f.flavour)],
      [
        ...s.hops.map((h) => [h.path, h.step, `\`${h.id}\``, ...h.cells.map(cellText)]),
        ...s.extraRows.map((r) => ['', '', r.name, ...r.cells]),
      ],
    ),
  );
  if (s.broken.length) {
    out.push('', '## Broken', '');
    for (const b of s.broken) {
      out.push(`- ${b.status === 'error' ? '✗' : MARK[b.status]} **${md(b.flavour)}** ${md(b.text)}`);
      for (const c of b.causes ?? []) out.push(`  - ${md(c)}`);
    }
  }
  const d = s.differences;
  out.push('', '## Path differences', '');
  if (d.flavours.length < 2)
    out.push(`Need two flavours with a verdict (have ${d.flavours.length ? d.flavours.join(', ') : 'none'}).`);
  else {
    out.push(
      d.differing.length
        ? `Only the facts that differ between ${d.flavours.join(', ')}:`
        : 'None: every fact read from the verdicts is the same.',
      '',
    );
    if (d.differing.length)
      out.push(
        ...table(
          ['fact', ...d.flavours],
          d.differing.map((r) => [r.fact, ...r.values]),
        ),
      );
    if (d.identical.length) out.push('', `Same on all: ${md(d.identical.join('; '))}.`);
  }
  out.push('');
  return out.join('\n');
}

type Case = JunitCase;

/** One testsuite per flavour: its e2e phases, its hops per request class, its state checks, round robin. */
export function renderMatrixJunit(results: readonly FlavourResult[], comparison?: Comparison): string {
  const suites = results.map((r) => ({ name: r.flavour, cases: flavourCases(r), time: totalSeconds(r.timings) }));
  // The comparison first, as the text views list it: one failing case per regression.
  if (comparison?.previous && !comparison.note) {
    const cases: Case[] = comparison.regressions.length
      ? comparison.regressions.map((r) => ({
          name: `${r.flavour} ${r.kind} ${r.what}`,
          classname: 'swarm-lab.e2e.regressions',
          failure: { type: 'regression', text: regressionLine(r) },
        }))
      : [{ name: `no regression since ${comparison.previous}`, classname: 'swarm-lab.e2e.regressions' }];
    suites.unshift({ name: 'regressions', cases, time: 0 });
  }
  return renderJunitXml('swarm-lab e2e matrix', suites);
}

/** `total` when the runner timed it, else the sum of the phases; `lab-up` is inside deploy, not added. */
function totalSeconds(t: Readonly<Record<string, number>>): number {
  return (
    t.total ??
    Object.entries(t)
      .filter(([k]) => k !== 'lab-up')
      .reduce((a, [, v]) => a + v, 0)
  );
}

function flavourCases(r: FlavourResult): Case[] {
  const base = `swarm-lab.e2e.${r.flavour.replace(/[^A-Za-z0-9-]+/g, '_')}`;
  const cases: Case[] = [];
  // Phases: the timed ones pass, the failed one fails; it may have no timing of its own.
  const phases = Object.keys(r.timings);
  if (r.error && !phases.includes(r.error.phase)) phases.push(r.error.phase);
  for (const p of phases) {
    const failed = r.error?.phase === p;
    cases.push({
      name: `phase ${p}`,
      classname: `${base}.phase`,
      ...(r.timings[p] !== undefined ? { time: r.timings[p] } : {}),
      ...(failed
        ? { failure: { type: 'phase', text: `${p} failed: ${(r.error as { message: string }).message}` } }
        : {}),
    });
  }
  const v = r.verdict;
  if (!v) {
    if (!r.error)
      cases.push({
        name: 'verify verdict',
        classname: `${base}.phase`,
        failure: { type: 'phase', text: 'no verdict and no failed phase recorded' },
      });
    return cases;
  }
  for (const cls of requestClasses(v)) {
    const classname = `${base}.path.${cls.name.replace(/[^A-Za-z0-9-]+/g, '_')}`;
    for (const id of [...new Set(cls.requests.flatMap((q) => q.hops.map((h) => h.id)))]) {
      const h = worstHop(cls.requests, id);
      if (!h) continue;
      const name = `${cls.name}: ${h.step} ${id}`;
      if (isBad(h.status)) {
        const reqs = cls.requests.filter((q) => q.hops.some((y) => y.id === id && isBad(y.status))).map((q) => q.index);
        cases.push({
          name,
          classname,
          failure: {
            type: 'hop',
            text: `${h.status} (request ${reqs.join(', ')}): expected ${h.expected}; seen ${h.diffs.length ? `${h.diffs.join('; ')} — ` : ''}${h.seen}`,
          },
        });
      } else if (h.status === 'not captured') cases.push({ name, classname, skipped: `not captured: ${h.seen}` });
      else cases.push({ name, classname, out: h.packets.slice(0, 2).join('\n') });
    }
  }
  for (const c of v.state) {
    cases.push({
      name: `state ${c.node} ${c.title}`,
      classname: `${base}.state`,
      ...(isBad(c.status)
        ? { failure: { type: 'state', text: `${c.status}: expected ${c.expected}; seen ${c.seen}` } }
        : {}),
      ...(c.status === 'not captured' ? { skipped: c.seen } : {}),
    });
  }
  cases.push({
    name: 'round robin over all tasks',
    classname: `${base}.distribution`,
    ...(v.distribution.roundRobin
      ? { out: v.distribution.detail }
      : { failure: { type: 'distribution', text: v.distribution.detail } }),
  });
  return cases;
}

export interface MatrixJsonProps {
  /** ISO time the summary was made (the CLI passes the clock; this module reads none). */
  readonly generatedAt?: string;
}

/** The summary as JSON: the views above plus each flavour's first broken hop; full verdicts stay in each flavour's own report. */
export function renderMatrixJson(s: MatrixSummary, p: MatrixJsonProps = {}): string {
  return JSON.stringify({ ...(p.generatedAt ? { generatedAt: p.generatedAt } : {}), ...s }, null, 2) + '\n';
}

export interface MatrixReports {
  readonly summary: MatrixSummary;
  readonly text: string;
  readonly markdown: string;
  readonly junit: string;
  readonly json: string;
}

export function renderMatrix(
  results: readonly FlavourResult[],
  p: MatrixJsonProps = {},
  extras: SummaryExtras = {},
): MatrixReports {
  const summary = summarize(results, extras);
  return {
    summary,
    text: renderMatrixTerminal(summary),
    markdown: renderMatrixMarkdown(summary),
    junit: renderMatrixJunit(results, extras.comparison),
    json: renderMatrixJson(summary, p),
  };
}
