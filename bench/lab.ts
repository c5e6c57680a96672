/**
 * `npm run bench:lab`: the lab-up benchmark (not a test). Runs the offline e2e lab (deploy, re-provision,
 * verify, destroy), or reads a finished run with --from, prints every phase with its time and the speed
 * goals as ratios, and appends one JSON line per run to bench/results/lab.jsonl (commit, flavour, machine
 * facts) so runs and commits compare side by side (--compare N).
 *
 *   npm run bench:lab -- [--flavour debian12-docker20] [--from <e2e out dir>] [--no-record] [--compare N]
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { FlavourResult } from '../e2e/matrix-report';
import { parseCli, type CliOption, type CliSpec } from '../lib/cli';
import { EXIT, runMain, SwarmLabError } from '../lib/exit';
import { labFigures, renderFigures, type LabFigures } from './lab-figures';

const ROOT = path.resolve(__dirname, '..');
const HISTORY = path.join(ROOT, 'bench', 'results', 'lab.jsonl');

export const BENCH_LAB_CLI = {
  usage: 'npm run bench:lab --',
  summary: 'The lab-up benchmark: run (or read) an offline e2e lab, print each phase and the speed goals, record it.',
  options: {
    flavour: { type: 'string', value: 'F', default: 'debian12-docker20', help: 'e2e flavour to deploy' },
    from: { type: 'string', value: 'dir', help: "measure a finished e2e run's out dir instead of running one" },
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

function readRun(dir: string): LabFigures {
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
    boot,
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
  for (const id of ['lab-up-ratio', 'boot-sshd', 'reprovision', 'verify', 'destroy'])
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
  if (!dir) {
    dir = path.join(ROOT, '.cache', 'bench', `${new Date().toISOString().replace(/[:.]/g, '-')}-${values.flavour}`);
    const r = spawnSync('npm', ['run', '--silent', 'e2e', '--', '--flavour', values.flavour, '--out', dir], {
      cwd: ROOT,
      stdio: 'inherit',
      env: { ...process.env, CHECKPOINT_DISABLE: '1' },
    });
    if (r.error) throw new SwarmLabError(EXIT.env, `could not run the e2e lab: ${r.error.message}`);
  }
  const figures = readRun(dir);
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
