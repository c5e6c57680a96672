/**
 * `npm run e2e:summary -- <dir> [--flavours a,b,c]`: reads the e2e runner's
 * `<dir>/<flavour>/result.json` (a `FlavourResult`, see e2e/matrix-report.ts) and writes the
 * matrix summary to `<dir>/summary.{txt,md,xml,json}`; prints the text table to stdout.
 *
 * A flavour named by --flavours without a readable result.json still gets a row (ERROR in
 * `result`), so a run that died half-way shows up instead of vanishing from the table.
 * Exit code: 0 every flavour passed, 1 one did not (the summary is written anyway), 2 usage or
 * the directory cannot be read.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { FlavourResult } from './matrix-report';
import { renderMatrix } from './matrix-report';

export const USAGE = `usage: npm run e2e:summary -- <dir> [--flavours a,b,c] [--quiet]
  <dir>                 matrix run directory holding <flavour>/result.json
  --flavours a,b,c      flavours expected, in table order (default: every <dir>/*/result.json,
                        in directory name order); a missing one is reported as ERROR
  --quiet               do not print the table to stdout`;

export interface SummaryOptions {
  readonly dir: string;
  /** Expected flavours in order; default: the subdirectories that hold a result.json. */
  readonly flavours?: readonly string[];
  /** ISO time written into summary.json; default now. */
  readonly generatedAt?: string;
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

/** Writes summary.{txt,md,xml,json} into the directory; returns format -> path and whether all passed. */
export function writeSummary(o: SummaryOptions): { files: Record<string, string>; ok: boolean; text: string } {
  const results = collectResults(o);
  const r = renderMatrix(results, { generatedAt: o.generatedAt ?? new Date().toISOString() });
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

export function parseArgs(argv: readonly string[]): SummaryOptions & { quiet: boolean; help: boolean } {
  let dir: string | undefined;
  let flavours: string[] | undefined;
  let quiet = false;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--flavours') {
      const v = argv[++i];
      if (!v || v.startsWith('--')) throw new UsageError('--flavours needs a comma-separated list');
      flavours = v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const bad = flavours.find((f) => !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(f));
      if (bad !== undefined || !flavours.length)
        throw new UsageError(`--flavours: ${JSON.stringify(bad ?? v)} is not a flavour name`);
    } else if (a === '--quiet') quiet = true;
    else if (a === '-h' || a === '--help') help = true;
    else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
    else if (dir === undefined) dir = a;
    else throw new UsageError(`one directory only (got ${dir} and ${a})`);
  }
  if (!dir && !help) throw new UsageError('missing <dir>');
  return { dir: dir ?? '', ...(flavours ? { flavours } : {}), quiet, help };
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
    if (e instanceof UsageError) process.stderr.write(`e2e summary: ${e.message}\n${USAGE}\n`);
    // E.g. the directory is read-only: say what failed; the exit code tells the matrix runner.
    else process.stderr.write(`e2e summary: cannot write the summary: ${(e as Error).message}\n`);
    return 2;
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
