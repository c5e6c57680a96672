/**
 * A workshop on disk: `.workshop/<ws>/workshop.json` (the plan: hosts with their measured capacity,
 * labs with their host) written once by `up`, and one `labs/<lab>/status.json` per lab written only
 * by the process working on that lab, so parallel labs never share a file. Lab phases follow one
 * state machine; a lab's failure is its own status, never the workshop's.
 */
import * as fs from 'fs';
import * as path from 'path';
import { EXIT, SwarmLabError } from '../lib/exit';
import type { HostCapacity } from './capacity';

export const ROOT = path.resolve(__dirname, '..');

export type LabPhase =
  'queued' | 'deploy' | 'client' | 'verify' | 'ready' | 'failed' | 'reprovision' | 'destroy' | 'down';

/** Who may follow whom. `failed` is reachable from every working phase; `down` from anywhere. */
const NEXT: Readonly<Record<LabPhase, readonly LabPhase[]>> = {
  queued: ['deploy', 'failed', 'down'],
  deploy: ['client', 'failed', 'down'],
  client: ['verify', 'failed', 'down'],
  verify: ['ready', 'failed', 'destroy', 'down'],
  ready: ['reprovision', 'destroy', 'verify', 'down'],
  failed: ['reprovision', 'destroy', 'deploy', 'verify', 'down'],
  reprovision: ['verify', 'failed', 'destroy', 'down'],
  destroy: ['deploy', 'failed', 'down'],
  down: ['queued'],
};

/** Phases in which a process is working on the lab (a second command must wait). */
export const BUSY: readonly LabPhase[] = ['queued', 'deploy', 'client', 'verify', 'reprovision', 'destroy'];

export function canMove(from: LabPhase, to: LabPhase): boolean {
  return NEXT[from].includes(to);
}

export type Verdict = 'PASS' | 'FAIL' | 'INCONCLUSIVE';

export interface LabStatus {
  readonly lab: string;
  readonly host: string;
  readonly phase: LabPhase;
  /** ISO time the current phase began. */
  readonly since: string;
  /** Seconds each finished phase took (the last run of it). */
  readonly timings: Readonly<Record<string, number>>;
  /** Within the phase, e.g. `12/19 resources`. */
  readonly progress?: string;
  readonly verdict?: Verdict;
  /** Last verify's report dir. */
  readonly report?: string;
  readonly verifiedAt?: string;
  readonly error?: { readonly phase: string; readonly message: string };
  /** Worker pid while busy. */
  readonly pid?: number;
}

export interface WorkshopHost {
  readonly name: string;
  /** e2e host key `<ws>-<name>`: netns `swl-<key>`, dir `.cache/host/<key>`. */
  readonly key: string;
  readonly netns: string;
  readonly libvirtUri: string;
  readonly pool: string;
  readonly hostDir: string;
  readonly capacity: HostCapacity;
}

export interface WorkshopPlan {
  readonly name: string;
  readonly flavour: string;
  readonly createdAt: string;
  readonly hosts: readonly WorkshopHost[];
  readonly labs: ReadonlyArray<{ readonly name: string; readonly index: number; readonly host: string }>;
  readonly parallel: number;
  readonly rule: string;
}

export const workshopDir = (ws: string, root = ROOT): string => path.join(root, '.workshop', ws);
export const labDir = (ws: string, lab: string, root = ROOT): string => path.join(workshopDir(ws, root), 'labs', lab);
export const labFilePath = (ws: string, lab: string, root = ROOT): string =>
  path.join(labDir(ws, lab, root), 'lab.json');

function writeJson(file: string, v: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(v, null, 2) + '\n');
  fs.renameSync(tmp, file); // readers (status) never see half a file
}

export function writePlan(plan: WorkshopPlan, root = ROOT): void {
  writeJson(path.join(workshopDir(plan.name, root), 'workshop.json'), plan);
}

export function readPlan(ws: string, root = ROOT): WorkshopPlan {
  const file = path.join(workshopDir(ws, root), 'workshop.json');
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as WorkshopPlan;
  } catch {
    throw new SwarmLabError(EXIT.state, `workshop ${ws} has no plan (${file})`, {
      fix: `npm run workshop -- up --name ${ws} --labs N`,
    });
  }
}

/** Workshops with a plan on disk. */
export function listWorkshops(root = ROOT): string[] {
  try {
    return fs
      .readdirSync(path.join(root, '.workshop'))
      .filter((d) => fs.existsSync(path.join(root, '.workshop', d, 'workshop.json')));
  } catch {
    return [];
  }
}

export function readStatus(ws: string, lab: string, root = ROOT): LabStatus | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(labDir(ws, lab, root), 'status.json'), 'utf8')) as LabStatus;
  } catch {
    return undefined;
  }
}

/** A busy status whose worker died (killed, machine rebooted) reads as failed, naming the phase it died in. */
export function effectiveStatus(s: LabStatus, alive = pidAlive): LabStatus {
  if (BUSY.includes(s.phase) && s.phase !== 'queued' && s.pid !== undefined && !alive(s.pid))
    return { ...s, phase: 'failed', error: { phase: s.phase, message: `worker pid ${s.pid} ended during ${s.phase}` } };
  return s;
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Move a lab to `to` (checked against the state machine) and write it. */
export function moveTo(
  ws: string,
  s: LabStatus,
  to: LabPhase,
  extra: Partial<Omit<LabStatus, 'lab' | 'host' | 'phase' | 'since'>> = {},
  root = ROOT,
  now = new Date(),
): LabStatus {
  if (s.phase !== to && !canMove(s.phase, to))
    throw new SwarmLabError(EXIT.state, `lab ${s.lab} is ${s.phase}; it cannot go to ${to}`, { subject: s.lab });
  const took = (now.getTime() - Date.parse(s.since)) / 1000;
  const timings =
    s.phase !== to && BUSY.includes(s.phase) ? { ...s.timings, [s.phase]: Math.round(took * 10) / 10 } : s.timings;
  const { progress: _p, ...rest } = s;
  const next: LabStatus = {
    ...rest,
    timings,
    ...extra,
    phase: to,
    since: s.phase === to ? s.since : now.toISOString(),
  };
  writeJson(path.join(labDir(ws, s.lab, root), 'status.json'), next);
  return next;
}

export function writeStatus(ws: string, s: LabStatus, root = ROOT): void {
  writeJson(path.join(labDir(ws, s.lab, root), 'status.json'), s);
}
