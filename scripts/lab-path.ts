/**
 * Print one path of the resolved lab (`labPaths(resolveLab())`), for shell scripts that need the
 * lab's generated files without re-implementing the lab model's precedence.
 * Usage: ts-node scripts/lab-path.ts <dir|inventory|knownHosts|userKey|...>
 */
import * as path from 'path';
import { parseCli, type CliOption, type CliSpec } from '../lib/cli';
import { EXIT, runMain, SwarmLabError } from '../lib/exit';
import { labPaths, resolveLab, type LabPaths } from '../stacks/lab';

export const LAB_PATH_CLI = {
  usage: 'ts-node scripts/lab-path.ts',
  summary: "Print one of the resolved lab's paths (SWARM_LAB_FILE, SWARM_LAB_* env), for shell scripts.",
  positionals: '<dir|inventory|knownHosts|userKey|...>',
  options: {},
} as const satisfies CliSpec<Record<string, CliOption>>;

function main(argv: readonly string[]): number {
  const a = parseCli(LAB_PATH_CLI, argv);
  if (a.help) {
    process.stdout.write(a.text);
    return EXIT.ok;
  }
  const paths = labPaths(resolveLab(), path.resolve(__dirname, '..'));
  const key = a.positionals[0] as keyof LabPaths | undefined;
  if (a.positionals.length !== 1 || !key || !(key in paths))
    throw new SwarmLabError(EXIT.usage, `name one of ${Object.keys(paths).join(', ')}`);
  process.stdout.write(`${paths[key]}\n`);
  return EXIT.ok;
}

if (require.main === module) runMain('lab-path', () => Promise.resolve().then(() => main(process.argv.slice(2))));
