/**
 * JUnit XML: one suite per request class (entry node -> serving node), one testcase per hop;
 * a hop fails when any request of the class saw it missing or wrong (message: expected vs
 * seen), and is skipped when its capture point was not captured. State checks and the
 * round-robin distribution get a suite of their own.
 */
import type { RoundVerdict } from '../engine/types';
import { escapeXml as x, requestClasses, worstHop } from './common';
import { intentJunit } from './intent';

/** A JUnit testcase: at most one of failure / skipped; `out` goes to system-out. */
export interface JunitCase {
  readonly name: string;
  readonly classname: string;
  /** Seconds; written only when the suite is timed. */
  readonly time?: number;
  readonly failure?: { readonly type: string; readonly text: string };
  readonly skipped?: string;
  readonly out?: string;
}

export interface JunitSuite {
  readonly name: string;
  readonly cases: readonly JunitCase[];
  /** Seconds; suites without one get time="0" on their cases and none on the suite. */
  readonly time?: number;
}

/** The XML of a set of suites (shared by the verify report and the e2e matrix summary). */
export function renderJunitXml(name: string, suites: readonly JunitSuite[]): string {
  const count = (cs: readonly JunitCase[], k: 'failure' | 'skipped') => cs.filter((c) => c[k] !== undefined).length;
  const all = suites.flatMap((s) => s.cases);
  const timed = suites.some((s) => s.time !== undefined);
  const t = (n: number | undefined) => (n ?? 0).toFixed(3);
  const timeAttr = (n: number | undefined) => (timed ? ` time="${t(n)}"` : '');
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${x(name)}" tests="${all.length}" failures="${count(all, 'failure')}" errors="0" skipped="${count(all, 'skipped')}"${timeAttr(suites.reduce((a, s) => a + (s.time ?? 0), 0))}>`,
  ];
  for (const s of suites) {
    lines.push(
      `  <testsuite name="${x(s.name)}" tests="${s.cases.length}" failures="${count(s.cases, 'failure')}" errors="0" skipped="${count(s.cases, 'skipped')}"${timeAttr(s.time)}>`,
    );
    for (const c of s.cases) {
      const open = `    <testcase name="${x(c.name)}" classname="${x(c.classname)}" time="${timed ? t(c.time) : '0'}"`;
      if (c.failure)
        lines.push(
          `${open}>`,
          `      <failure message="${x(c.failure.text.slice(0, 300))}" type="${x(c.failure.type)}">${x(c.failure.text)}</failure>`,
          '    </testcase>',
        );
      else if (c.skipped !== undefined)
        lines.push(`${open}>`, `      <skipped message="${x(c.skipped)}"/>`, '    </testcase>');
      else if (c.out) lines.push(`${open}>`, `      <system-out>${x(c.out)}</system-out>`, '    </testcase>');
      else lines.push(`${open}/>`);
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>', '');
  return lines.join('\n');
}

type Case = JunitCase;
const hopFailure = (text: string) => ({ failure: { type: 'hop', text } });

export function renderJunit(v: RoundVerdict): string {
  const suites: Array<{ name: string; cases: readonly Case[]; time?: number }> = [...intentJunit(v)]; // intent first (verify/report/intent.ts)
  for (const cls of requestClasses(v)) {
    const ids = [...new Set(cls.requests.flatMap((r) => r.hops.map((h) => h.id)))];
    const cases = ids.map((id): Case => {
      const h = worstHop(cls.requests, id);
      const name = `${h?.step ?? ''} ${id}: ${h?.title ?? ''}`.trim();
      const classname = `swarm-lab.path.${cls.name.replace(/[^A-Za-z0-9-]+/g, '_')}`;
      if (!h) return { name, classname, skipped: 'hop not evaluated' };
      const reqs = cls.requests
        .filter((r) => r.hops.some((y) => y.id === id && (y.status === 'missing' || y.status === 'wrong')))
        .map((r) => r.index);
      if (h.status === 'missing' || h.status === 'wrong') {
        return {
          name,
          classname,
          ...hopFailure(
            `${h.status} (request ${reqs.join(', ')}): expected ${h.expected}; seen ${h.diffs.length ? h.diffs.join('; ') + ' — ' : ''}${h.seen}`,
          ),
        };
      }
      if (h.status === 'not captured') return { name, classname, skipped: `not captured: ${h.seen}` };
      return { name, classname, out: h.packets.slice(0, 4).join('\n') };
    });
    suites.push({ name: cls.name, cases });
  }
  suites.push({
    name: 'paths',
    time: v.paths.reduce((a, p) => a + p.timeMs / 1000, 0),
    cases: v.paths.map((p): Case => ({
      name: `${p.id}: ${p.title}`,
      classname: 'swarm-lab.paths',
      time: p.timeMs / 1000,
      ...(p.ok ? { out: p.summary } : p.exitCode === 2 ? { skipped: p.summary } : hopFailure(p.summary)),
    })),
  });
  suites.push({
    name: 'state checks',
    cases: v.state.map((c): Case => ({
      name: `${c.node} ${c.title}`,
      classname: 'swarm-lab.state',
      ...(c.status === 'missing' || c.status === 'wrong'
        ? hopFailure(`${c.status}: expected ${c.expected}; seen ${c.seen}`)
        : {}),
      ...(c.status === 'not captured' ? { skipped: c.seen } : {}),
    })),
  });
  suites.push({
    name: 'distribution',
    cases: [
      {
        name: 'round robin over all tasks',
        classname: 'swarm-lab.distribution',
        ...(v.distribution.roundRobin ? { out: v.distribution.detail } : hopFailure(v.distribution.detail)),
      },
    ],
  });
  return renderJunitXml('swarm-lab verify', suites);
}
