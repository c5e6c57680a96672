/**
 * `npm run e2e`: the real lab on this machine, end to end.
 *   toolchain -> images -> host (libvirtd in a netns) -> cdktf deploy (real stacks, provider,
 *   Ansible) -> node timings -> second playbook run (must change nothing) -> verify (real captures, engine, reports) -> cdktf destroy -> host down.
 * Destroy always runs (also after a failure or Ctrl-C) unless --keep-on-failure and a phase failed;
 * a later run first cleans what an earlier, half-dead run left. Exit 0 only when every phase passed.
 *
 *   npm run e2e -- [--flavour debian12-docker20] [--out dir] [--requests n] [--keep-on-failure]
 *   npm run e2e:clean -- [--flavour ...]   tear down what an earlier run left
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { FlavourResult } from './matrix-report';
import { parseCli, type CliOption, type CliSpec } from '../lib/cli';
import { EXIT } from '../lib/exit';
import { hostDown, hostProcessEnv, hostUp, addClientAddress, type HostEnv } from './host';
import { FLAVOURS as IMAGE_FLAVOURS } from './images/flavours';
import { offlineLabFile } from './offline-lab';
import { leftovers } from '../stacks/leftovers';
import { sshArgs } from '../stacks/ssh-args';
import { labPaths, resolveLab, type Lab } from '../stacks/lab';
import type { RoundVerdict } from '../verify/engine';
import { verdictWord } from '../verify/report/common';

const ROOT = path.resolve(__dirname, '..');
export const FLAVOURS: readonly string[] = IMAGE_FLAVOURS.map((f) => f.name);

export interface RunOptions {
  readonly flavour: string;
  readonly out: string;
  readonly requests: number;
  readonly keepOnFailure: boolean;
  /** Keep the lab up after the run whatever the outcome (experiments; tear down with e2e:clean). */
  readonly keep: boolean;
  /** Only tear down what an earlier run of this flavour left (host, domains, state). */
  readonly cleanOnly: boolean;
}

/** A phase failed: carries the phase name so the summary and exit line can name it. */
export class PhaseError extends Error {
  constructor(
    readonly phase: string,
    message: string,
  ) {
    super(message);
    this.name = 'PhaseError';
  }
}

export const RUN_CLI = {
  usage: 'npm run e2e --',
  summary:
    'The real lab on this machine: toolchain, images, host, deploy, second playbook run, verify, destroy.\n' +
    'Exit 0 only when every phase passed. SWARM_LAB_E2E_SUFFIX=<a-z0-9> names a second lab of a flavour.',
  options: {
    flavour: {
      type: 'string',
      value: 'name',
      default: 'debian12-docker20',
      help: `Docker flavour: ${FLAVOURS.join(', ')}`,
    },
    out: { type: 'string', value: 'dir', help: 'result directory (default .cache/e2e/<stamp>-<flavour>)' },
    requests: { type: 'string', value: 'n', default: '6', help: 'verify requests, 1-100' },
    'keep-on-failure': { type: 'boolean', help: 'leave a failed lab up for inspection' },
    keep: { type: 'boolean', help: 'leave the lab up whatever the outcome (tear down with e2e:clean)' },
    clean: { type: 'boolean', help: 'only tear down what an earlier run of this flavour left' },
  },
} as const satisfies CliSpec<Record<string, CliOption>>;

/** Parses the e2e arguments; `help` set means print RUN_CLI's help and exit 0. */
export function parseArgs(argv: readonly string[]): RunOptions & { help?: string } {
  let a;
  try {
    a = parseCli(RUN_CLI, argv);
  } catch (e) {
    throw new PhaseError('args', (e as Error).message);
  }
  const v = a.values;
  const flavour = v.flavour;
  if (!FLAVOURS.includes(flavour)) {
    throw new PhaseError('args', `--flavour ${flavour} is unknown; use one of ${FLAVOURS.join(', ')}`);
  }
  const requests = Number(v.requests);
  if (!Number.isInteger(requests) || requests < 1 || requests > 100)
    throw new PhaseError('args', '--requests needs an integer 1-100');
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return {
    flavour,
    out: path.resolve(v.out || path.join(ROOT, '.cache', 'e2e', `${stamp}-${flavour}`)),
    requests,
    keepOnFailure: v['keep-on-failure'] === true,
    keep: v.keep === true,
    cleanOnly: v.clean === true,
    ...(a.help ? { help: a.text } : {}),
  };
}

/** The e2e lab: the seed's addresses and service, on an offline Debian image. */
export function e2eLabFile(flavour: string): Record<string, unknown> {
  const short = flavour.replace(/^debian/, 'd').replace(/-docker/, 'k'); // e.g. d12k20
  // SWARM_LAB_E2E_SUFFIX names a second lab of the same flavour (its own netns, libvirtd, state), so two runs coexist.
  const suffix = process.env.SWARM_LAB_E2E_SUFFIX ?? '';
  if (suffix && !/^[a-z0-9]{1,6}$/.test(suffix))
    throw new PhaseError('args', `SWARM_LAB_E2E_SUFFIX=${suffix}: use 1-6 characters a-z0-9`);
  // SWARM_LAB_E2E_PATHS=ingress,service-vip,... picks the paths the e2e lab enables (default: the lab model's).
  // SWARM_LAB_E2E_DOCKER_FIREWALL_BACKEND=nftables runs dockerd on nftables (lab dockerFirewallBackend).
  return offlineLabFile(
    `e2e-${short}${suffix ? `-${suffix}` : ''}`,
    flavour,
    process.env.SWARM_LAB_E2E_PATHS?.split(','),
    process.env.SWARM_LAB_E2E_DOCKER_FIREWALL_BACKEND || undefined,
  );
}

const t0 = Date.now();
function log(phase: string, msg: string): void {
  const s = ((Date.now() - t0) / 1000).toFixed(1).padStart(7);
  process.stdout.write(`[e2e ${s}s] ${phase.padEnd(9)} ${msg}\n`);
}

let current: { pid: number; phase: string } | undefined;
let interrupted = false;

/** Run a command with its output streamed (prefixed) and saved to `<out>/<phase>.log`; its own process group so Ctrl-C can end it. */
function runStep(
  phase: string,
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  logFile: string,
  timeoutS: number,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const logStream = fs.createWriteStream(logFile, { flags: 'a' });
    logStream.write(`$ ${cmd} ${args.join(' ')}\n`);
    const child = spawn(cmd, args, { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    current = { pid: child.pid!, phase };
    const timer = setTimeout(() => {
      log(phase, `timed out after ${timeoutS}s; stopping it`);
      killGroup(child.pid!);
    }, timeoutS * 1000);
    const relay = (buf: Buffer): void => {
      logStream.write(buf);
      for (const line of buf.toString().split('\n')) if (line.trim()) process.stdout.write(`    ${phase} | ${line}\n`);
    };
    child.stdout.on('data', relay);
    child.stderr.on('data', relay);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new PhaseError(phase, `cannot start ${cmd}: ${e.message}`));
    });
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      current = undefined;
      logStream.end();
      resolve(code ?? (sig ? 130 : 1));
    });
  });
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    /* already gone */
  }
  setTimeout(() => {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }, 15000).unref();
}

/** scripts/lab-run.ts: the gate every lab-changing command passes. */
const LAB_RUN = [process.execPath, '-r', 'ts-node/register/transpile-only', 'scripts/lab-run.ts'];

/** .toolchain/env.sh as env, plus no telemetry or checkpoint lookups (main.ts refuses to synth without). */
export function toolchainEnv(
  text = fs.readFileSync(path.join(ROOT, '.toolchain', 'env.sh'), 'utf8'),
): Record<string, string> {
  const env: Record<string, string> = { CHECKPOINT_DISABLE: '1', DISABLE_VERSION_CHECK: '1' };
  for (const m of text.matchAll(/^export (\w+)=(?:"([^"]*)"|(\S*))$/gm))
    env[m[1]] = (m[2] ?? m[3]).replace('$PATH', process.env.PATH ?? '');
  return env;
}

/** The telling lines of a step's log for the one-line error: Ansible's `fatal:`, Terraform's `Error:`, else the last lines. */
export function failureLines(text: string, n = 6): string {
  const lines = text.trim().split('\n');
  const telling = lines
    .filter((l) => /fatal: \[|FAILED!|\bError: |error: /.test(l))
    .map((l) => l.replace(/^.*\(local-exec\): /, '').trim());
  return (telling.length ? telling.slice(0, 3) : lines.slice(-n)).map((l) => l.slice(0, 400)).join(' | ');
}

function tail(file: string, n = 6): string {
  try {
    return failureLines(fs.readFileSync(file, 'utf8'), n);
  } catch {
    return '';
  }
}

export interface RecapLine {
  readonly host: string;
  readonly ok: number;
  readonly changed: number;
  readonly failed: number;
  readonly unreachable: number;
}

/** Ansible's PLAY RECAP lines: `node-10 : ok=42 changed=0 unreachable=0 failed=0 ...`. */
export function parseRecap(text: string): RecapLine[] {
  const out: RecapLine[] = [];
  for (const m of text.matchAll(/^\s*(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/gm)) {
    out.push({ host: m[1], ok: Number(m[2]), changed: Number(m[3]), unreachable: Number(m[4]), failed: Number(m[5]) });
  }
  return out;
}

interface NodeTiming {
  readonly node: string;
  readonly bootToSshdS: number;
  readonly sshdToDockerS: number;
}

/** Boot -> sshd and sshd -> dockerd ready from each guest's own monotonic clock (systemd unit activation times). */
export function parseUnitTimes(node: string, text: string): NodeTiming {
  const v: Record<string, number> = {};
  let unit = '';
  for (const line of text.split('\n')) {
    const id = /^Id=(.+)$/.exec(line.trim());
    if (id) unit = id[1];
    const ts = /^ActiveEnterTimestampMonotonic=(\d+)$/.exec(line.trim());
    if (ts && unit) v[unit] = Number(ts[1]) / 1e6;
  }
  const ssh = v['ssh.service'] ?? v['sshd.service'];
  const docker = v['docker.service'];
  if (!ssh || !docker)
    throw new Error(`${node}: unit times missing (ssh ${ssh}, docker ${docker}) in: ${text.slice(0, 200)}`);
  return { node, bootToSshdS: round1(ssh), sshdToDockerS: round1(docker - ssh) };
}

const round1 = (x: number): number => Math.round(x * 10) / 10;

/** Marks where the unit times end and the guest's own boot analysis begins in the timings SSH output. */
export const BOOT_ANALYSIS_MARK = '=== boot analysis';

/**
 * The guest's own view of its boot, printed after the unit times: where time went before sshd and
 * dockerd (systemd-analyze, the critical chains) and per cloud-init stage. Best effort: a tool the
 * image lacks prints nothing.
 */
export const BOOT_ANALYSIS_CMD = [
  `echo '${BOOT_ANALYSIS_MARK}'`,
  'timeout 20 systemd-analyze 2>&1 | head -n 2',
  'echo; echo "# blame"; timeout 20 systemd-analyze blame 2>&1 | head -n 25',
  'echo; echo "# critical-chain ssh.service"; timeout 20 systemd-analyze critical-chain ssh.service 2>&1 | head -n 20',
  'echo; echo "# critical-chain docker.service"; timeout 20 systemd-analyze critical-chain docker.service 2>&1 | head -n 20',
  'echo; echo "# cloud-init analyze blame"; timeout 30 cloud-init analyze blame 2>&1 | head -n 40',
].join('; ');

/** Splits the timings SSH output into the unit-times part and the boot analysis (saved per node). */
export function splitBootAnalysis(text: string): { units: string; analysis: string } {
  const i = text.indexOf(BOOT_ANALYSIS_MARK);
  return i < 0 ? { units: text, analysis: '' } : { units: text.slice(0, i), analysis: text.slice(i) };
}

/** OpenSSH under `ip netns exec`: the runner itself lives in the root namespace, where lab addresses must not be dialled. */
function nodeTimings(lab: Lab, host: HostEnv, out: string): NodeTiming[] {
  return lab.nodes.map((n) => {
    const unitTimes = ['systemctl show -p Id -p ActiveEnterTimestampMonotonic ssh.service docker.service'];
    const r = spawnSync(
      'ip',
      [
        'netns',
        'exec',
        host.netns,
        'ssh',
        // Best effort after the unit times (each tool bounded): a slow or missing tool costs the analysis only.
        ...sshArgs(lab, n.name, [`${unitTimes.join('; ')}; ${BOOT_ANALYSIS_CMD}`], undefined, ROOT, true),
      ],
      { encoding: 'utf8', timeout: 150000 },
    );
    const { units, analysis } = splitBootAnalysis(r.stdout ?? '');
    if (analysis) fs.writeFileSync(path.join(out, `boot-${n.name}.txt`), analysis);
    if (r.status !== 0 && !units.includes('Id=docker.service'))
      throw new Error(`${n.name} (${n.ip}): ssh for unit times failed (exit ${r.status}): ${(r.stderr ?? '').trim()}`);
    return parseUnitTimes(n.name, units);
  });
}

export async function runE2e(o: RunOptions): Promise<FlavourResult> {
  fs.mkdirSync(o.out, { recursive: true });
  const labFile = path.join(o.out, 'lab.json');
  fs.writeFileSync(labFile, JSON.stringify(e2eLabFile(o.flavour), null, 2) + '\n');
  const lab = resolveLab({ file: labFile, env: {} });
  const timings: Record<string, number> = {};
  let verdict: RoundVerdict | undefined;
  let error: FlavourResult['error'];
  let nodeT: NodeTiming[] | undefined;
  let host: HostEnv | undefined;
  let deployed = false;
  const hostProps = { lab: lab.name, root: ROOT, timeoutS: 300 };
  const statePath = path.join(labPaths(lab, ROOT).dir, 'terraform.tfstate');

  const phase = async (name: string, fn: () => Promise<void> | void, always = false): Promise<void> => {
    if (interrupted && !always) throw new PhaseError(name, 'interrupted (Ctrl-C) before this phase');
    log(name, 'start');
    const s = Date.now();
    try {
      await fn();
    } finally {
      timings[name] = round1((Date.now() - s) / 1000);
    }
    log(name, `done in ${timings[name]}s`);
  };
  const step = async (
    name: string,
    cmd: string,
    args: string[],
    env: NodeJS.ProcessEnv,
    timeoutS: number,
    fix: string,
  ): Promise<void> => {
    const logFile = path.join(o.out, `${name}.log`);
    const code = await runStep(name, cmd, args, env, logFile, timeoutS);
    if (code !== 0)
      throw new PhaseError(
        name,
        `${cmd} ${args.slice(0, 6).join(' ')} exited ${code}: ${tail(logFile)} (log: ${logFile}; ${fix})`,
      );
  };

  log(
    'lab',
    `${lab.name}: ${lab.nodes.length} nodes, image ${lab.image} (Docker ${lab.dockerVersion}, firewall backend ${lab.dockerFirewallBackend}), out ${o.out}`,
  );
  try {
    await phase('toolchain', () =>
      step(
        'toolchain',
        'bash',
        ['tools/toolchain.sh'],
        process.env,
        3600,
        'see tools/toolchain.sh; needs Go and the Go module proxy',
      ),
    );
    const baseEnv = { ...process.env, ...toolchainEnv(), CI: '1', SWARM_LAB_FILE: labFile, FORCE_COLOR: '0' };
    await phase('images', () =>
      step('images', 'bash', ['e2e/images/build.sh', o.flavour, 'web'], baseEnv, 3600, 'see e2e/images/build.sh'),
    );
    await phase('cleanup', async () => {
      // A half-dead earlier run: its host goes down whole (domains, networks, pools, daemons, netns);
      // the state that described it is then stale and goes too.
      await hostDown(hostProps);
      for (const f of [statePath, `${statePath}.backup`]) fs.rmSync(f, { force: true });
    });
    await phase('host', async () => {
      host = await hostUp(hostProps);
      log('host', `netns ${host.netns}, ${host.libvirtUri}, pool ${host.pool}`);
    });
    const env = { ...baseEnv, ...hostProcessEnv(host!) };
    const inNs = (args: string[]): string[] => ['netns', 'exec', host!.netns, ...args];
    await phase('deploy', async () => {
      deployed = true;
      await step(
        'deploy',
        'ip',
        // Through the lab gate (state, clash, per-lab lock), like npm run lab.
        inNs([...LAB_RUN, 'lab', '--', 'npx', 'cdktf', 'deploy', '--auto-approve', '--skip-provider-lock', lab.name]),
        env,
        3600,
        'the lab is destroyed next; rerun with --keep-on-failure to inspect it (virsh console, .cache/host/<lab>/log)',
      );
    });
    timings['lab-up'] = timings.deploy;
    await phase('client', () =>
      addClientAddress({
        ...hostProps,
        network: lab.network.name,
        address: `${lab.network.clientIp}/${lab.network.cidr.split('/')[1]}`,
      }),
    );
    await phase('timings', () => {
      nodeT = nodeTimings(lab, host!, o.out);
      for (const t of nodeT)
        log('timings', `${t.node}: boot->sshd ${t.bootToSshdS}s, sshd->dockerd ready ${t.sshdToDockerS}s`);
      const slowest = Math.max(...nodeT.map((t) => t.bootToSshdS + t.sshdToDockerS));
      log(
        'timings',
        `lab up (deploy incl. Ansible) ${timings['lab-up']}s vs slowest node's own boot->dockerd ${round1(slowest)}s`,
      );
    });
    await phase('reprovision', async () => {
      // The playbook's idempotency, on the real lab: a second run must change nothing.
      const logFile = path.join(o.out, 'reprovision.log');
      const code = await runStep('reprovision', 'bash', ['scripts/provision.sh'], env, logFile, 1800);
      const recap = parseRecap(fs.readFileSync(logFile, 'utf8'));
      for (const r of recap) log('reprovision', `recap ${r.host}: ok=${r.ok} changed=${r.changed} failed=${r.failed}`);
      if (code !== 0)
        throw new PhaseError('reprovision', `second playbook run exited ${code}: ${tail(logFile)} (log: ${logFile})`);
      const changed = recap.filter((r) => r.changed > 0);
      if (!recap.length || changed.length) {
        throw new PhaseError(
          'reprovision',
          `second playbook run is not idempotent: ${changed.map((r) => `${r.host} changed=${r.changed}`).join(', ') || 'no PLAY RECAP'}; see the changed tasks in ${logFile}`,
        );
      }
    });
    const verifyOut = path.join(o.out, 'verify');
    await phase('verify', async () => {
      const logFile = path.join(o.out, 'verify.log');
      const code = await runStep(
        'verify',
        'ip',
        inNs([
          'node',
          '-r',
          'ts-node/register/transpile-only',
          'verify/cli.ts',
          '--out',
          verifyOut,
          '--requests',
          String(o.requests),
        ]),
        env,
        logFile,
        900,
      );
      const vj = path.join(verifyOut, 'verdict.json');
      if (fs.existsSync(vj)) verdict = (JSON.parse(fs.readFileSync(vj, 'utf8')) as { verdict: RoundVerdict }).verdict;
      if (code !== 0)
        throw new PhaseError(
          'verify',
          verdict
            ? `verify exited ${code}: verdict ${verdictWord(verdict)}: ${verdict.summary}; reports in ${verifyOut}`
            : `verify exited ${code} without a verdict: ${tail(logFile, 3)}; reports in ${verifyOut}`,
        );
    });
  } catch (e) {
    const pe = e instanceof PhaseError ? e : new PhaseError('runner', (e as Error).message);
    error = { phase: pe.phase, message: pe.message.split('\n')[0] };
    log(pe.phase, `FAILED: ${error.message}`);
  } finally {
    const keep = o.keep || (o.keepOnFailure && error !== undefined);
    if (keep) {
      log(
        'destroy',
        `kept (${o.keep ? '--keep' : '--keep-on-failure'}): inspect with 'ip netns exec swl-${lab.name} virsh -c ${host?.libvirtUri ?? '<uri>'} list'; ` +
          `verify again with 'ip netns exec ${host?.netns ?? `swl-${lab.name}`} env SWARM_LAB_FILE=${labFile} node -r ts-node/register/transpile-only verify/cli.ts' (from ${ROOT}); ` +
          `clean with 'npm run e2e:clean -- --flavour ${o.flavour}'`,
      );
    } else {
      try {
        await phase(
          'destroy',
          async () => {
            if (deployed && host) {
              const code = await runStep(
                'destroy',
                'ip',
                [
                  'netns',
                  'exec',
                  host.netns,
                  ...LAB_RUN,
                  'destroy',
                  '--',
                  'npx',
                  'cdktf',
                  'destroy',
                  '--auto-approve',
                  '--skip-provider-lock',
                  lab.name,
                ],
                {
                  ...process.env,
                  ...toolchainEnv(),
                  CI: '1',
                  SWARM_LAB_FILE: labFile,
                  SWARM_LAB_PROVISION: '0',
                  FORCE_COLOR: '0',
                  ...hostProcessEnv(host),
                },
                path.join(o.out, 'destroy.log'),
                900,
              );
              if (code !== 0)
                log(
                  'destroy',
                  `cdktf destroy exited ${code}; host teardown removes what is left (see ${path.join(o.out, 'destroy.log')})`,
                );
            }
            await hostDown(hostProps);
            fs.rmSync(statePath, { force: true });
            fs.rmSync(`${statePath}.backup`, { force: true });
            const left = leftovers(lab, `swl-${lab.name}`);
            if (left.length) throw new PhaseError('destroy', `left behind: ${left.join('; ')}`);
            log('destroy', 'nothing left: no domain, network, pool, namespace or process of this lab');
          },
          true,
        );
      } catch (e) {
        const msg = (e as Error).message.split('\n')[0];
        log('destroy', `FAILED: ${msg}`);
        error ??= { phase: 'destroy', message: msg };
      }
    }
  }
  const result: FlavourResult = {
    flavour: o.flavour,
    image: lab.image,
    engineVersion: lab.dockerVersion,
    ...(verdict ? { verdict } : {}),
    ...(error ? { error } : {}),
    timings,
    ...(nodeT ? { nodeTimings: nodeT } : {}),
  };
  fs.writeFileSync(path.join(o.out, 'result.json'), JSON.stringify(result, null, 2) + '\n');
  return result;
}

async function main(): Promise<number> {
  let o: ReturnType<typeof parseArgs>;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (e) {
    // One line naming the flag; usage errors exit 3 like every swarm-lab CLI (lib/exit.ts).
    process.stderr.write(`e2e: ${(e as Error).message}; fix: ${RUN_CLI.usage} --help lists the options\n`);
    return EXIT.usage;
  }
  if (o.help) {
    process.stdout.write(o.help);
    return 0;
  }
  const onSignal = (sig: string): void => {
    if (interrupted) return;
    interrupted = true;
    log(
      'signal',
      `${sig}: stopping ${current ? `${current.phase} (pid ${current.pid})` : 'the run'}; destroy still runs`,
    );
    if (current) killGroup(current.pid);
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  if (o.cleanOnly) {
    const lab = resolveLab({ env: {}, context: e2eLabFile(o.flavour) });
    await hostDown({ lab: lab.name, root: ROOT, timeoutS: 300 });
    const state = path.join(labPaths(lab, ROOT).dir, 'terraform.tfstate');
    for (const f of [state, `${state}.backup`]) fs.rmSync(f, { force: true });
    const left = leftovers(lab, `swl-${lab.name}`);
    process.stdout.write(
      left.length
        ? `e2e clean ${lab.name}: left behind: ${left.join('; ')}\n`
        : `e2e clean ${lab.name}: nothing left\n`,
    );
    return left.length ? 1 : 0;
  }
  const r = await runE2e(o);
  const total = round1((Date.now() - t0) / 1000);
  const phases = Object.entries(r.timings)
    .map(([k, v]) => `${k} ${v}s`)
    .join(', ');
  if (r.error) {
    process.stdout.write(
      `e2e ${o.flavour}: FAILED in ${r.error.phase} after ${total}s (${phases})\n  ${r.error.message}\n  result: ${path.join(o.out, 'result.json')}\n`,
    );
    return 1;
  }
  process.stdout.write(`e2e ${o.flavour}: PASS in ${total}s (${phases})\n  reports: ${path.join(o.out, 'verify')}\n`);
  return 0;
}

if (require.main === module) {
  main().then(
    (c) => process.exit(c),
    (e) => {
      process.stderr.write(`e2e: ${(e as Error).message}\n`);
      process.exit(1);
    },
  );
}
