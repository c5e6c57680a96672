/**
 * The work on one workshop lab, in its own process (`workshop/worker.ts`), so labs run in parallel
 * and one lab's failure or crash stays that lab's: up (deploy -> client address -> verify) and reset
 * (re-provision -> verify; when that is not PASS, destroy -> deploy -> client -> verify).
 * Every command is the one e2e runs, inside the lab's host namespace and through the lab gate.
 */
import * as fs from 'fs';
import * as path from 'path';
import { addClientAddress, hostProcessEnv } from '../e2e/host';
import { toolchainEnv } from '../e2e/run';
import { labPaths, resolveLab, type Lab } from '../stacks/lab';
import { runLogged } from './run-step';
import {
  labDir,
  labFilePath,
  moveTo,
  readPlan,
  readStatus,
  ROOT,
  type LabPhase,
  type LabStatus,
  type Verdict,
  type WorkshopHost,
} from './state';

const LAB_RUN = ['-r', 'ts-node/register/transpile-only', 'scripts/lab-run.ts'];

export interface LabContext {
  readonly ws: string;
  readonly lab: Lab;
  readonly labFile: string;
  readonly host: WorkshopHost;
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
}

export function labContext(ws: string, name: string, root = ROOT): LabContext {
  const plan = readPlan(ws, root);
  const entry = plan.labs.find((l) => l.name === name);
  if (!entry) throw new Error(`workshop ${ws} has no lab ${name}`);
  const host = plan.hosts.find((h) => h.name === entry.host)!;
  const labFile = labFilePath(ws, name, root);
  const lab = resolveLab({ file: labFile, env: {} });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...toolchainEnv(),
    CI: '1',
    FORCE_COLOR: '0',
    SWARM_LAB_FILE: labFile,
    ...hostProcessEnv({ netns: host.netns, libvirtUri: host.libvirtUri, pool: host.pool, hostDir: host.hostDir }),
  };
  return { ws, lab, labFile, host, dir: labDir(ws, name, root), env };
}

class StepFailed extends Error {
  constructor(
    readonly phase: string,
    message: string,
  ) {
    super(message);
  }
}

/** The last telling lines of a log for the one-line error. */
function tail(file: string): string {
  try {
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
    const telling = lines.filter((l) => /fatal: \[|FAILED!|\bError: |error: |verify: /.test(l));
    return (telling.length ? telling.slice(0, 2) : lines.slice(-2)).map((l) => l.trim().slice(0, 300)).join(' | ');
  } catch {
    return '';
  }
}

async function step(
  c: LabContext,
  phase: string,
  args: string[],
  timeoutS: number,
  env: NodeJS.ProcessEnv = {},
): Promise<void> {
  const log = path.join(c.dir, `${phase}.log`);
  const code = await runLogged('ip', ['netns', 'exec', c.host.netns, ...args], { ...c.env, ...env }, log, timeoutS);
  if (code !== 0)
    throw new StepFailed(phase, `${args.slice(0, 4).join(' ')}... exited ${code}: ${tail(log)} (log ${log})`);
}

/** `cdktf deploy|destroy` of this lab, through the lab gate (state, clash, per-lab lock), synth output per lab. */
const cdktf = (c: LabContext, verb: 'deploy' | 'destroy', timeoutS: number) =>
  step(
    c,
    verb,
    [
      process.execPath,
      ...LAB_RUN,
      verb === 'deploy' ? 'lab' : 'destroy',
      '--',
      ...['npx', 'cdktf', verb, '--auto-approve', '--skip-provider-lock'],
      ...['--output', path.join(c.dir, 'cdktf.out'), c.lab.name],
    ],
    timeoutS,
    // Like e2e: destroy synthesizes the stack without the Ansible step.
    verb === 'destroy' ? { SWARM_LAB_PROVISION: '0' } : {},
  );
const deploy = (c: LabContext) => cdktf(c, 'deploy', 3600);
const destroy = (c: LabContext) => cdktf(c, 'destroy', 900);

const reprovision = (c: LabContext) => step(c, 'reprovision', ['bash', 'scripts/provision.sh'], 1800);

function client(c: LabContext): void {
  addClientAddress({
    lab: c.host.key,
    root: ROOT,
    network: c.lab.network.name,
    address: `${c.lab.network.clientIp}/${c.lab.network.cidr.split('/')[1]}`,
  });
}

/** verify on the lab; its verdict (PASS/FAIL/INCONCLUSIVE) and report dir, or throws when it could not run. */
export async function verifyLab(
  c: LabContext,
  out?: string,
): Promise<{ verdict: Verdict; report: string; code: number }> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const report = out ?? path.join(c.dir, 'verify', stamp);
  const log = path.join(c.dir, 'verify.log');
  const code = await runLogged(
    'ip',
    [
      'netns',
      'exec',
      c.host.netns,
      process.execPath,
      '-r',
      'ts-node/register/transpile-only',
      'verify/cli.ts',
      '--out',
      report,
    ],
    c.env,
    log,
    900,
  );
  const verdict: Verdict | undefined =
    code === 0 ? 'PASS' : code === 1 ? 'FAIL' : code === 2 ? 'INCONCLUSIVE' : undefined;
  if (!verdict || !fs.existsSync(path.join(report, 'verdict.json')))
    throw new StepFailed('verify', `verify exited ${code} without a verdict: ${tail(log)} (log ${log})`);
  return { verdict, report, code };
}

type Mover = (to: LabPhase, extra?: Partial<LabStatus>) => void;

function mover(ws: string, start: LabStatus): Mover {
  let s = start;
  return (to, extra = {}) => {
    s = moveTo(ws, s, to, { pid: process.pid, ...extra });
  };
}

async function verifyPhase(c: LabContext, move: Mover): Promise<Verdict> {
  move('verify');
  const v = await verifyLab(c);
  move(v.verdict === 'PASS' ? 'ready' : 'failed', {
    verdict: v.verdict,
    report: v.report,
    verifiedAt: new Date().toISOString(),
    ...(v.verdict === 'PASS'
      ? { error: undefined }
      : { error: { phase: 'verify', message: `verify ${v.verdict}; report ${v.report}` } }),
  });
  return v.verdict;
}

async function guarded(ws: string, name: string, work: (c: LabContext, move: Mover) => Promise<void>): Promise<number> {
  const c = labContext(ws, name);
  const start = readStatus(ws, name)!;
  const move = mover(ws, start);
  let phase = start.phase as string;
  const tracking: Mover = (to, extra) => {
    phase = to;
    move(to, extra);
  };
  try {
    await work(c, tracking);
    return readStatus(ws, name)?.phase === 'ready' ? 0 : 1;
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0];
    move('failed', { error: { phase: e instanceof StepFailed ? e.phase : phase, message: msg }, pid: undefined });
    return 1;
  }
}

/** deploy -> client address -> verify: a new lab, or one recreated by reset. */
async function bringUp(c: LabContext, move: Mover): Promise<void> {
  move('deploy');
  await deploy(c);
  move('client');
  client(c);
  await verifyPhase(c, move);
}

export function upLab(ws: string, name: string): Promise<number> {
  return guarded(ws, name, bringUp);
}

/** Back to healthy without touching other labs: re-provision first (minutes), recreate when that is not enough. */
export function resetLab(ws: string, name: string): Promise<number> {
  return guarded(ws, name, async (c, move) => {
    const deployed = fs.existsSync(path.join(labPaths(c.lab, ROOT).dir, 'terraform.tfstate'));
    if (deployed) {
      try {
        move('reprovision');
        await reprovision(c);
        if ((await verifyPhase(c, move)) === 'PASS') return;
      } catch (e) {
        fs.appendFileSync(
          path.join(c.dir, 'reset.log'),
          `${new Date().toISOString()} reprovision/verify: ${(e as Error).message}\n`,
        );
      }
      move('destroy');
      await destroy(c);
    } else move('destroy');
    await bringUp(c, move);
  });
}

/** verify again (trainer's check, exercise check): ready or failed by its verdict. */
export function verifyOnly(ws: string, name: string): Promise<number> {
  return guarded(ws, name, async (c, move) => {
    await verifyPhase(c, move);
  });
}
