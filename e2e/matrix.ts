/**
 * `npm run e2e:matrix`: the e2e run for each Docker flavour, one after another (2 cores: three
 * TCG labs at once would only queue on the CPUs), then one summary (table, merged JUnit,
 * per-version path differences) via e2e/matrix-summary-cli.ts.
 *   npm run e2e:matrix -- [--out dir] [--flavours a,b,c] [--help]
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { FLAVOURS } from './run';
import { parseCli, type CliOption, type CliSpec } from '../lib/cli';
import { EXIT } from '../lib/exit';

const ROOT = path.resolve(__dirname, '..');

const MATRIX_CLI = {
  usage: 'npm run e2e:matrix --',
  summary: 'The e2e run for each Docker flavour, one after another, then one summary (table, merged JUnit).',
  options: {
    out: { type: 'string', value: 'dir', help: 'result directory (default .cache/e2e/matrix-<stamp>)' },
    flavours: { type: 'string', value: 'a,b', default: FLAVOURS.join(','), help: 'flavours to run, comma-separated' },
  },
} as const satisfies CliSpec<Record<string, CliOption>>;

function main(): number {
  let a;
  try {
    a = parseCli(MATRIX_CLI, process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`e2e:matrix: ${(e as Error).message}; fix: ${MATRIX_CLI.usage} --help lists the options\n`);
    return EXIT.usage;
  }
  if (a.help) {
    process.stdout.write(a.text);
    return 0;
  }
  const out = path.resolve(
    a.values.out ?? path.join(ROOT, '.cache', 'e2e', `matrix-${new Date().toISOString().replace(/[:.]/g, '-')}`),
  );
  const flavours = a.values.flavours.split(',');
  const unknown = flavours.filter((f) => !FLAVOURS.includes(f));
  if (unknown.length) {
    process.stderr.write(`e2e:matrix: --flavours ${unknown.join(',')} unknown; use ${FLAVOURS.join(',')}\n`);
    return EXIT.usage;
  }
  for (const f of flavours) {
    process.stdout.write(`\n=== e2e:matrix: ${f} ===\n`);
    // Each flavour in its own process: a crash in one still leaves the others and the summary.
    spawnSync(
      'node',
      ['-r', 'ts-node/register/transpile-only', 'e2e/run.ts', '--flavour', f, '--out', path.join(out, f)],
      { cwd: ROOT, stdio: 'inherit' },
    );
  }
  const s = spawnSync(
    'node',
    ['-r', 'ts-node/register/transpile-only', 'e2e/matrix-summary-cli.ts', out, '--flavours', flavours.join(',')],
    { cwd: ROOT, stdio: 'inherit' },
  );
  return s.status ?? 1;
}

process.exit(main());
