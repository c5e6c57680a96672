/**
 * start / hint / check / solve on one lab. The running exercise is `<lab dir>/exercise.json`; check
 * runs the real verify and says solved or not (the blamed hop only with --tell); solve runs the undo.
 */
import * as fs from 'fs';
import * as path from 'path';
import { EXIT, SwarmLabError } from '../lib/exit';
import { labPaths } from '../stacks/lab';
import type { RoundVerdict } from '../verify/engine/types';
import { verifyLab, type LabContext } from '../workshop/lab-work';
import { ROOT } from '../workshop/state';
import { EXERCISES, exerciseByName, fill, type Exercise, type ExerciseVars } from './catalogue';
import { onNode } from './lab-access';

export interface Running {
  readonly name: string;
  readonly node: string;
  readonly startedAt: string;
  readonly hintsShown: number;
}

export interface Outcome {
  readonly code: number;
  readonly lines: readonly string[];
  /** check: what verify blamed and its report (for tests and --tell). */
  readonly verdict?: {
    readonly verdict: string;
    readonly hop?: string;
    readonly title?: string;
    readonly report: string;
  };
}

const stateFile = (c: LabContext): string => path.join(labPaths(c.lab, ROOT).dir, 'exercise.json');

export function running(c: LabContext): Running | undefined {
  try {
    return JSON.parse(fs.readFileSync(stateFile(c), 'utf8')) as Running;
  } catch {
    return undefined;
  }
}

export function varsOf(c: LabContext): ExerciseVars {
  return {
    entry: c.lab.nodes[0].name,
    port: c.lab.service.publishedPort,
    vxlanPort: c.lab.dataPathPort,
    service: c.lab.service.name,
  };
}

function need(c: LabContext): Running {
  const r = running(c);
  if (!r)
    throw new SwarmLabError(EXIT.state, `no exercise is running on ${c.lab.name}`, {
      fix: `npm run exercise -- start <${EXERCISES.map((e) => e.name).join('|')}> --lab ${c.lab.name}`,
    });
  return r;
}

export function start(c: LabContext, name: string): Outcome {
  const ex = exerciseByName(name);
  if (!ex)
    throw new SwarmLabError(
      EXIT.usage,
      `no exercise ${name}; the catalogue: ${EXERCISES.map((e) => e.name).join(', ')}`,
    );
  const r = running(c);
  if (r)
    throw new SwarmLabError(
      EXIT.state,
      `exercise ${r.name} is already running on ${c.lab.name} (since ${r.startedAt})`,
      {
        fix: `npm run exercise -- solve --lab ${c.lab.name} first`,
      },
    );
  const v = varsOf(c);
  const candidates = ex.on === 'entry' ? [c.lab.nodes[0]] : c.lab.nodes.slice(1);
  for (const node of candidates) {
    const res = onNode(c, node, fill(ex.inject, v));
    if (res.code === 3 && ex.on === 'serving') continue; // nothing of it on this node: the next one
    if (res.code !== 0)
      throw new SwarmLabError(
        EXIT.env,
        `${node.name}: injecting ${ex.name} failed (exit ${res.code}): ${res.stderr.trim()}`,
      );
    const st: Running = { name: ex.name, node: node.name, startedAt: new Date().toISOString(), hintsShown: 0 };
    fs.writeFileSync(stateFile(c), JSON.stringify(st, null, 2) + '\n');
    return {
      code: EXIT.ok,
      lines: [
        `exercise ${ex.name} started on lab ${c.lab.name}: ${ex.title}`,
        `symptom: ${fill(ex.symptom, v)}`,
        `find it and fix it; npm run exercise -- hint | check --lab ${c.lab.name}`,
      ],
    };
  }
  throw new SwarmLabError(EXIT.state, `${ex.name}: no node of ${c.lab.name} runs a task to break`);
}

export function hint(c: LabContext): Outcome {
  const r = need(c);
  const ex = exerciseByName(r.name)!;
  const n = Math.min(r.hintsShown + 1, ex.hints.length);
  fs.writeFileSync(stateFile(c), JSON.stringify({ ...r, hintsShown: n }, null, 2) + '\n');
  return {
    code: EXIT.ok,
    lines: [
      ...ex.hints.slice(0, n).map((h, i) => `hint ${i + 1}/${ex.hints.length}: ${fill(h, varsOf(c))}`),
      ...(n === ex.hints.length ? ['no more hints; npm run exercise -- solve restores the lab'] : []),
    ],
  };
}

/** The verdict verify wrote: PASS/FAIL/INCONCLUSIVE and the first broken hop. */
export function readVerdict(report: string): { verdict: RoundVerdict; hop?: string; title?: string } {
  const v = (JSON.parse(fs.readFileSync(path.join(report, 'verdict.json'), 'utf8')) as { verdict: RoundVerdict })
    .verdict;
  return { verdict: v, ...(v.firstBroken ? { hop: v.firstBroken.hop, title: v.firstBroken.title } : {}) };
}

export async function check(c: LabContext, tell = false): Promise<Outcome> {
  const r = running(c);
  const out = await verifyLab(c);
  const v = readVerdict(out.report);
  const verdict = { verdict: out.verdict, ...(v.hop ? { hop: v.hop, title: v.title } : {}), report: out.report };
  if (out.verdict === 'PASS') {
    if (r) fs.rmSync(stateFile(c), { force: true });
    return {
      code: EXIT.ok,
      verdict,
      lines: [
        `solved: verify proves the path again (PASS)${r ? `; exercise ${r.name} done` : ''}; report ${out.report}/report.html`,
      ],
    };
  }
  return {
    code: out.code,
    verdict,
    lines: [
      `not solved yet: verify says ${out.verdict}${r ? '' : ' (no exercise was started: the lab itself is broken)'}`,
      ...(tell && v.hop
        ? [`verify blames hop ${v.hop}: ${v.title}`]
        : ['npm run exercise -- hint for a clue, check --tell names the hop verify blames']),
      `report ${out.report}/report.html`,
    ],
  };
}

export function solve(c: LabContext): Outcome {
  const r = need(c);
  const ex: Exercise = exerciseByName(r.name)!;
  const node = c.lab.nodes.find((n) => n.name === r.node)!;
  const res = onNode(c, node, fill(ex.undo, varsOf(c)));
  if (res.code !== 0)
    throw new SwarmLabError(
      EXIT.env,
      `${node.name}: undoing ${ex.name} failed (exit ${res.code}): ${res.stderr.trim()}`,
    );
  fs.rmSync(stateFile(c), { force: true });
  return {
    code: EXIT.ok,
    lines: [
      `${ex.name} undone on ${node.name}: ${fill(ex.undo, varsOf(c))}`,
      `npm run exercise -- check --lab ${c.lab.name} proves it`,
    ],
  };
}
