/**
 * `npm run e2e:matrix`: the e2e run for each Docker flavour, one after another (2 cores: three
 * TCG labs at once would only queue on the CPUs), then one summary (table, merged JUnit,
 * per-version path differences) via e2e/matrix-summary-cli.ts.
 *   npm run e2e:matrix -- [--out dir] [--flavours a,b,c]
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { FLAVOURS } from './run';

const ROOT = path.resolve(__dirname, '..');

function main(): number {
  const argv = process.argv.slice(2);
  let out = path.join(ROOT, '.cache', 'e2e', `matrix-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  let flavours: string[] = [...FLAVOURS];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out' && argv[i + 1]) out = path.resolve(argv[++i]);
    else if (argv[i] === '--flavours' && argv[i + 1]) flavours = argv[++i].split(',');
    else {
      process.stderr.write(
        `e2e:matrix: unknown option ${argv[i]}; usage: npm run e2e:matrix -- [--out dir] [--flavours ${FLAVOURS.join(',')}]\n`,
      );
      return 2;
    }
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
