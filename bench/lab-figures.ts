/**
 * Figures of one e2e lab run, read from what the run left in its out dir (result.json, deploy.log,
 * reprovision.log, verify.log, destroy.log, boot-<node>.txt) and, for the matrix goal, the matrix's
 * matrix-run.json. Each goal not met carries its bound: the largest measured contributors of this run,
 * never a fixed sentence. Pure: no lab needed, so the parsers are tested on recorded logs and a past run
 * can be measured again after the fact.
 */
import { runFigures, type MatrixRun } from '../e2e/matrix-jobs';
import type { FlavourResult } from '../e2e/matrix-report';

/** One Ansible task with its duration (profile_tasks prints the previous task's duration at each task start). */
export interface AnsibleTask {
  readonly role: string;
  readonly task: string;
  readonly seconds: number;
  /** The playbook's clock (profile_tasks' cumulative time) when the task ended, s. */
  readonly endS: number;
}

const TASK_HEADER = /(?:TASK|RUNNING HANDLER) \[(?:([^\]:]+?) : )?([^\]]+)\]/;
// profile_tasks: `Tuesday 01 December 2026  13:21:28 +0000 (0:00:00.619)       0:06:49.704 ***`
const PROFILE_STAMP = /\((\d+):(\d\d):(\d\d(?:\.\d+)?)\)\s+(\d+):(\d\d):(\d\d(?:\.\d+)?)/;

function hms(h: string, m: string, s: string): number {
  // to the millisecond profile_tasks prints, without float noise (119.421, not 119.42099999999999)
  return Math.round((Number(h) * 3600 + Number(m) * 60 + Number(s)) * 1000) / 1000;
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
    if (running)
      out.push({ ...running, seconds: hms(stamp[1], stamp[2], stamp[3]), endS: hms(stamp[4], stamp[5], stamp[6]) });
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

/** One of verify's progress lines `[+  22.5s] node-10        discover  docker 20.10.24, manager (8322 ms)`. */
interface ProgressLine {
  readonly atS: number;
  readonly step: string;
  readonly detail: string;
}

function progressLines(log: string): ProgressLine[] {
  const out: ProgressLine[] = [];
  for (const line of log.split('\n')) {
    const m = /\[\+\s*(\d+(?:\.\d+)?)s\]\s+\S+\s+(\S+)\s*(.*)$/.exec(line);
    if (m) out.push({ atS: Number(m[1]), step: m[2], detail: m[3] });
  }
  return out;
}

/** verify's progress lines: when each phase last printed, s since start. */
export function verifyPhases(log: string): Array<{ phase: string; endS: number }> {
  const end = new Map<string, number>();
  for (const p of progressLines(log)) end.set(p.step, Math.max(end.get(p.step) ?? 0, p.atS));
  return [...end].map(([phase, endS]) => ({ phase, endS }));
}

/** A measured contributor to a goal's figure: what it is and its seconds. */
export interface Contributor {
  readonly name: string;
  readonly seconds: number;
}

/**
 * Where verify's time went, per step, largest first. Steps run node by node in parallel and print as
 * each node finishes, so a step's time is the gap from the end of the previous run of lines to the end
 * of its own run of lines (consecutive lines of one step), summed over its runs: the parts add up to
 * verify's last progress stamp.
 */
export function verifySteps(log: string): Contributor[] {
  const spent = new Map<string, number>();
  let prevEnd = 0;
  let current: { step: string; endS: number } | undefined;
  const close = (): void => {
    if (!current) return;
    spent.set(current.step, (spent.get(current.step) ?? 0) + current.endS - prevEnd);
    prevEnd = current.endS;
  };
  for (const p of progressLines(log)) {
    if (current?.step !== p.step) {
      close();
      current = { step: p.step, endS: p.atS };
    } else current.endS = Math.max(current.endS, p.atS);
  }
  close();
  return largestFirst([...spent].map(([name, seconds]) => ({ name, seconds })));
}

/** verify's own per-path traffic times (`path egress: traffic 11.7 s`), largest first. */
export function verifyPathTimes(log: string): Contributor[] {
  const out: Contributor[] = [];
  for (const p of progressLines(log)) {
    const m = /^path (\S+): traffic (\d+(?:\.\d+)?) s/.exec(p.detail);
    if (p.step === 'traffic' && m) out.push({ name: m[1], seconds: Number(m[2]) });
  }
  return largestFirst(out);
}

/** OpenTofu's `Destruction complete after 1m2s` per resource (destroy.log), every resource (also 0 s). */
export function destroyTimes(log: string): Contributor[] {
  const out: Contributor[] = [];
  for (const line of log.split('\n')) {
    // `libvirt_domain.node-node-10_domain_072B0AC9 (node-node-10/domain): ...`; the construct path when there is one
    const m = /(\S+?)(?: \(([^()]+)\))?: Destruction complete after (?:(\d+)m)?(\d+)s/.exec(line);
    if (m) out.push({ name: m[2] ?? m[1], seconds: Number(m[3] ?? 0) * 60 + Number(m[4]) });
  }
  return out;
}

/** Rounded to 0.1 s, the zero ones dropped, largest first. */
function largestFirst(items: readonly Contributor[]): Contributor[] {
  return items
    .map((c) => ({ name: c.name, seconds: round1(c.seconds) }))
    .filter((c) => c.seconds > 0)
    .sort((a, b) => b.seconds - a.seconds);
}

/** `a 57 s, b 30 s, c 20 s`: the n largest contributors as a bound names them. */
function named(items: readonly Contributor[], n = 3): string {
  return items
    .slice(0, n)
    .map((c) => `${c.name} ${c.seconds} s`)
    .join(', ');
}

function taskContributors(tasks: readonly AnsibleTask[]): Contributor[] {
  return largestFirst(tasks.map((t) => ({ name: `${t.role} : ${t.task}`, seconds: t.seconds })));
}

/**
 * The part of each task that ran after `fromS` on the playbook's clock. The deploy creates the domains
 * right before the Ansible resource starts (deploy.log), so the playbook's clock starts with the guests'
 * power-on; a guest's own clock starts a little later (firmware, kernel load), so `fromS` is, if anything,
 * early and the time after it a slight overcount. A task that straddles `fromS` counts only its part after.
 */
export function tasksAfter(tasks: readonly AnsibleTask[], fromS: number): AnsibleTask[] {
  return tasks
    .filter((t) => t.endS > fromS)
    .map((t) => ({ ...t, seconds: round1(Math.min(t.seconds, t.endS - fromS)) }));
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
  /** The units on ssh.service's critical chain that took time to start (`+5.669s`), longest first. */
  readonly sshdChain?: readonly Contributor[];
}

/** The units of one `# critical-chain <unit>` section with their own start time (`unit @at +took`). */
export function criticalChain(text: string, unit: string): Contributor[] | undefined {
  const at = text.indexOf(`# critical-chain ${unit}`);
  if (at < 0) return undefined;
  const out: Contributor[] = [];
  for (const line of text.slice(at).split('\n').slice(1)) {
    if (line.startsWith('#')) break;
    const m = /^[\s└─]*(\S+\.[a-z]+)(?: @[^+]+)?(?: \+(.+))?$/.exec(line.trimEnd());
    const took = m?.[2] ? systemdSeconds(m[2]) : undefined;
    if (m && took !== undefined) out.push({ name: m[1], seconds: took });
  }
  return largestFirst(out);
}

/** A guest's boot analysis as the e2e timings phase saved it (boot-<node>.txt). */
export function bootAnalysis(node: string, text: string, top = 8): BootAnalysis {
  const sshdChain = criticalChain(text, 'ssh.service');
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
    ...(sshdChain ? { sshdChain } : {}),
  };
}

export interface Goal {
  readonly id: string;
  readonly what: string;
  readonly target: string;
  readonly value?: number;
  readonly unit: 'x' | 's';
  readonly met?: boolean;
  /** For a goal not met: what bounds it, from this run's own figures (the largest measured contributors). */
  readonly bound?: string;
  /** For a goal this run has no figure for: why (never a guessed value). */
  readonly unmeasured?: string;
}

type NodeFigures = { node: string; bootToSshdS: number; sshdToDockerS: number; bootToDockerS: number };

export interface LabFigures {
  readonly flavour: string;
  readonly engineVersion: string;
  readonly ok: boolean;
  readonly error?: string;
  readonly phases: Readonly<Record<string, number>>;
  readonly nodes: readonly NodeFigures[];
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

/** A goal from its value; `bound` is only asked for (and kept) when the goal is not met. */
function goal(
  id: string,
  what: string,
  value: number | undefined,
  limit: number,
  unit: 'x' | 's',
  bound: () => string,
): Goal {
  const met = value === undefined ? undefined : value <= limit;
  return {
    id,
    what,
    target: `<= ${limit}${unit === 'x' ? 'x' : ' s'}`,
    unit,
    ...(value === undefined ? {} : { value: round1(value), met }),
    ...(met === false ? { bound: bound() } : {}),
  };
}

function seconds1(s: number | undefined): string {
  return s === undefined ? '?' : String(round1(s));
}

function slowestBy(nodes: readonly NodeFigures[], key: 'bootToSshdS' | 'bootToDockerS'): NodeFigures | undefined {
  return nodes.reduce<NodeFigures | undefined>((a, n) => (a && a[key] >= n[key] ? a : n), undefined);
}

/**
 * Lab-up beyond the slowest boot: the Ansible deploy and its slowest tasks after that node's dockerd was
 * up, and the time before the playbook started (synth, tofu, volumes and domains).
 */
export function labUpBound(labUpS: number, slowest: NodeFigures, deployLog: string | undefined): string {
  const head = `lab-up ${labUpS} s, ${slowest.node}'s boot->dockerd ${slowest.bootToDockerS} s`;
  const total = deployLog ? ansibleTotal(deployLog) : undefined;
  if (!deployLog || total === undefined) return `${head}; no Ansible timings in this run (deploy.log)`;
  const after = tasksAfter(ansibleTasks(deployLog), slowest.bootToDockerS);
  const afterS = round1(after.reduce((a, t) => a + t.seconds, 0));
  return (
    `${head}; before the playbook ${round1(labUpS - total)} s; Ansible deploy ${round1(total)} s, ` +
    `${afterS} s of it after that boot, slowest after boot: ${named(taskContributors(after))}`
  );
}

function labUpGoal(labUpS: number | undefined, slowest: NodeFigures | undefined, deployLog?: string): Goal {
  const what = "lab-up / slowest node's boot->dockerd";
  if (labUpS === undefined || !slowest?.bootToDockerS) return goal('lab-up-ratio', what, undefined, 1.5, 'x', String);
  return goal('lab-up-ratio', what, labUpS / slowest.bootToDockerS, 1.5, 'x', () =>
    labUpBound(labUpS, slowest, deployLog),
  );
}

/** The slowest node's boot->sshd split as its own guest saw it (kernel, then what delayed sshd). */
export function bootSshdBound(slowest: NodeFigures, boot: readonly BootAnalysis[] | undefined): string {
  const head = `${slowest.node} boot->sshd ${slowest.bootToSshdS} s`;
  const b = boot?.find((x) => x.node === slowest.node);
  if (!b) return `${head}; no boot analysis saved for it (boot-${slowest.node}.txt)`;
  const kernel = `${head}: guest kernel ${b.kernelS ?? '?'} s`;
  // The chain to sshd is what delays it; blame (every unit, also those after sshd) only when it is missing.
  if (b.sshdChain?.length) return `${kernel}, then sshd's critical chain: ${named(b.sshdChain)}`;
  const units = named(b.blame.map((u) => ({ name: u.unit, seconds: u.seconds })));
  return `${kernel}, userspace ${b.userspaceS ?? '?'} s (whole boot), costliest units: ${units}`;
}

function bootSshdGoal(slowest: NodeFigures | undefined, boot: readonly BootAnalysis[] | undefined): Goal {
  const what = 'slowest boot->sshd, 3 nodes booting together';
  return goal('boot-sshd', what, slowest?.bootToSshdS, 30, 's', () => (slowest ? bootSshdBound(slowest, boot) : ''));
}

/** The no-change playbook's slowest tasks. */
export function reprovisionBound(seconds: number, log: string | undefined): string {
  if (!log) return `no-change re-provision ${seconds} s; no reprovision.log in this run`;
  return `no-change re-provision ${seconds} s: Ansible ${seconds1(ansibleTotal(log))} s, slowest: ${named(taskContributors(ansibleTasks(log)))}`;
}

/**
 * Verify's steps by time spent, the time the e2e phase measured outside verify's own clock (process start
 * in the lab namespace, until the first stamp, and after the last), and the per-path traffic times.
 */
export function verifyBound(seconds: number, log: string | undefined): string {
  if (!log) return `verify ${seconds} s; no verify.log in this run`;
  const steps = verifySteps(log);
  const outside = round1(seconds - steps.reduce((a, s) => a + s.seconds, 0));
  const paths = verifyPathTimes(log);
  return (
    `verify ${seconds} s: ${named(steps, 5)}` +
    (outside > 0 ? `; outside verify's own clock ${outside} s` : '') +
    (paths.length ? `; path traffic: ${named(paths, paths.length)}` : '')
  );
}

/**
 * Destroy's time against tofu's own per-resource times: even if every resource were destroyed one after
 * another they sum to at most `resourcesS`, so the rest of the command took at least the difference.
 */
export function destroyBound(seconds: number, log: string | undefined): string {
  const all = log ? destroyTimes(log) : [];
  if (!all.length) return `destroy ${seconds} s; no per-resource times in this run (destroy.log)`;
  const resourcesS = all.reduce((a, r) => a + r.seconds, 0);
  return (
    `destroy ${seconds} s: its ${all.length} resources took ${resourcesS} s at most (slowest ${named(largestFirst(all), 2)}), ` +
    `so >= ${round1(seconds - resourcesS)} s went outside resource destruction (init, refresh and plan in destroy.log)`
  );
}

/**
 * The clause of the capacity rule that held the matrix to `jobs` labs at once. The record keeps only the
 * rule's sentence (e2e/matrix-jobs.ts matrixJobs), so the limiting clause is picked out of it by its number.
 */
export function limitingClause(jobsReason: string, jobs: number): string {
  if (jobsReason.startsWith('--jobs ')) return jobsReason.split(';')[0];
  const clauses = [...jobsReason.matchAll(/(?:memory fits|CPUs allow) (\d+) \((?:[^()]|\([^()]*\))*\)/g)];
  const limiting = clauses.filter((m) => Number(m[1]) === jobs).map((m) => m[0]);
  return limiting.length ? limiting.join(', ') : jobsReason;
}

export const MATRIX_GOAL = { id: 'matrix-parallel', what: 'e2e matrix wall / sum of its single runs', limit: 0.6 };

/** The sixth goal, from the matrix's own record; without one the goal is stated as not measured. */
export function matrixGoal(run: MatrixRun | undefined): Goal {
  const { id, what, limit } = MATRIX_GOAL;
  if (!run)
    return {
      ...goal(id, what, undefined, limit, 'x', () => ''),
      unmeasured: 'not measured in this run (no matrix-run.json: --from a matrix dir, or --matrix <dir>)',
    };
  const { sumS, ratio } = runFigures(run);
  const figures = `wall ${round1(run.wallS)} s, the ${run.runs.length} single runs sum to ${round1(sumS)} s`;
  return goal(id, what, ratio, limit, 'x', () =>
    run.jobs === 1
      ? `one lab at a time: ${limitingClause(run.jobsReason, run.jobs)}; ${figures}`
      : `${run.jobs} labs at once: ${figures}; longest single runs: ${named(run.runs.map((r) => ({ name: r.flavour, seconds: r.wallS })))}`,
  );
}

/** What labFigures reads besides result.json: the run's logs, and the matrix record when it was part of one. */
export interface RunArtefacts {
  readonly deploy?: string;
  readonly reprovision?: string;
  readonly verify?: string;
  readonly destroy?: string;
  readonly boot?: Readonly<Record<string, string>>;
  readonly matrix?: MatrixRun;
}

/** The issue-10 goals and the figures behind them, from one run's artefacts. */
export function labFigures(result: FlavourResult, logs: RunArtefacts): LabFigures {
  const nodes = (result.nodeTimings ?? []).map((t) => ({
    ...t,
    bootToDockerS: round1(t.bootToSshdS + t.sshdToDockerS),
  }));
  const slowestDocker = slowestBy(nodes, 'bootToDockerS');
  const slowestSshd = slowestBy(nodes, 'bootToSshdS');
  const tasks = logs.deploy ? ansibleTasks(logs.deploy) : [];
  const labUp = result.timings['lab-up'] ?? result.timings.deploy;
  const t = result.timings;
  const boot =
    logs.boot && Object.keys(logs.boot).length
      ? Object.entries(logs.boot).map(([node, text]) => bootAnalysis(node, text))
      : undefined;
  return {
    flavour: result.flavour,
    engineVersion: result.verdict?.engineVersion ?? result.engineVersion,
    ok: !result.error,
    ...(result.error ? { error: `${result.error.phase}: ${result.error.message}` } : {}),
    phases: result.timings,
    nodes,
    ...(slowestDocker ? { slowestBootToDockerS: slowestDocker.bootToDockerS } : {}),
    ansible: {
      ...(logs.deploy ? { deployS: ansibleTotal(logs.deploy) } : {}),
      ...(logs.reprovision ? { reprovisionS: ansibleTotal(logs.reprovision) } : {}),
      roles: secondsByRole(tasks),
      slowestTasks: [...tasks].sort((a, b) => b.seconds - a.seconds).slice(0, 8),
    },
    verifyPhases: logs.verify ? verifyPhases(logs.verify) : [],
    ...(boot ? { boot } : {}),
    goals: [
      labUpGoal(labUp, slowestDocker, logs.deploy),
      bootSshdGoal(slowestSshd, boot),
      goal('reprovision', 'no-change re-provision', t.reprovision, 30, 's', () =>
        reprovisionBound(t.reprovision, logs.reprovision),
      ),
      goal('verify', 'verify', t.verify, 15, 's', () => verifyBound(t.verify, logs.verify)),
      goal('destroy', 'destroy', t.destroy, 15, 's', () => destroyBound(t.destroy, logs.destroy)),
      matrixGoal(logs.matrix),
    ],
  };
}

/** The goal ids in the order the table and --compare show them (old history lines may lack the newer ones). */
export const GOAL_IDS = ['lab-up-ratio', 'boot-sshd', 'reprovision', 'verify', 'destroy', MATRIX_GOAL.id] as const;

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
    const mark = g.met === undefined ? (g.unmeasured ?? '?') : g.met ? 'met' : 'NOT met';
    l.push(`  ${g.what.padEnd(46)} ${v.padStart(9)}  target ${g.target.padEnd(8)} ${mark}`);
    if (g.bound) l.push(`    bound: ${g.bound}`);
  }
  return l.join('\n');
}
