/**
 * `npm run e2e:summary -- <dir> [--flavours a,b,c]`: reads the e2e runner's
 * `<dir>/<flavour>/result.json` (a `FlavourResult`, see e2e/matrix-report.ts) and writes the
 * matrix summary to `<dir>/summary.{txt,md,xml,json}`; prints the text table to stdout.
 *
 * A flavour named by --flavours without a readable result.json still gets a row (ERROR in
 * `result`), so a run that died half-way shows up instead of vanishing from the table.
 * Exit code: 0 every flavour passed, 1 one did not (the summary is written anyway), 2 the directory
 * cannot be read or holds no result (nothing to judge), 3 a bad flag (lib/exit.ts).
 */
import * as fs from 'fs';
import * as path from 'path';
import type { FlavourResult } from './matrix-report';
import { renderMatrix } from './matrix-report';
import { previousRecord, recordOf, regressions, type Comparison } from './matrix-history';
import { MATRIX_RUN_FILE, readMatrixRun } from './matrix-jobs';
import { helpText, parseCli, type CliOption, type CliSpec } from '../lib/cli';
import { EXIT, SwarmLabError } from '../lib/exit';

export const SUMMARY_CLI = {
  usage: 'npm run e2e:summary --',
  summary: 'The matrix summary (table, merged JUnit, path differences) from <dir>/<flavour>/result.json.',
  positionals: '<dir>',
  options: {
    flavours: {
      type: 'string',
      value: 'a,b,c',
      help: 'flavours expected, in table order (default: every <dir>/*/result.json, by name); a missing one is an ERROR row',
    },
    previous: {
      type: 'string',
      value: 'file|none',
      help: "summary.json of the run to compare with (default: the newest one in <dir>'s sibling directories written before this run; none: do not compare)",
    },
    quiet: { type: 'boolean', help: 'do not print the table to stdout' },
  },
} as const satisfies CliSpec<Record<string, CliOption>>;

export const USAGE = helpText(SUMMARY_CLI);

export interface SummaryOptions {
  readonly dir: string;
  /** Expected flavours in order; default: the subdirectories that hold a result.json. */
  readonly flavours?: readonly string[];
  /** ISO time written into summary.json; default now. */
  readonly generatedAt?: string;
  /** summary.json to compare with; `none` compares nothing; default: see `findPrevious`. */
  readonly previous?: string;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Reads one result.json; any problem becomes an ERROR row that says what is wrong and where. */
export function readFlavourResult(dir: string, flavour: string): FlavourResult {
  const file = path.join(dir, flavour, 'result.json');
  const failed = (message: string): FlavourResult => ({
    flavour,
    image: '?',
    engineVersion: '?',
    timings: {},
    error: { phase: 'result', message },
  });
  let raw: string;
  try {
    raw = fs.readFileSync(file, 'utf8');
  } catch (e) {
    return failed(
      `no result at ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): the e2e run of ${flavour} did not finish; see its log in ${path.join(dir, flavour)}`,
    );
  }
  let r: unknown;
  try {
    r = JSON.parse(raw);
  } catch (e) {
    return failed(`${file} is not JSON (${(e as Error).message}); the runner was probably killed while writing it`);
  }
  const problem = shapeProblem(r, flavour);
  if (problem) return failed(`${file}: ${problem}`);
  return r as FlavourResult;
}

/** What is wrong with a parsed result.json, or undefined when it has the FlavourResult shape. */
export function shapeProblem(r: unknown, flavour: string): string | undefined {
  if (!r || typeof r !== 'object' || Array.isArray(r)) return 'not a JSON object';
  const o = r as Record<string, unknown>;
  if (o.flavour !== flavour)
    return `flavour is ${JSON.stringify(o.flavour)}, expected "${flavour}" (the directory name)`;
  for (const k of ['image', 'engineVersion'] as const) if (typeof o[k] !== 'string') return `${k} must be a string`;
  if (!o.timings || typeof o.timings !== 'object' || Object.values(o.timings).some((v) => typeof v !== 'number'))
    return 'timings must map phase names to seconds';
  if (o.error !== undefined) {
    const e = o.error as Record<string, unknown>;
    if (!e || typeof e.phase !== 'string' || typeof e.message !== 'string') return 'error must be { phase, message }';
  }
  if (o.verdict !== undefined) {
    const v = o.verdict as Record<string, unknown>;
    if (!v || typeof v.ok !== 'boolean' || !Array.isArray(v.requests) || !Array.isArray(v.state) || !v.distribution)
      return 'verdict is not a RoundVerdict (needs ok, requests, state, distribution)';
  }
  if (o.verdict === undefined && o.error === undefined) return 'has neither a verdict nor an error';
  if (
    o.nodeTimings !== undefined &&
    (!Array.isArray(o.nodeTimings) ||
      o.nodeTimings.some(
        (n: Record<string, unknown> | null) => typeof n?.node !== 'string' || typeof n?.bootToSshdS !== 'number',
      ))
  ) {
    return 'nodeTimings must be [{ node, bootToSshdS, sshdToDockerS }]';
  }
  return undefined;
}

export function collectResults(o: SummaryOptions): FlavourResult[] {
  let names = o.flavours;
  if (!names) {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(o.dir, { withFileTypes: true });
    } catch (e) {
      throw new UsageError(`cannot read the matrix directory ${o.dir}: ${(e as Error).message}`);
    }
    names = entries
      .filter((d) => d.isDirectory() && fs.existsSync(path.join(o.dir, d.name, 'result.json')))
      .map((d) => d.name)
      .sort();
    if (!names.length)
      throw new UsageError(`no <flavour>/result.json under ${o.dir}: is it the directory the matrix run wrote?`);
  }
  return names.map((f) => readFlavourResult(o.dir, f));
}

/**
 * The previous matrix run of a nightly job: the newest `summary.json` among `dir`'s sibling
 * directories (matrix runs share a parent, e.g. .cache/e2e/) written before `before`.
 */
export function findPrevious(dir: string, before: string): string | undefined {
  const parent = path.dirname(path.resolve(dir));
  let best: { file: string; at: string } | undefined;
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(parent, { withFileTypes: true });
  } catch {
    return undefined;
  }
  for (const d of entries) {
    if (!d.isDirectory() || path.join(parent, d.name) === path.resolve(dir)) continue;
    const file = path.join(parent, d.name, 'summary.json');
    let at: unknown;
    try {
      at = (JSON.parse(fs.readFileSync(file, 'utf8')) as { generatedAt?: unknown }).generatedAt;
    } catch {
      continue;
    }
    if (typeof at === 'string' && at < before && (!best || at > best.at)) best = { file, at };
  }
  return best?.file;
}

function compare(o: SummaryOptions, record: ReturnType<typeof recordOf>, before: string): Comparison {
  if (o.previous === 'none') return { note: '--previous none', regressions: [], compared: [] };
  const file = o.previous ?? findPrevious(o.dir, before);
  if (!file) return { note: `no earlier summary.json beside ${path.resolve(o.dir)}`, regressions: [], compared: [] };
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    if (o.previous) throw new UsageError(`--previous ${file}: ${(e as Error).message}`);
    return { previous: file, note: `unreadable: ${(e as Error).message}`, regressions: [], compared: [] };
  }
  const prev = previousRecord(json);
  const previousAt = (json as { generatedAt?: string }).generatedAt;
  if ('note' in prev)
    return { previous: file, ...(previousAt ? { previousAt } : {}), note: prev.note, regressions: [], compared: [] };
  return {
    previous: file,
    ...(previousAt ? { previousAt } : {}),
    regressions: regressions(prev.record, record),
    compared: record.filter((r) => prev.record.some((p) => p.flavour === r.flavour)).map((r) => r.flavour),
  };
}

/** Writes summary.{txt,md,xml,json} into the directory; returns format -> path and whether all passed (and nothing regressed). */
export function writeSummary(o: SummaryOptions): { files: Record<string, string>; ok: boolean; text: string } {
  const results = collectResults(o);
  const generatedAt = o.generatedAt ?? new Date().toISOString();
  const run = readMatrixRun(path.join(o.dir, MATRIX_RUN_FILE));
  const record = recordOf(results);
  const comparison = compare(o, record, run?.startedAt ?? generatedAt);
  const r = renderMatrix(results, { generatedAt }, { record, comparison, ...(run ? { run } : {}) });
  const files = {
    text: path.join(o.dir, 'summary.txt'),
    markdown: path.join(o.dir, 'summary.md'),
    junit: path.join(o.dir, 'summary.xml'),
    json: path.join(o.dir, 'summary.json'),
  };
  fs.writeFileSync(files.text, r.text + '\n');
  fs.writeFileSync(files.markdown, r.markdown);
  fs.writeFileSync(files.junit, r.junit);
  fs.writeFileSync(files.json, r.json);
  return { files, ok: r.summary.ok, text: r.text };
}

/** node:util parseArgs via lib/cli; a bad flag is a usage SwarmLabError (exit 3). */
export function parseArgs(argv: readonly string[]): SummaryOptions & { quiet: boolean; help: boolean } {
  const a = parseCli(SUMMARY_CLI, argv);
  const usage = (msg: string) => new SwarmLabError(EXIT.usage, msg, { fix: `${SUMMARY_CLI.usage} --help` });
  let flavours: string[] | undefined;
  if (a.values.flavours !== undefined) {
    const v = a.values.flavours;
    flavours = v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const bad = flavours.find((f) => !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(f));
    if (bad !== undefined || !flavours.length)
      throw usage(`--flavours: ${JSON.stringify(bad ?? v)} is not a flavour name`);
  }
  if (a.positionals.length > 1) throw usage(`one directory only (got ${a.positionals.join(' and ')})`);
  const dir = a.positionals[0];
  if (!dir && !a.help) throw usage('missing <dir>');
  const previous = a.values.previous;
  if (previous !== undefined && previous !== 'none' && !fs.existsSync(previous))
    throw usage(`--previous ${previous}: no such file (a summary.json of an earlier matrix run, or none)`);
  return {
    dir: dir ?? '',
    ...(flavours ? { flavours } : {}),
    ...(previous !== undefined ? { previous } : {}),
    quiet: a.values.quiet === true,
    help: a.help,
  };
}

export function main(argv: readonly string[]): number {
  try {
    const o = parseArgs(argv);
    if (o.help) {
      process.stdout.write(USAGE + '\n');
      return 0;
    }
    const r = writeSummary(o);
    if (!o.quiet) process.stdout.write(r.text + '\n');
    process.stderr.write(`e2e summary: ${Object.values(r.files).join(', ')}\n`);
    return r.ok ? 0 : 1;
  } catch (e) {
    if (e instanceof SwarmLabError) {
      process.stderr.write(`e2e summary: ${e.line()}\n`);
      return e.exitCode;
    }
    if (e instanceof UsageError) process.stderr.write(`e2e summary: ${e.message}\n`);
    // E.g. the directory is read-only: say what failed; the exit code tells the matrix runner.
    else process.stderr.write(`e2e summary: cannot write the summary: ${(e as Error).message}\n`);
    return 2;
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
