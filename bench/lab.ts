/**
 * `npm run bench:lab`: the lab-up benchmark (not a test). Runs the offline e2e lab (deploy, re-provision,
 * verify, destroy), or reads a finished run with --from, prints every phase with its time and the speed
 * goals as ratios, and appends one JSON line per run to bench/results/lab.jsonl (commit, flavour, machine
 * facts) so runs and commits compare side by side (--compare N).
 *
 * The sixth goal (two labs at once) is the e2e matrix's: it is read from matrix-run.json when the run is
 * part of a matrix dir (--from the matrix dir, or one flavour's dir in it) or the matrix is named (--matrix).
 *
 *   npm run bench:lab -- [--flavour debian12-docker20] [--from <e2e out dir>] [--matrix <dir>] [--no-record] [--compare N]
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MATRIX_RUN_FILE, readMatrixRun, type MatrixRun } from '../e2e/matrix-jobs';
import type { FlavourResult } from '../e2e/matrix-report';
import { parseCli, type CliOption, type CliSpec } from '../lib/cli';
import { EXIT, runMain, SwarmLabError } from '../lib/exit';
import { GOAL_IDS, labFigures, renderFigures, type LabFigures } from './lab-figures';

const ROOT = path.resolve(__dirname, '..');
const HISTORY = path.join(ROOT, 'bench', 'results', 'lab.jsonl');

export const BENCH_LAB_CLI = {
  usage: 'npm run bench:lab --',
  summary: 'The lab-up benchmark: run (or read) an offline e2e lab, print each phase and the speed goals, record it.',
  options: {
    flavour: { type: 'string', value: 'F', default: 'debian12-docker20', help: 'e2e flavour to deploy' },
    from: {
      type: 'string',
      value: 'dir',
      help: "measure a finished e2e run's out dir instead of running one (a matrix dir: its --flavour run)",
    },
    matrix: { type: 'string', value: 'dir', help: 'the e2e matrix dir whose matrix-run.json gives the matrix goal' },
    'no-record': { type: 'boolean', help: 'do not append the run to bench/results/lab.jsonl' },
    compare: { type: 'string', value: 'n', help: 'print the last n recorded runs side by side and exit' },
    debug: { type: 'boolean', help: 'print stacks on errors' },
  },
} as const satisfies CliSpec<Record<string, CliOption>>;

interface HistoryLine {
  readonly at: string;
  readonly commit: string;
  readonly machine: Record<string, string | number>;
  readonly figures: LabFigures;
}

function machineFacts(): Record<string, string | number> {
  const cpu = os.cpus();
  return {
    cores: cpu.length,
    cpu: cpu[0]?.model ?? 'unknown',
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    load1: Math.round(os.loadavg()[0] * 10) / 10,
  };
}

function commitOf(): string {
  const r = spawnSync('git', ['-C', ROOT, 'describe', '--always', '--dirty', '--abbrev=12'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : 'unknown';
}

/**
 * The run dir and the matrix record for --from/--matrix: a matrix dir (matrix-run.json, one subdir per
 * flavour) stands for its --flavour run; a flavour's dir inside a matrix dir finds the record one level up.
 */
export function locateRun(from: string, flavour: string, matrixDir?: string): { dir: string; matrix?: MatrixRun } {
  const fromIsMatrix =
    fs.existsSync(path.join(from, MATRIX_RUN_FILE)) && !fs.existsSync(path.join(from, 'result.json'));
  const dir = fromIsMatrix ? path.join(from, flavour) : from;
  if (fromIsMatrix && !fs.existsSync(path.join(dir, 'result.json')))
    throw new SwarmLabError(EXIT.usage, `${from} is a matrix dir without a ${flavour} run`, {
      fix: `pick one with --flavour: ${fs
        .readdirSync(from)
        .filter((f) => fs.existsSync(path.join(from, f, 'result.json')))
        .join(', ')}`,
    });
  const recordDir = matrixDir ?? (fromIsMatrix ? from : path.dirname(dir));
  const recordFile = path.join(recordDir, MATRIX_RUN_FILE);
  const matrix = readMatrixRun(recordFile);
  if (matrixDir && !matrix)
    throw new SwarmLabError(EXIT.usage, `--matrix ${matrixDir}: no matrix run record ${recordFile}`, {
      fix: 'pass the --out dir of an `npm run e2e:matrix` run (it writes matrix-run.json)',
    });
  return { dir, ...(matrix ? { matrix } : {}) };
}

/** One finished run's figures from its out dir (result.json and the logs it left). */
export function readRun(dir: string, matrix?: MatrixRun): LabFigures {
  const resultFile = path.join(dir, 'result.json');
  if (!fs.existsSync(resultFile))
    throw new SwarmLabError(EXIT.usage, `${dir} has no result.json`, { fix: 'pass the --out dir of an e2e run' });
  const result = JSON.parse(fs.readFileSync(resultFile, 'utf8')) as FlavourResult;
  const read = (f: string): string | undefined =>
    fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), 'utf8') : undefined;
  const boot = Object.fromEntries(
    fs
      .readdirSync(dir)
      .filter((f) => /^boot-.+\.txt$/.test(f))
      .map((f) => [f.replace(/^boot-|\.txt$/g, ''), fs.readFileSync(path.join(dir, f), 'utf8')]),
  );
  return labFigures(result, {
    deploy: read('deploy.log'),
    reprovision: read('reprovision.log'),
    verify: read('verify.log'),
    destroy: read('destroy.log'),
    boot,
    ...(matrix ? { matrix } : {}),
  });
}

function compare(n: number): string {
  if (!fs.existsSync(HISTORY)) return `bench:lab: no history yet (${path.relative(ROOT, HISTORY)})`;
  const runs = fs
    .readFileSync(HISTORY, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as HistoryLine)
    .slice(-n);
  const rows: Array<[string, (h: HistoryLine) => string]> = [
    ['when', (h) => h.at.slice(0, 16)],
    ['commit', (h) => h.commit],
    ['flavour', (h) => h.figures.flavour],
    ['docker', (h) => h.figures.engineVersion],
    ['load at start', (h) => String(h.machine.load1)],
    ['lab-up s', (h) => String(h.figures.phases['lab-up'] ?? '-')],
    ['slowest boot->dockerd s', (h) => String(h.figures.slowestBootToDockerS ?? '-')],
    ['ansible deploy s', (h) => String(h.figures.ansible.deployS ?? '-')],
  ];
  for (const id of GOAL_IDS)
    rows.push([
      `goal ${id}`,
      (h) => {
        const g = h.figures.goals.find((x) => x.id === id);
        return g?.value === undefined ? '-' : `${g.value}${g.unit === 'x' ? 'x' : 's'}${g.met ? '' : '!'}`;
      },
    ]);
  const w = Math.max(...rows.map((r) => r[0].length));
  return rows.map(([k, f]) => `${k.padEnd(w)}  ${runs.map((h) => f(h).padEnd(22)).join('')}`).join('\n');
}

function main(): number {
  const a = parseCli(BENCH_LAB_CLI, process.argv.slice(2));
  const values = a.values;
  if (a.help) {
    process.stdout.write(a.text);
    return EXIT.ok;
  }
  if (values.compare !== undefined) {
    const n = Number(values.compare);
    if (!Number.isInteger(n) || n < 1) throw new SwarmLabError(EXIT.usage, '--compare needs a whole number >= 1');
    process.stdout.write(`${compare(n)}\n`);
    return EXIT.ok;
  }
  const machine = machineFacts();
  let dir = values.from ? path.resolve(values.from) : '';
  const matrixDir = values.matrix ? path.resolve(values.matrix) : undefined;
  if (!dir) {
    dir = path.join(ROOT, '.cache', 'bench', `${new Date().toISOString().replace(/[:.]/g, '-')}-${values.flavour}`);
    const r = spawnSync('npm', ['run', '--silent', 'e2e', '--', '--flavour', values.flavour, '--out', dir], {
      cwd: ROOT,
      stdio: 'inherit',
      env: { ...process.env, CHECKPOINT_DISABLE: '1' },
    });
    if (r.error) throw new SwarmLabError(EXIT.env, `could not run the e2e lab: ${r.error.message}`);
  }
  const run = locateRun(dir, values.flavour, matrixDir);
  const figures = readRun(run.dir, run.matrix);
  process.stdout.write(`${renderFigures(figures)}\n`);
  if (!values['no-record']) {
    const line: HistoryLine = { at: new Date().toISOString(), commit: commitOf(), machine, figures };
    fs.mkdirSync(path.dirname(HISTORY), { recursive: true });
    fs.appendFileSync(HISTORY, `${JSON.stringify(line)}\n`);
    process.stdout.write(`recorded in ${path.relative(ROOT, HISTORY)} (compare: npm run bench:lab -- --compare 5)\n`);
  }
  return figures.ok ? EXIT.ok : EXIT.fail;
}

if (require.main === module) runMain('bench:lab', () => Promise.resolve().then(main));
