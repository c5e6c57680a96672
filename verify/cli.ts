/**
 * `npm run verify [-- options]`: discovery -> capture -> engine -> reports against a deployed
 * lab. Progress goes to stderr, one line per node and step; the exit code is the verdict's.
 * Errors are one line (node, step, fix); `--debug` adds the stack. Ctrl-C stops the captures,
 * removes them from the nodes and closes every connection; a second Ctrl-C exits at once.
 *
 * On this machine the lab lives in a network namespace: run it as
 * `ip netns exec <lab ns> npm run verify` (see e2e/).
 */
import { setMaxListeners } from 'events';
import * as fs from 'fs';
import * as path from 'path';
import { helpText, parseCli, type CliOption, type CliSpec } from '../lib/cli';
import { describeError, EXIT, SwarmLabError, type ExitCode } from '../lib/exit';
import { imageOf, Lab, labPaths, LabConfigError, resolveLab } from '../stacks/lab';
import { acquireLabLock, type HeldLock } from '../stacks/lab-lock';
import { requireState } from '../stacks/lab-state';
import { steadyRound } from './converge';
import { readIntentFacts } from './discover-intent';
import { loadLabPins } from './hostkeys';
import { checkIntent, labIntent, withIntent } from './intent';
import { BackendNotModelledError } from './firewall-backend';
import { RoundStepError, runRound } from './round';
import { AbortError, SshPool, withInterrupt } from './ssh';
import type { RoundData } from './model';
import { pathWord, verdictWord } from './report/common';

export interface CliOptions {
  labFile?: string;
  /** Path ids (`--paths ingress,...`); default: the paths the lab enables. */
  paths?: string[];
  requests: number;
  entry?: string;
  service?: string;
  user?: string;
  sbox: boolean;
  insecureAcceptAnyHostKey: boolean;
  bootWaitS: number;
  connectTimeoutS: number;
  /** Longest wait for a service that is still converging, seconds. */
  convergeTimeoutS: number;
  out?: string;
  debug: boolean;
  help: boolean;
}

export const VERIFY_CLI = {
  usage: 'npm run verify --',
  summary:
    "Prove the lab's packet paths on a deployed lab: discovery, captures on every hop, the engine, reports.\n" +
    'Exit 0 PASS, 1 FAIL, 2 could not judge, 3 usage, 4 lab not deployed or busy, 5 environment.',
  options: {
    'lab-file': { type: 'string', value: 'file', help: 'lab file (JSON/YAML); default env SWARM_LAB_FILE' },
    paths: {
      type: 'string',
      value: 'id,...',
      help: "paths to prove (default: the lab's paths; known: ingress, service-vip, task-to-task, dns, egress)",
    },
    requests: { type: 'string', value: 'n', default: '6', help: 'HTTP requests in the round (max 1000)' },
    entry: { type: 'string', value: 'node', help: 'node whose published port gets the requests (default: first node)' },
    service: { type: 'string', value: 'name', help: "swarm service (default: the lab's service)" },
    user: { type: 'string', value: 'name', help: "SSH user (default: the image's user; non-root uses sudo -n)" },
    'no-sbox': { type: 'boolean', help: 'do not capture inside ingress_sbox' },
    'boot-wait': { type: 'string', value: 's', default: '180', help: 'keep retrying SSH while nodes boot, seconds' },
    'connect-timeout': { type: 'string', value: 's', default: '10', help: 'one SSH connection attempt, seconds' },
    'converge-timeout': {
      type: 'string',
      value: 's',
      default: '120',
      help: 'wait this long for a service that is updating/converging',
    },
    out: { type: 'string', value: 'dir', help: 'report dir (default .lab/<lab>/reports/<timestamp>)' },
    'insecure-accept-any-host-key': { type: 'boolean', help: 'do not pin host keys (only for hosts you own)' },
    debug: { type: 'boolean', help: 'print stacks on errors' },
  },
} as const satisfies CliSpec<Record<string, CliOption>>;

/** The generated help (lib/cli.ts), the same table parseArgs reads. */
export const USAGE = helpText(VERIFY_CLI);

/** Parse verify's arguments (node:util parseArgs via lib/cli); a bad flag or value is a usage SwarmLabError (exit 3). */
export function parseArgs(argv: readonly string[]): CliOptions {
  const a = parseCli(VERIFY_CLI, argv);
  const v = a.values;
  const num = (flag: keyof typeof VERIFY_CLI.options, min: number, max: number): number => {
    const raw = v[flag] as string;
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n < min || n > max)
      throw new SwarmLabError(EXIT.usage, `--${flag} needs an integer ${min}-${max}, got ${JSON.stringify(raw)}`, {
        fix: `${VERIFY_CLI.usage} --help lists the options`,
      });
    return n;
  };
  const str = (flag: keyof typeof VERIFY_CLI.options): string | undefined => {
    const x = v[flag] as string | undefined;
    if (x === '') throw new SwarmLabError(EXIT.usage, `--${flag} needs a value`);
    return x;
  };
  const paths = str('paths')
    ?.split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  const o: CliOptions = {
    requests: num('requests', 1, 1000),
    sbox: v['no-sbox'] !== true,
    insecureAcceptAnyHostKey: v['insecure-accept-any-host-key'] === true,
    bootWaitS: num('boot-wait', 0, 3600),
    connectTimeoutS: num('connect-timeout', 1, 600),
    convergeTimeoutS: num('converge-timeout', 0, 3600),
    debug: v.debug === true,
    help: a.help,
  };
  const opt = { labFile: str('lab-file'), paths, entry: str('entry'), service: str('service'), user: str('user') };
  for (const [k, x] of Object.entries({ ...opt, out: str('out') })) if (x !== undefined) Object.assign(o, { [k]: x });
  return o;
}

/** A progress logger: `[+  1.2s] node        step       detail`. */
export function progress(
  write: (s: string) => void = (s) => process.stderr.write(s),
): (node: string, step: string, detail: string) => void {
  const t0 = Date.now();
  return (node, step, detail) => {
    const t = ((Date.now() - t0) / 1000).toFixed(1).padStart(6);
    write(`[+${t}s] ${node.padEnd(14)} ${step.padEnd(9)} ${detail}\n`);
  };
}

/** One line for an error: node, step and the fix where the error carries them. */
export function errorLine(e: unknown, step?: string): string {
  const err = e instanceof RoundStepError ? e.cause : (e as Error);
  const s = e instanceof RoundStepError ? e.step : step;
  if (err instanceof AbortError) return 'verify: interrupted; captures stopped and removed from the nodes';
  if (err instanceof SwarmLabError) {
    const prefix =
      err.exitCode === EXIT.inconclusive ? 'INCONCLUSIVE: ' : err.exitCode === EXIT.env && s ? `failed at ${s}: ` : '';
    return `verify: ${prefix}${err.line()}`;
  }
  // Several nodes at once (SshPool.all's NodesError, several capture points): every one on the line.
  if (err instanceof AggregateError) return `verify failed${s ? ` at ${s}` : ''}: ${describeError(err).line}`;
  return `verify failed${s ? ` at ${s}` : ''}: ${err.message}`;
}

/** The exit code of a failure that is no SwarmLabError itself: its parts' worst lib/exit code, else "could not judge". */
export function exitCodeOf(err: unknown): ExitCode {
  if (err instanceof SwarmLabError) return err.exitCode;
  if (err instanceof AggregateError && err.errors.some((e) => e instanceof SwarmLabError))
    return describeError(err).code;
  return EXIT.inconclusive;
}

function timestamp(d = new Date()): string {
  return d
    .toISOString()
    .replace(/[:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

export function readUserKey(lab: Lab): string {
  const p = labPaths(lab);
  try {
    const mode = fs.statSync(p.userKey).mode & 0o777;
    // ssh refuses such a key ("UNPROTECTED PRIVATE KEY FILE"); so do we, with the fix.
    if (mode & 0o077) {
      throw new LabConfigError(
        'labDir',
        `private key ${p.userKey} has mode 0${mode.toString(8)}; others can read it. fix: chmod 600 ${p.userKey}`,
      );
    }
    return fs.readFileSync(p.userKey, 'utf8');
  } catch (e) {
    if (e instanceof LabConfigError) throw e;
    throw new LabConfigError(
      'labDir',
      `no SSH key at ${p.userKey}; deploy the lab first (cdktf deploy writes it) or set SWARM_LAB_DIR`,
    );
  }
}

export interface TranscriptEntry {
  readonly node: string;
  readonly command: string;
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * `round.json` (the engine's whole input, pcap paths relative to the report dir, so the engine can
 * be re-run on it anywhere) and `transcript.json` (every command and what the node answered).
 */
export function writeRoundFiles(outDir: string, round: RoundData, transcript: readonly TranscriptEntry[]): void {
  const rel = { ...round, captures: round.captures.map((c) => ({ ...c, file: path.relative(outDir, c.file) })) };
  fs.writeFileSync(path.join(outDir, 'round.json'), JSON.stringify(rel, null, 2) + '\n');
  fs.writeFileSync(path.join(outDir, 'transcript.json'), JSON.stringify(transcript, null, 2) + '\n');
}

/** Read a saved `round.json` back, pcap paths made absolute again. */
export function readRoundFile(file: string): RoundData {
  const dir = path.dirname(path.resolve(file));
  const r = JSON.parse(fs.readFileSync(file, 'utf8')) as RoundData;
  return { ...r, captures: r.captures.map((c) => ({ ...c, file: path.resolve(dir, c.file) })) };
}

export async function main(argv: readonly string[]): Promise<number> {
  let opts: CliOptions;
  try {
    opts = parseArgs(argv);
  } catch (e) {
    // One line naming the flag, with the fix `npm run verify -- --help`.
    process.stderr.write(`${errorLine(e)}\n`);
    return EXIT.usage;
  }
  if (opts.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const log = progress();
  const controller = new AbortController();
  // Every in-flight command listens on the signal (dozens at once across nodes), each removed when done.
  setMaxListeners(256, controller.signal);
  let pool: SshPool | undefined;
  let lock: HeldLock | undefined;
  let outDir: string | undefined;
  const transcript: TranscriptEntry[] = [];
  try {
    const lab = resolveLab(opts.labFile ? { file: opts.labFile } : {});
    // Default: the paths the lab file enables (`paths`, every path unless it names some).
    const { selectPaths } = await import('./paths/index');
    const selected = selectPaths(opts.paths ?? lab.paths);
    const paths = labPaths(lab);
    // Seconds, not a 180 s SSH retry: a lab that is not deployed or not running is one line (exit 4).
    // SWARM_LAB_VERIFY_ANY_STATE=1 skips it for labs this machine did not deploy (state elsewhere).
    if (process.env.SWARM_LAB_VERIFY_ANY_STATE !== '1') requireState('verify', lab);
    const privateKey = readUserKey(lab);
    const pins = loadLabPins(paths.knownHosts, paths.hostKeys, lab.nodes);
    if (!pins.size && !opts.insecureAcceptAnyHostKey) {
      throw new LabConfigError(
        'known_hosts',
        `no pinned host keys in ${paths.knownHosts} or ${paths.hostKeys}/<node>/; deploy the lab first, or pass --insecure-accept-any-host-key for hosts you own`,
      );
    }
    if (process.env.SWARM_LAB_VERIFY_ANY_STATE !== '1') lock = acquireLabLock(lab.name, paths.dir, 'npm run verify');
    outDir = path.resolve(opts.out ?? path.join(paths.reports, timestamp()));
    fs.mkdirSync(outDir, { recursive: true });
    const out = outDir;
    const user = opts.user ?? imageOf(lab).sshUser;
    log(
      '*',
      'lab',
      `${lab.name}: ${lab.nodes.map((n) => `${n.name}=${n.ip}`).join(' ')}; user ${user}; reports -> ${outDir}`,
    );
    pool = new SshPool(
      lab.nodes.map((n) => ({ node: n.name, host: n.ip })),
      {
        user,
        privateKey,
        pins,
        insecureAcceptAnyHostKey: opts.insecureAcceptAnyHostKey,
        connectTimeoutMs: opts.connectTimeoutS * 1000,
        bootWaitMs: opts.bootWaitS * 1000,
        signal: controller.signal,
        log: (l) => log(l.split(':')[0], 'connect', l.slice(l.indexOf(':') + 2)),
        // What each node answered, saved beside the report: the raw input of discovery and state checks.
        onExec: (node, command, r) =>
          transcript.push({ node, command, code: r.code, stdout: r.stdout, stderr: r.stderr }),
      },
    );
    const p = pool;
    // Load the engine and the reports while the nodes answer the first commands: ts-node compiles them
    // synchronously (8 s on a busy TCG host), which is free while the event loop waits on SSH, and
    // costs that much at the end otherwise. A load error surfaces where they are used, after the round.
    const judging = new Promise<[typeof import('./engine/index'), typeof import('./report/index')]>((resolve, reject) =>
      setTimeout(
        () => void Promise.all([import('./engine/index'), import('./report/index')]).then(resolve, reject),
        1500,
      ).unref(),
    );
    judging.catch(() => undefined);
    const code = await withInterrupt(
      controller,
      async () => {
        const service = opts.service ?? lab.service.name;
        // Intent/flux hook (verify/converge.ts): judge a steady service only, retry once if a task is replaced mid-round.
        const steady = await steadyRound(
          (trafficDone) =>
            runRound(p, {
              onTrafficDone: trafficDone,
              nodes: lab.nodes,
              clientIp: lab.network.clientIp,
              service,
              ...(opts.entry ? { entryNode: opts.entry } : {}),
              requests: opts.requests,
              paths: selected,
              client: { service: `${lab.service.name}-client`, overlayNetwork: lab.service.overlayNetwork },
              sbox: opts.sbox,
              outDir: out,
              signal: controller.signal,
              log,
            }),
          {
            read: () =>
              readIntentFacts(p, {
                managers: [...lab.nodes]
                  .sort((a, b) => +(a.role !== 'manager') - +(b.role !== 'manager'))
                  .map((n) => n.name),
                service,
                overlay: lab.service.overlayNetwork,
              }),
            timeoutS: opts.convergeTimeoutS,
            log,
            signal: controller.signal,
          },
        );
        const round: RoundData = { intent: steady.facts, ...steady.round };
        if (controller.signal.aborted) throw new AbortError('verify');
        writeRoundFiles(out, round, transcript);
        const t0 = Date.now();
        const [{ evaluate }, { writeReports, renderTerminal }] = await judging;
        // Intent hook (verify/intent.ts): the lab file vs what the swarm says, listed first, FAIL on a mismatch.
        const verdict = withIntent(
          await evaluate(round, { paths: selected }),
          checkIntent({ ...labIntent(lab), service: { ...labIntent(lab).service, name: service } }, steady.facts),
        );
        const files = await writeReports(verdict, round, out);
        for (const p of verdict.paths) log('*', 'engine', `path ${p.id}: ${pathWord(p)} (${p.timeMs.toFixed(1)} ms)`);
        log('*', 'engine', `verdict ${verdictWord(verdict)} (${Date.now() - t0} ms)`);
        process.stdout.write(renderTerminal(verdict) + '\n');
        for (const [fmt, file] of Object.entries(files)) log('*', 'report', `${fmt}: ${file}`);
        return verdict.exitCode;
      },
      () => log('*', 'interrupt', 'stopping captures and closing connections (Ctrl-C again to exit at once)'),
    );
    return code;
  } catch (e) {
    // A backend verify does not model yet: what the nodes answered (their nft rulesets) stays beside the line.
    const notModelled = e instanceof RoundStepError ? e.cause : e;
    if (notModelled instanceof BackendNotModelledError && outDir && fs.existsSync(outDir))
      fs.writeFileSync(path.join(outDir, 'transcript.json'), JSON.stringify(transcript, null, 2) + '\n');
    // An early failure leaves no empty report dir behind.
    if (outDir && fs.existsSync(outDir) && !fs.readdirSync(outDir).length) fs.rmdirSync(outDir);
    if (e instanceof SwarmLabError) {
      process.stderr.write(errorLine(e) + '\n');
      if (opts.debug) process.stderr.write(`${e.stack}\n`);
      return e.exitCode;
    }
    process.stderr.write(errorLine(e) + '\n');
    if (opts.debug) process.stderr.write(`${(e as Error).stack}\n`);
    if (e instanceof AbortError || (e instanceof RoundStepError && e.cause instanceof AbortError)) return 130;
    const cause = e instanceof RoundStepError ? e.cause : e;
    return exitCodeOf(cause);
  } finally {
    await pool?.close();
    lock?.release();
  }
}

if (require.main === module) {
  // process.exit, not runMain's exitCode: a stuck socket must not keep a finished verify alive.
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`verify: ${describeError(e).line}\n`);
      process.exit(exitCodeOf(e));
    },
  );
}
