/**
 * Figures of one e2e lab run, read from what the run left in its out dir (result.json, deploy.log,
 * reprovision.log, verify.log). Pure: no lab needed, so the parsers are tested on recorded logs and a
 * past run can be measured again after the fact.
 */
import type { FlavourResult } from '../e2e/matrix-report';

/** One Ansible task with its duration (profile_tasks prints the previous task's duration at each task start). */
export interface AnsibleTask {
  readonly role: string;
  readonly task: string;
  readonly seconds: number;
}

const TASK_HEADER = /(?:TASK|RUNNING HANDLER) \[(?:([^\]:]+?) : )?([^\]]+)\]/;
// profile_tasks: `Tuesday 01 December 2026  13:21:28 +0000 (0:00:00.619)       0:06:49.704 ***`
const PROFILE_STAMP = /\((\d+):(\d\d):(\d\d(?:\.\d+)?)\)\s+(\d+):(\d\d):(\d\d(?:\.\d+)?)/;

function hms(h: string, m: string, s: string): number {
  return Number(h) * 3600 + Number(m) * 60 + Number(s);
}

/** Every task of a playbook log in order, with durations; the role is `(play)` for tasks outside a role. */
export function ansibleTasks(log: string): AnsibleTask[] {
  const out: AnsibleTask[] = [];
  let header: { role: string; task: string } | undefined;
  let running: { role: string; task: string } | undefined;
  for (const line of log.split('\n')) {
    const head = TASK_HEADER.exec(line);
    if (head) {
      header = { role: head[1]?.trim() || '(play)', task: head[2].trim() };
      continue;
    }
    const stamp = PROFILE_STAMP.exec(line);
    if (!stamp) continue;
    // Each stamp (after a task header, and once after the recap) carries the duration of the task before it.
    if (running) out.push({ ...running, seconds: hms(stamp[1], stamp[2], stamp[3]) });
    running = header;
    header = undefined;
  }
  return out;
}

/** Total profile_tasks time of a playbook log (the last cumulative stamp), s. */
export function ansibleTotal(log: string): number | undefined {
  let total: number | undefined;
  for (const line of log.split('\n')) {
    const s = PROFILE_STAMP.exec(line);
    if (s) total = hms(s[4], s[5], s[6]);
  }
  return total;
}

/** Seconds per role, in the order roles first ran. */
export function secondsByRole(tasks: readonly AnsibleTask[]): Array<{ role: string; seconds: number }> {
  const m = new Map<string, number>();
  for (const t of tasks) m.set(t.role, (m.get(t.role) ?? 0) + t.seconds);
  return [...m].map(([role, seconds]) => ({ role, seconds: round1(seconds) }));
}

/** verify's progress lines `[+  22.5s] node-10        discover  ...`: when each phase last printed, s since start. */
export function verifyPhases(log: string): Array<{ phase: string; endS: number }> {
  const end = new Map<string, number>();
  for (const line of log.split('\n')) {
    const m = /\[\+\s*(\d+(?:\.\d+)?)s\]\s+\S+\s+(\S+)/.exec(line);
    if (m) end.set(m[2], Math.max(end.get(m[2]) ?? 0, Number(m[1])));
  }
  return [...end].map(([phase, endS]) => ({ phase, endS }));
}

/** systemd's `1min 8.389s` / `24.847s` / `950ms` as seconds. */
export function systemdSeconds(text: string): number | undefined {
  let total = 0;
  let seen = false;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(min|ms|s|h)\b/g)) {
    seen = true;
    total += Number(m[1]) * ({ h: 3600, min: 60, s: 1, ms: 0.001 } as Record<string, number>)[m[2]];
  }
  return seen ? round1(total) : undefined;
}

export interface BootAnalysis {
  readonly node: string;
  readonly kernelS?: number;
  readonly userspaceS?: number;
  /** The costliest units of the boot (systemd-analyze blame), most expensive first. */
  readonly blame: ReadonlyArray<{ unit: string; seconds: number }>;
}

/** A guest's boot analysis as the e2e timings phase saved it (boot-<node>.txt). */
export function bootAnalysis(node: string, text: string, top = 8): BootAnalysis {
  const startup = /Startup finished in (.+?) \(kernel\) \+ (.+?) \(userspace\)/.exec(text);
  const blameAt = text.indexOf('# blame');
  const blame: Array<{ unit: string; seconds: number }> = [];
  if (blameAt >= 0)
    for (const line of text.slice(blameAt).split('\n').slice(1)) {
      if (line.startsWith('#') || !line.trim()) break;
      const m = /^\s*(.+?)\s+(\S+\.(?:service|device|mount|socket|target|timer|automount|scope|slice))$/.exec(line);
      const seconds = m ? systemdSeconds(m[1]) : undefined;
      if (m && seconds !== undefined) blame.push({ unit: m[2], seconds });
    }
  return {
    node,
    ...(startup ? { kernelS: systemdSeconds(startup[1]), userspaceS: systemdSeconds(startup[2]) } : {}),
    blame: blame.sort((a, b) => b.seconds - a.seconds).slice(0, top),
  };
}

export interface Goal {
  readonly id: string;
  readonly what: string;
  readonly target: string;
  readonly value?: number;
  readonly unit: 'x' | 's';
  readonly met?: boolean;
}

export interface LabFigures {
  readonly flavour: string;
  readonly engineVersion: string;
  readonly ok: boolean;
  readonly error?: string;
  readonly phases: Readonly<Record<string, number>>;
  readonly nodes: ReadonlyArray<{ node: string; bootToSshdS: number; sshdToDockerS: number; bootToDockerS: number }>;
  readonly slowestBootToDockerS?: number;
  readonly ansible: {
    readonly deployS?: number;
    readonly reprovisionS?: number;
    readonly roles: ReadonlyArray<{ role: string; seconds: number }>;
    readonly slowestTasks: readonly AnsibleTask[];
  };
  readonly verifyPhases: ReadonlyArray<{ phase: string; endS: number }>;
  /** Each guest's own boot analysis, when the run saved one. */
  readonly boot?: readonly BootAnalysis[];
  readonly goals: readonly Goal[];
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

function goal(id: string, what: string, value: number | undefined, limit: number, unit: 'x' | 's'): Goal {
  return {
    id,
    what,
    target: `<= ${limit}${unit === 'x' ? 'x' : ' s'}`,
    unit,
    ...(value === undefined ? {} : { value: round1(value), met: value <= limit }),
  };
}

/** The issue-10 goals and the figures behind them, from one run's artefacts. */
export function labFigures(
  result: FlavourResult,
  logs: { deploy?: string; reprovision?: string; verify?: string; boot?: Readonly<Record<string, string>> },
): LabFigures {
  const nodes = (result.nodeTimings ?? []).map((t) => ({
    ...t,
    bootToDockerS: round1(t.bootToSshdS + t.sshdToDockerS),
  }));
  const slowest = nodes.length ? Math.max(...nodes.map((n) => n.bootToDockerS)) : undefined;
  const tasks = logs.deploy ? ansibleTasks(logs.deploy) : [];
  const labUp = result.timings['lab-up'] ?? result.timings.deploy;
  const slowestSshd = nodes.length ? Math.max(...nodes.map((n) => n.bootToSshdS)) : undefined;
  return {
    flavour: result.flavour,
    engineVersion: result.verdict?.engineVersion ?? result.engineVersion,
    ok: !result.error,
    ...(result.error ? { error: `${result.error.phase}: ${result.error.message}` } : {}),
    phases: result.timings,
    nodes,
    ...(slowest === undefined ? {} : { slowestBootToDockerS: slowest }),
    ansible: {
      ...(logs.deploy ? { deployS: ansibleTotal(logs.deploy) } : {}),
      ...(logs.reprovision ? { reprovisionS: ansibleTotal(logs.reprovision) } : {}),
      roles: secondsByRole(tasks),
      slowestTasks: [...tasks].sort((a, b) => b.seconds - a.seconds).slice(0, 8),
    },
    verifyPhases: logs.verify ? verifyPhases(logs.verify) : [],
    ...(logs.boot && Object.keys(logs.boot).length
      ? { boot: Object.entries(logs.boot).map(([node, text]) => bootAnalysis(node, text)) }
      : {}),
    goals: [
      goal(
        'lab-up-ratio',
        "lab-up / slowest node's boot->dockerd",
        labUp !== undefined && slowest ? labUp / slowest : undefined,
        1.5,
        'x',
      ),
      goal('boot-sshd', 'slowest boot->sshd, 3 nodes booting together', slowestSshd, 30, 's'),
      goal('reprovision', 'no-change re-provision', result.timings.reprovision, 30, 's'),
      goal('verify', 'verify', result.timings.verify, 15, 's'),
      goal('destroy', 'destroy', result.timings.destroy, 15, 's'),
    ],
  };
}

/** The figures as a terminal table (what `npm run bench:lab` prints). */
export function renderFigures(f: LabFigures): string {
  const l: string[] = [];
  l.push(`bench:lab ${f.flavour} (Docker ${f.engineVersion}): ${f.ok ? 'run PASS' : `run FAILED (${f.error})`}`);
  l.push(
    'phases: ' +
      Object.entries(f.phases)
        .map(([k, v]) => `${k} ${v}s`)
        .join(', '),
  );
  for (const n of f.nodes)
    l.push(
      `  ${n.node.padEnd(10)} boot->sshd ${n.bootToSshdS}s, sshd->dockerd ${n.sshdToDockerS}s, boot->dockerd ${n.bootToDockerS}s`,
    );
  for (const b of f.boot ?? [])
    l.push(
      `  ${b.node.padEnd(10)} guest boot: kernel ${b.kernelS ?? '?'}s + userspace ${b.userspaceS ?? '?'}s; ` +
        b.blame
          .slice(0, 5)
          .map((x) => `${x.unit} ${x.seconds}s`)
          .join(', '),
    );
  if (f.ansible.deployS !== undefined)
    l.push(
      `ansible (deploy) ${f.ansible.deployS}s by role: ${f.ansible.roles.map((r) => `${r.role} ${r.seconds}s`).join(', ')}`,
    );
  for (const t of f.ansible.slowestTasks) l.push(`  ${String(t.seconds).padStart(6)}s  ${t.role} : ${t.task}`);
  if (f.ansible.reprovisionS !== undefined) l.push(`ansible (no-change re-provision) ${f.ansible.reprovisionS}s`);
  if (f.verifyPhases.length)
    l.push('verify phases end at: ' + f.verifyPhases.map((p) => `${p.phase} ${p.endS}s`).join(', '));
  l.push('goals:');
  for (const g of f.goals) {
    const v = g.value === undefined ? 'n/a' : `${g.value}${g.unit === 'x' ? 'x' : ' s'}`;
    const mark = g.met === undefined ? '?' : g.met ? 'met' : 'NOT met';
    l.push(`  ${g.what.padEnd(46)} ${v.padStart(9)}  target ${g.target.padEnd(8)} ${mark}`);
  }
  return l.join('\n');
}
