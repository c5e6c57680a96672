/**
 * Print one path of the resolved lab (`labPaths(resolveLab())`), for shell scripts that need the
 * lab's generated files without re-implementing the lab model's precedence.
 * Usage: ts-node scripts/lab-path.ts <dir|inventory|knownHosts|userKey|...>
 */
import * as path from 'path';
import { labPaths, resolveLab, type LabPaths } from '../stacks/lab';

const key = process.argv[2] as keyof LabPaths | undefined;
const root = path.resolve(__dirname, '..');
try {
  const paths = labPaths(resolveLab(), root);
  if (!key || !(key in paths)) {
    process.stderr.write(`lab-path: name one of ${Object.keys(paths).join(', ')}\n`);
    process.exit(2);
  }
  process.stdout.write(`${paths[key]}\n`);
} catch (e) {
  process.stderr.write(`lab-path: ${(e as Error).message}\n`);
  process.exit(2);
}
