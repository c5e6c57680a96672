/**
 * `npm run e2e:matrix`: the e2e run for each Docker flavour, as many at once as the host allows
 * (e2e/matrix-jobs.ts: memory and CPUs measured here; on 2 cores one TCG lab at a time), then one
 * summary (table, version x hop grid, merged JUnit, per-version path differences, regressions
 * against the previous matrix run beside this one) via e2e/matrix-summary-cli.ts.
 *   npm run e2e:matrix -- [--out dir] [--flavours a,b,c] [--jobs N|auto] [--previous file|none] [--help]
 * Exit code: the summary's (0 all pass and nothing regressed, 1 otherwise, 2 nothing to judge).
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as readline from 'readline';
import { FLAVOURS } from './run';
import { availableMemoryMiB, MATRIX_RUN_FILE, matrixJobs, type MatrixRun } from './matrix-jobs';
import { parseCli, type CliOption, type CliSpec } from '../lib/cli';
import { EXIT } from '../lib/exit';

const ROOT = path.resolve(__dirname, '..');

const MATRIX_CLI = {
  usage: 'npm run e2e:matrix --',
  summary: 'The e2e run for each Docker flavour, then one summary (table, hop grid, JUnit, regressions).',
  options: {
    out: { type: 'string', value: 'dir', help: 'result directory (default .cache/e2e/matrix-<stamp>)' },
    flavours: { type: 'string', value: 'a,b', default: FLAVOURS.join(','), help: 'flavours to run, comma-separated' },
    jobs: {
      type: 'string',
      value: 'N|auto',
      default: 'auto',
      help: 'labs at once (auto: what memory and CPUs allow, see README "e2e matrix")',
    },
    previous: {
      type: 'string',
      value: 'file|none',
      help: 'summary.json to compare with (default: the newest earlier matrix run beside --out)',
    },
  },
} as const satisfies CliSpec<Record<string, CliOption>>;

function fail(msg: string): number {
  process.stderr.write(`e2e:matrix: ${msg}\n`);
  return EXIT.usage;
}

/** One flavour's e2e run in its own process (a crash in one leaves the others and the summary). */
function runFlavour(f: string, out: string, prefix: boolean): Promise<{ wallS: number; exitCode: number | null }> {
  const t0 = Date.now();
  const child = spawn(
    'node',
    ['-r', 'ts-node/register/transpile-only', 'e2e/run.ts', '--flavour', f, '--out', path.join(out, f)],
    { cwd: ROOT, stdio: prefix ? ['ignore', 'pipe', 'pipe'] : 'inherit' },
  );
  if (prefix)
    for (const s of [child.stdout!, child.stderr!])
      readline.createInterface({ input: s }).on('line', (l) => process.stdout.write(`[${f}] ${l}\n`));
  return new Promise((resolve) =>
    child.on('close', (code) => resolve({ wallS: Math.round((Date.now() - t0) / 100) / 10, exitCode: code })),
  );
}

async function main(): Promise<number> {
  let a;
  try {
    a = parseCli(MATRIX_CLI, process.argv.slice(2));
  } catch (e) {
    return fail(`${(e as Error).message}; fix: ${MATRIX_CLI.usage} --help lists the options`);
  }
  if (a.help) {
    process.stdout.write(a.text);
    return 0;
  }
  const startedAt = new Date().toISOString();
  const out = path.resolve(
    a.values.out ?? path.join(ROOT, '.cache', 'e2e', `matrix-${startedAt.replace(/[:.]/g, '-')}`),
  );
  const flavours = a.values.flavours.split(',');
  const unknown = flavours.filter((f) => !FLAVOURS.includes(f));
  if (unknown.length) return fail(`--flavours ${unknown.join(',')} unknown; use ${FLAVOURS.join(',')}`);
  const jobsArg = a.values.jobs;
  if (jobsArg !== 'auto' && !/^[1-9]\d*$/.test(jobsArg)) return fail(`--jobs ${jobsArg}: a count (1, 2, ...) or auto`);
  const choice = matrixJobs(
    os.cpus().length,
    availableMemoryMiB(),
    flavours.length,
    jobsArg === 'auto' ? undefined : Number(jobsArg),
  );
  fs.mkdirSync(out, { recursive: true });
  process.stdout.write(`e2e:matrix: ${flavours.length} flavour(s) into ${out}; ${choice.reason}\n`);
  const t0 = Date.now();
  const runs: Array<MatrixRun['runs'][number]> = [];
  const queue = [...flavours];
  await Promise.all(
    Array.from({ length: choice.jobs }, async () => {
      for (let f = queue.shift(); f; f = queue.shift()) {
        process.stdout.write(`\n=== e2e:matrix: ${f} (${flavours.length - queue.length}/${flavours.length}) ===\n`);
        const r = await runFlavour(f, out, choice.jobs > 1);
        runs.push({ flavour: f, ...r });
        process.stdout.write(`=== e2e:matrix: ${f} ended (exit ${r.exitCode}) after ${r.wallS} s ===\n`);
      }
    }),
  );
  const record: MatrixRun = {
    jobs: choice.jobs,
    jobsReason: choice.reason,
    startedAt,
    wallS: Math.round((Date.now() - t0) / 100) / 10,
    runs,
  };
  fs.writeFileSync(path.join(out, MATRIX_RUN_FILE), JSON.stringify(record, null, 2) + '\n');
  const s = spawnSync(
    'node',
    [
      '-r',
      'ts-node/register/transpile-only',
      'e2e/matrix-summary-cli.ts',
      out,
      '--flavours',
      flavours.join(','),
      ...(a.values.previous ? ['--previous', a.values.previous] : []),
    ],
    { cwd: ROOT, stdio: 'inherit' },
  );
  return s.status ?? 1;
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    process.stderr.write(`e2e:matrix: ${e.message}\n`);
    process.exit(EXIT.env);
  },
);
